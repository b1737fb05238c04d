"""The data model, one module per aggregate; importing this registers every table.

Models are thin (columns, relationships, named constraints) and import only extensions and the
pure packages; state changes that touch several rows live in operations.
"""

from .account_links import LINK_PURPOSES, AccountLink
from .activity import OUTCOMES, AuditEntry, BusyBlock, LostReason, Outcome
from .api_keys import API_SCOPES, ApiKey
from .bookings import STATUSES, Booking
from .calendar_connections import (
    CONNECTION_STATUSES,
    PROVIDERS,
    CalendarConnection,
    CalendarProviderApp,
)
from .calendar_push import CalendarPushChannel
from .calendars import (
    CONNECTED_KINDS,
    SOURCE_KINDS,
    CalendarCopy,
    CalendarFeed,
    CalendarSource,
    ImportedBusy,
)
from .embedding import (
    AbTest,
    AbVariant,
    ConsentRecord,
    EmbedSettings,
    WidgetAttribution,
    WidgetView,
)
from .event_types import ASSIGNMENTS, LAYOUTS, LOCATION_KINDS, EventType, event_type_hosts
from .hosts import Absence, DateOverride, Host, HostHoliday, WeeklyHours
from .organisations import Holiday, Organisation
from .outbox import OUTBOX_STATUSES, EventTypeNotification, OutboxMessage
from .privacy import PRIVACY_REQUEST_KINDS, PRIVACY_REQUEST_STATUSES, PrivacyRequest
from .rate_limits import RateLimitCounter
from .routing import (
    ACTION_KINDS,
    Assignment,
    CreditAdjustment,
    Lead,
    Pool,
    PoolMember,
    Question,
    RoutingForm,
    RoutingRule,
)
from .sso import SsoConfig
from .users import ROLES, LoginAttempt, User
from .webhooks import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription
from .workers import WorkerHeartbeat

__all__ = [
    "ACTION_KINDS",
    "API_SCOPES",
    "ASSIGNMENTS",
    "CONNECTED_KINDS",
    "CONNECTION_STATUSES",
    "LAYOUTS",
    "LINK_PURPOSES",
    "LOCATION_KINDS",
    "OUTBOX_STATUSES",
    "OUTCOMES",
    "PRIVACY_REQUEST_KINDS",
    "PRIVACY_REQUEST_STATUSES",
    "PROVIDERS",
    "ROLES",
    "SOURCE_KINDS",
    "STATUSES",
    "WEBHOOK_EVENTS",
    "AbTest",
    "AbVariant",
    "Absence",
    "AccountLink",
    "ApiKey",
    "Assignment",
    "AuditEntry",
    "Booking",
    "BusyBlock",
    "CalendarConnection",
    "CalendarCopy",
    "CalendarFeed",
    "CalendarProviderApp",
    "CalendarPushChannel",
    "CalendarSource",
    "ConsentRecord",
    "CreditAdjustment",
    "DateOverride",
    "EmbedSettings",
    "EventType",
    "EventTypeNotification",
    "Holiday",
    "Host",
    "HostHoliday",
    "ImportedBusy",
    "Lead",
    "LoginAttempt",
    "LostReason",
    "Organisation",
    "OutboxMessage",
    "Outcome",
    "Pool",
    "PoolMember",
    "PrivacyRequest",
    "Question",
    "RateLimitCounter",
    "RoutingForm",
    "RoutingRule",
    "SsoConfig",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
    "WeeklyHours",
    "WidgetAttribution",
    "WidgetView",
    "WorkerHeartbeat",
    "event_type_hosts",
]
