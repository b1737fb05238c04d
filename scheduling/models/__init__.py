"""The data model, one module per aggregate; importing this registers every table."""

from .activity import OUTCOMES, AuditEntry, BusyBlock, LostReason, Outcome
from .bookings import STATUSES, Booking
from .calendars import (
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

__all__ = [
    "ACTION_KINDS",
    "LOCATION_KINDS",
    "OUTCOMES",
    "ROLES",
    "SOURCE_KINDS",
    "STATUSES",
    "AbTest",
    "AbVariant",
    "Assignment",
    "AuditEntry",
    "Booking",
    "BusyBlock",
    "CalendarCopy",
    "CalendarFeed",
    "CalendarSource",
    "ConsentRecord",
    "CreditAdjustment",
    "DateOverride",
    "EmbedSettings",
    "EventType",
    "Holiday",
    "Host",
    "ImportedBusy",
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
    "WidgetAttribution",
    "WidgetView",
    "event_type_hosts",
]
