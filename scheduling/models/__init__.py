"""The data model, one module per aggregate; importing this registers every table."""

from .bookings import STATUSES, Booking
from .event_types import LOCATION_KINDS, EventType, event_type_hosts
from .hosts import DateOverride, Host, WeeklyHours
from .organisations import Holiday, Organisation

__all__ = [
    "LOCATION_KINDS",
    "STATUSES",
    "Booking",
    "DateOverride",
    "EventType",
    "Holiday",
    "Host",
    "Organisation",
    "WeeklyHours",
    "event_type_hosts",
]
