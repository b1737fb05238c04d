"""Value types the slot engine reads and returns. Pure: no Flask, no DB, no clock."""

from dataclasses import dataclass
from datetime import date, datetime

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
    """A host's hours in the host's own zone; overrides for the same day add up."""

    tz: str
    weekly: tuple[WeeklyInterval, ...] = ()
    overrides: tuple[DateOverride, ...] = ()


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
