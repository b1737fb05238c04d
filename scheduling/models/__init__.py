"""The data model, one module per aggregate; importing this registers every table."""

from .activity import OUTCOMES, AuditEntry, BusyBlock, LostReason, Outcome
from .bookings import STATUSES, Booking
from .event_types import LOCATION_KINDS, EventType, event_type_hosts
from .hosts import DateOverride, Host, WeeklyHours
from .organisations import Holiday, Organisation
from .users import ROLES, LoginAttempt, User

__all__ = [
    "LOCATION_KINDS",
    "OUTCOMES",
    "ROLES",
    "STATUSES",
    "AuditEntry",
    "Booking",
    "BusyBlock",
    "DateOverride",
    "EventType",
    "Holiday",
    "Host",
    "LoginAttempt",
    "LostReason",
    "Organisation",
    "Outcome",
    "User",
    "WeeklyHours",
    "event_type_hosts",
]
