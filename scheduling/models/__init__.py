"""The data model, one module per aggregate; importing this registers every table."""

from .activity import OUTCOMES, AuditEntry, BusyBlock, LostReason, Outcome
from .bookings import STATUSES, Booking
from .event_types import LOCATION_KINDS, EventType, event_type_hosts
from .hosts import DateOverride, Host, WeeklyHours
from .organisations import Holiday, Organisation
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
from .users import ROLES, LoginAttempt, User
from .webhooks import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription  # noqa: I001
from .outbox import OUTBOX_STATUSES, EventTypeNotification, OutboxMessage
from .api_keys import API_SCOPES, ApiKey

__all__ = [
    "API_SCOPES",
    "OUTBOX_STATUSES",
    "WEBHOOK_EVENTS",
    "ApiKey",
    "EventTypeNotification",
    "OutboxMessage",
    "WebhookDelivery",
    "WebhookSubscription",
    "ACTION_KINDS",
    "LOCATION_KINDS",
    "OUTCOMES",
    "ROLES",
    "STATUSES",
    "Assignment",
    "AuditEntry",
    "Booking",
    "BusyBlock",
    "CreditAdjustment",
    "DateOverride",
    "EventType",
    "Holiday",
    "Host",
    "Lead",
    "LoginAttempt",
    "LostReason",
    "Organisation",
    "Outcome",
    "Pool",
    "PoolMember",
    "Question",
    "RoutingForm",
    "RoutingRule",
    "User",
    "WeeklyHours",
    "event_type_hosts",
]
