"""Slot engine: hours, event rules and busy time to free slots. Pure: no Flask, no DB, no clock.

The rules it implements are DESIGN.md section 4 ("Slot rules, decided"). Also here: zone names
people choose from (timezones) and the week grid of the admin calendar (calendar_week). Imports
only the standard library, zoneinfo and the other pure packages.
"""

from .collective import (
    MemberCalendar,
    busy_members,
    compute_collective_slot_seconds,
    compute_collective_slots,
    intersect_starts,
)
from .model import (
    MAX_RANGE_DAYS,
    DateOverride,
    Interval,
    Schedule,
    SlotSettings,
    WeeklyInterval,
    dates_in_ranges,
)
from .slots import (
    compute_slot_seconds,
    compute_slots,
    datetimes_from_seconds,
    is_slot_available,
    occupied_interval,
)
from .windows import compute_windows
from .zones import group_by_local_date, local_day_range

__all__ = [
    "MAX_RANGE_DAYS",
    "DateOverride",
    "Interval",
    "MemberCalendar",
    "Schedule",
    "SlotSettings",
    "WeeklyInterval",
    "busy_members",
    "compute_collective_slot_seconds",
    "compute_collective_slots",
    "compute_slot_seconds",
    "compute_slots",
    "compute_windows",
    "dates_in_ranges",
    "datetimes_from_seconds",
    "group_by_local_date",
    "intersect_starts",
    "is_slot_available",
    "local_day_range",
    "occupied_interval",
]
