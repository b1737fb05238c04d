"""Value types the slot engine reads and returns. Pure: no Flask, no DB, no clock."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Longest range one compute_slots call looks at; callers refuse longer ones with a 400 first.
MAX_RANGE_DAYS = 62


@dataclass(frozen=True)
class WeeklyInterval:
    """Recurring local hours: weekday 0=Monday..6=Sunday, minutes after local midnight."""

    weekday: int
    start_minute: int
    end_minute: int  # 1440 means 24:00; an interval that does not end after its start is ignored


@dataclass(frozen=True)
class DateOverride:
    """Hours of one local date that replace its weekly hours; no intervals means a day off."""

    day: date
    intervals: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Schedule:
    """A host's hours in the host's own zone; overrides for the same day add up.

    Dates are local dates in `tz`. holidays: days off unless an override names the date (a
    host may work on a public holiday). days_off: days off whatever the weekly hours and
    overrides say (out of office). only_days: when given, every other date is off (a colleague
    covering for an absent host only on the absence's dates).
    """

    tz: str
    weekly: tuple[WeeklyInterval, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    holidays: tuple[date, ...] = ()
    days_off: tuple[date, ...] = ()
    only_days: frozenset[date] | None = None


def dates_in_ranges(
    ranges: Iterable[tuple[date, date]], first: date, last: date
) -> frozenset[date]:
    """Return the dates of inclusive (start, end) ranges that fall within first..last.

    A range whose end is before its start holds no date.
    """
    found: set[date] = set()
    for start, end in ranges:
        lo, hi = max(start, first), min(end, last)
        while lo <= hi:
            found.add(lo)
            lo += timedelta(days=1)
    return frozenset(found)


@dataclass(frozen=True)
class SlotSettings:
    """The event type's rules, in minutes unless the name says otherwise."""

    duration: int
    step: int
    buffer_before: int = 0
    buffer_after: int = 0
    min_notice: int = 0
    horizon_days: int = 60
    daily_limit: int | None = None
    # Bookings per host in a local ISO week (Monday to Sunday in the host's zone); None: no limit.
    weekly_limit: int | None = None
    # Minutes between this meeting and any other meeting of the host (end to start), on top of
    # buffers; 0: no gap.
    min_gap: int = 0


@dataclass(frozen=True)
class Interval:
    """Half-open absolute interval [start, end) between aware datetimes."""

    start: datetime
    end: datetime
