"""Host hours laid onto absolute time as merged windows. Pure: no Flask, no DB, no clock."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .model import Interval, Schedule
from .zones import (
    DAY,
    EPOCH_ORDINAL,
    UTC,
    ceil_seconds,
    floor_seconds,
    from_seconds,
    load_zone,
    require_aware,
    wall_clock,
)

# How far back (and, for compute_windows, ahead) we follow a window that does not close: the grid
# needs its true start up to 14 days back, plus a day of margin on each side.
REACH_DAYS = 17
# compute_windows refuses to lay out more than this, so no caller can make it run for ages.
MAX_WINDOW_RANGE_DAYS = 366
# Keep all date arithmetic (lookback, meeting length, margins) inside datetime's years 1..9999.
_MIN_SECONDS = floor_seconds(datetime(2, 1, 1, tzinfo=UTC))
_MAX_SECONDS = floor_seconds(datetime(9997, 1, 1, tzinfo=UTC))


def in_safe_range(lo: int, hi: int) -> bool:
    """True when [lo, hi) plus a year of margin stays inside datetime's range."""
    return lo - 400 * DAY >= _MIN_SECONDS and hi + 400 * DAY <= _MAX_SECONDS


def _valid_minutes(start: object, end: object) -> bool:
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and not isinstance(start, bool)
        and not isinstance(end, bool)
        and 0 <= start < end <= 1440
    )


def _dates(values) -> list[date]:
    """The dates among values (a datetime counts as its date); anything else is ignored."""
    found = []
    for value in values or ():
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            found.append(value)
    return found


@dataclass
class Span:
    """Merged windows of the local dates first..first+len(mids)-2, as epoch seconds.

    mids[i] is local midnight of first+i (one more than there are dates). A window that starts
    no later than mids[1] may have begun before `first`: its true start is unknown.
    """

    first: date
    mids: list[int]
    windows: list[list[int]]


class Hours:
    """A host's weekly hours and overrides, checked once, ready to lay onto any dates."""

    __slots__ = ("only_days", "overrides", "weekly", "zone")

    def __init__(
        self,
        zone: ZoneInfo,
        weekly: list[list[tuple[int, int]]],
        overrides: dict,
        only_days: frozenset[date] | None = None,
    ):
        self.zone = zone
        self.weekly = weekly
        self.overrides = overrides
        self.only_days = only_days

    @classmethod
    def from_schedule(cls, schedule: Schedule) -> "Hours | None":
        """Return the usable hours, or None when the zone is unknown (no slots at all)."""
        zone = load_zone(schedule.tz)
        if zone is None:
            return None
        weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for item in schedule.weekly:
            weekday = item.weekday
            if (
                isinstance(weekday, int)
                and 0 <= weekday <= 6
                and _valid_minutes(item.start_minute, item.end_minute)
            ):
                weekly[weekday].append((item.start_minute * 60, item.end_minute * 60))
        overrides: dict[date, list[tuple[int, int]]] = {}
        for override in schedule.overrides:
            day = override.day
            if isinstance(day, datetime):
                day = day.date()
            if not isinstance(day, date):
                continue
            # The override replaces the day even when all its intervals are invalid: a day off.
            bucket = overrides.setdefault(day, [])
            for start, end in override.intervals:
                if _valid_minutes(start, end):
                    bucket.append((start * 60, end * 60))
        # A holiday yields to the host's own override of that date; an absence does not.
        for day in _dates(schedule.holidays):
            overrides.setdefault(day, [])
        for day in _dates(schedule.days_off):
            overrides[day] = []
        only = schedule.only_days
        only_days = None if only is None else frozenset(_dates(only))
        return cls(zone, weekly, overrides, only_days)

    def signature(self) -> tuple:
        """Everything the hours hold, hashable: equal signatures lay out equal spans."""
        only = self.only_days
        return (
            self.zone,
            tuple(tuple(day) for day in self.weekly),
            tuple(sorted((day, tuple(spans)) for day, spans in self.overrides.items())),
            None if only is None else tuple(sorted(only)),
        )

    def span(self, first: date, last: date) -> Span:
        """Lay the hours of local dates first..last onto absolute time and merge them."""
        utcoffset = self.zone.utcoffset
        overrides = self.overrides
        weekly = self.weekly
        only_days = self.only_days
        count = (last - first).days + 1
        days = [first + timedelta(days=i) for i in range(count + 1)]
        # Inlined wall_to_seconds (fold=0): this runs for every endpoint of every day asked for.
        bases = [datetime(day.year, day.month, day.day) for day in days]
        locals_ = [(day.toordinal() - EPOCH_ORDINAL) * DAY for day in days]
        mids = []
        for base, local in zip(bases, locals_, strict=True):
            offset = utcoffset(base)
            mids.append(local - offset.days * DAY - offset.seconds)
        raw = []
        for i in range(count):
            day = days[i]
            intervals = overrides.get(day)
            if intervals is None:
                intervals = weekly[day.weekday()]
            if only_days is not None and day not in only_days:
                intervals = ()
            base = bases[i]
            local = locals_[i]
            for start, end in intervals:
                if start == 0:
                    a = mids[i]
                else:
                    offset = utcoffset(base + timedelta(seconds=start))
                    a = local + start - offset.days * DAY - offset.seconds
                if end == DAY:
                    b = mids[i + 1]
                else:
                    offset = utcoffset(base + timedelta(seconds=end))
                    b = local + end - offset.days * DAY - offset.seconds
                # A span whose end falls in a skipped hour can come out reversed: nothing left.
                if b > a:
                    raw.append((a, b))
        raw.sort()
        merged: list[list[int]] = []
        for a, b in raw:
            if merged and a <= merged[-1][1]:
                if b > merged[-1][1]:
                    merged[-1][1] = b
            else:
                merged.append([a, b])
        return Span(first, mids, merged)

    def local_date(self, seconds: int) -> date:
        return wall_clock(self.zone, seconds).date()

    def cover(self, lo: int, hi: int, until: int, reach_ahead: bool = False) -> Span:
        """Windows around [lo, hi) with their true starts, and ends exact up to `until`.

        Only a window that runs back into the first laid-out day makes us look REACH_DAYS back,
        so ordinary working hours cost just the dates asked for.
        """
        near = self.local_date(lo)
        first = near - timedelta(days=2)
        last = self.local_date(until) + timedelta(days=1)
        span = self.span(first, last)
        if any(w[1] > lo for w in span.windows if w[0] <= span.mids[1]):
            first = near - timedelta(days=REACH_DAYS)
            span = self.span(first, last)
        if reach_ahead and any(w[0] < hi for w in span.windows if w[1] >= span.mids[-2]):
            last = self.local_date(hi - 1) + timedelta(days=REACH_DAYS)
            span = self.span(first, last)
        return span


def compute_windows(schedule: Schedule, start: datetime, end: datetime) -> list[Interval]:
    """Return the merged windows (UTC) that intersect [start, end), with their true ends.

    Availability that never closes is followed REACH_DAYS beyond the range and cut there.
    """
    require_aware(start, end)
    hours = Hours.from_schedule(schedule)
    if hours is None:
        return []
    lo = floor_seconds(start)
    hi = min(ceil_seconds(end), lo + MAX_WINDOW_RANGE_DAYS * DAY)
    if hi <= lo or not in_safe_range(lo, hi):
        return []
    span = hours.cover(lo, hi, hi, reach_ahead=True)
    return [
        Interval(from_seconds(a), from_seconds(b)) for a, b in span.windows if b > lo and a < hi
    ]
