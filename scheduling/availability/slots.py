"""Free slot starts from hours, event rules and busy time. Pure: no Flask, no DB, no clock.

Everything inside runs on whole epoch seconds: busy time is turned once into sorted ranges of
forbidden slot starts, and each grid segment is cut by them with one forward sweep, so a month of
slots against hundreds of bookings stays linear.
"""

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import accumulate
from operator import sub
from zoneinfo import ZoneInfo

from .model import MAX_RANGE_DAYS, Interval, Schedule, SlotSettings
from .windows import Hours, Span, in_safe_range
from .zones import (
    DAY,
    FIRST_SECOND,
    LAST_SECOND,
    UTC,
    ceil_seconds,
    floor_seconds,
    from_seconds,
    require_aware,
    wall_clock,
    wall_to_seconds,
)

# A window restarts its grid at the local midnight of every date more than this many dates after
# the date it opened on (DESIGN.md: "no window start in the 14 days before").
NEVER_CLOSES_DAYS = 14
# Meetings longer than a year are nonsense, and would make us lay out hours for ever.
MAX_DURATION_MINUTES = 366 * 1440
# The widest minimum gap between a host's meetings a setting may ask for (a day).
MAX_GAP_MINUTES = 1440
_ALIGNMENTS = (60, 30, 20, 15, 10, 5)
_EPOCH = from_seconds(0)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _usable(settings: SlotSettings) -> bool:
    """False for settings a form would refuse; such an event type offers nothing."""
    counts = (
        settings.duration,
        settings.step,
        settings.buffer_before,
        settings.buffer_after,
        settings.min_notice,
        settings.horizon_days,
    )
    if not all(_is_int(value) for value in counts):
        return False
    limit = settings.daily_limit
    weekly = settings.weekly_limit
    gap = settings.min_gap
    return (
        0 < settings.duration <= MAX_DURATION_MINUTES
        and settings.step > 0
        and min(settings.buffer_before, settings.buffer_after) >= 0
        and settings.min_notice >= 0
        and settings.horizon_days >= 0
        and (limit is None or (_is_int(limit) and limit > 0))
        and (weekly is None or (_is_int(weekly) and weekly > 0))
        and _is_int(gap)
        and 0 <= gap <= MAX_GAP_MINUTES
    )


def alignment(step: int) -> int:
    """Minutes the first start of a window is rounded up to, so grids look like a clock's."""
    for unit in _ALIGNMENTS:
        if step % unit == 0:
            return unit
    return 1


def _first_start(zone: ZoneInfo, wall: datetime, start: int, unit: int) -> int:
    """The window's wall-clock start rounded up to `unit` seconds after local midnight."""
    of_day = wall.hour * 3600 + wall.minute * 60 + wall.second
    rounded = -(-of_day // unit) * unit
    if rounded == of_day:
        return start
    day = wall.date()
    first = wall_to_seconds(zone, day, rounded)
    if first < start:
        # Only a window that opens in the second pass of a repeated hour gets here: keep to it.
        first = max(start, wall_to_seconds(zone, day, rounded, fold=1))
    return first


def _forbidden(
    busy: Iterable[Interval],
    full_days: list[tuple[int, int]],
    settings: SlotSettings,
    lo: int,
    hi: int,
    busy_seconds: Iterable[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Sorted [from, to) ranges of slot starts that busy time or full days rule out.

    A start s is blocked by busy [a, b) when [s - before, s + duration + after) meets it, that is
    when a - duration - after < s < b + before. One pass, no helper calls: with hundreds of busy
    intervals per host this loop is the engine's hot spot. The ranges may overlap: _cut() needs
    them sorted only.
    """
    reach_back = settings.duration * 60 + settings.buffer_after * 60 - 1
    reach_ahead = settings.buffer_before * 60
    # Plain datetime comparisons first: they are cheap, and a one-slot check skips most busy time.
    ends_after = from_seconds(max(lo - reach_ahead, FIRST_SECOND))
    starts_before = from_seconds(min(hi + reach_back, LAST_SECOND))
    ranges = list(full_days)
    append = ranges.append
    for item in busy:
        start = item.start
        end = item.end
        try:
            if end <= ends_after or start >= starts_before or end <= start:
                continue
        except TypeError:
            raise ValueError("aware datetimes required") from None
        head = start - _EPOCH
        tail = end - _EPOCH
        # Whole seconds, widened outwards so no overlap is lost.
        append(
            (
                head.days * DAY + head.seconds - reach_back,
                tail.days * DAY + tail.seconds + (tail.microseconds > 0) + reach_ahead,
            )
        )
    # The same in whole seconds: start rounded down, end up, as the loop above does.
    first_end = max(lo - reach_ahead, FIRST_SECOND)
    last_start = min(hi + reach_back, LAST_SECOND)
    ranges += [
        (head_s - reach_back, tail_s + reach_ahead)
        for head_s, tail_s in busy_seconds
        if tail_s > first_end and head_s < last_start and tail_s > head_s
    ]
    ranges.sort()
    return ranges


def _full_days(
    hours: Hours, span: Span, booked: Iterable[datetime], limit: int | None
) -> list[tuple[int, int]]:
    """Absolute spans of the host's local dates that already hold `limit` bookings.

    Without a limit the starts are not even read: callers may pass them regardless.
    """
    if limit is None:
        return []
    zone = hours.zone
    mids = span.mids
    # Only dates we laid out can matter; comparing first keeps long booking lists cheap.
    earliest, latest = from_seconds(mids[0]), from_seconds(mids[-1])
    counts: Counter[date] = Counter()
    for start in booked:
        try:
            if start < earliest or start >= latest:
                continue
        except TypeError:
            raise ValueError("aware datetimes required") from None
        counts[start.astimezone(zone).date()] += 1
    out = []
    for day, count in counts.items():
        index = (day - span.first).days
        if count >= limit and 0 <= index < len(mids) - 1:
            out.append((mids[index], mids[index + 1]))
    return out


def _full_weeks(
    hours: Hours, booked: Iterable[datetime], limit: int | None
) -> list[tuple[int, int]]:
    """Absolute spans of the host's local ISO weeks (Monday 00:00 to Monday 00:00) that
    already hold `limit` bookings. Callers pass the starts of whole weeks around the range.
    """
    if limit is None:
        return []
    zone = hours.zone
    counts: Counter[date] = Counter()
    for start in booked:
        require_aware(start)
        day = start.astimezone(zone).date()
        counts[day - timedelta(days=day.weekday())] += 1
    return [
        (wall_to_seconds(zone, monday, 0), wall_to_seconds(zone, monday + timedelta(days=7), 0))
        for monday, count in counts.items()
        if count >= limit
    ]


def _gap_ranges(meetings: Iterable[Interval], gap: int, duration: int) -> list[tuple[int, int]]:
    """Slot starts (seconds, [from, to)) whose meeting would come closer than `gap` minutes to
    one of the host's meetings: with meeting [a, b), a start s is refused when
    s < b + gap and s + duration > a - gap. A gap of 0 adds nothing (buffers and busy time
    already keep meetings apart)."""
    if gap <= 0:
        return []
    gap_s = gap * 60
    out = []
    for meeting in meetings:
        require_aware(meeting.start, meeting.end)
        if meeting.end <= meeting.start:
            continue
        # Whole seconds, widened outwards so no closeness is lost.
        a = floor_seconds(meeting.start)
        b = ceil_seconds(meeting.end)
        out.append((a - gap_s - duration + 1, b + gap_s))
    return out


def _grid(hours: Hours, span: Span, step: int, duration: int, lo: int, hi: int) -> list[int]:
    """Every grid start in [lo, hi), in seconds, ascending, before busy time takes any away.

    It depends on the hours and the rules only, so hosts with the same hours share it.
    """
    zone = hours.zone
    step_s = step * 60
    unit = alignment(step) * 60
    mids = span.mids
    last_mid = len(mids) - 1
    out: list[int] = []

    def emit(anchor: int, a: int, b: int) -> None:
        """Add anchor + k*step for starts a..b (inclusive)."""
        if a > b:
            return
        first = anchor + -((anchor - a) // step_s) * step_s
        if first <= b:
            out.extend(range(first, b + 1, step_s))

    day_of_lo = max(bisect_right(mids, lo) - 1, 0)
    for start, end in span.windows:
        latest = min(end - duration, hi - 1)
        if latest < lo or latest < start:
            continue
        if start <= mids[1]:
            # Open since before what we laid out: it never closes, so every midnight anchors.
            j = bisect_left(mids, start)
        else:
            wall = wall_clock(zone, start)
            anchor = _first_start(zone, wall, start, unit)
            j = (wall.date() - span.first).days + NEVER_CLOSES_DAYS + 1
            own_last = latest if j > last_mid else min(latest, mids[j] - 1)
            emit(anchor, max(anchor, lo), own_last)
        j = max(j, day_of_lo)
        while j < last_mid and mids[j] <= latest:
            midnight = mids[j]
            emit(midnight, max(midnight, lo), min(latest, mids[j + 1] - 1))
            j += 1
    return out


def _cut(grid: list[int], forbidden: list[tuple[int, int]]) -> list[int]:
    """The grid starts no forbidden [from, to) range holds (ranges sorted by their start).

    Slices between bisections, so a host costs a few operations per busy range rather than one
    per slot. A range may overlap the ones before it: what they took is behind `pos` already.
    """
    out: list[int] = []
    pos = 0
    size = len(grid)
    for a, b in forbidden:
        i = bisect_left(grid, a, pos)
        if i >= size:
            break
        if grid[i] >= b:
            continue  # busy outside the hours, or between two starts: nothing to take
        out += grid[pos:i]
        pos = bisect_left(grid, b, i + 1)
    out += grid[pos:]
    return out


def _layout_key(hours: Hours, step: int, duration: int, lo: int, hi: int) -> tuple:
    """What the laid-out grid depends on, as plain checked values (equal keys, equal grids)."""
    return (hours.signature(), step, duration, lo, hi)


def datetimes_from_seconds(starts: list[int]) -> list[datetime]:
    """UTC datetimes of ascending seconds; one conversion, then exact timedelta steps."""
    if not starts:
        return []
    gaps = list(map(sub, starts[1:], starts[:-1]))
    deltas = {gap: timedelta(seconds=gap) for gap in set(gaps)}
    return list(accumulate(map(deltas.__getitem__, gaps), initial=from_seconds(starts[0])))


def compute_slot_seconds(
    schedule: Schedule,
    settings: SlotSettings,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Iterable[Interval] = (),
    booked_starts: Iterable[datetime] = (),
    busy_seconds: Iterable[tuple[int, int]] = (),
    meetings: Iterable[Interval] = (),
    layouts: dict | None = None,
) -> list[int]:
    """Return the free slot starts in [start, end) as sorted, unique epoch seconds.

    Callers that combine many hosts union these integers, which is far cheaper than datetimes,
    and may pass the same `layouts` dict for every host: hosts whose hours come out the same
    (same zone, weekly hours, overrides and days off near the range) then share one laid-out
    grid, and only their busy time is worked out per host. The dict may be reused with any
    arguments: its keys hold everything the grid depends on.
    busy_seconds is more busy time as (start rounded down, end rounded up) epoch seconds, as a
    database can compute them without a datetime per row; a caller leaves out intervals that are
    empty before rounding (they block nothing).

    busy holds occupied intervals already widened by their own bookings' buffers; booked_starts
    the starts of this host's confirmed bookings of this event type, for the daily and weekly
    limits (with a weekly limit, of the whole local weeks the range touches); meetings the
    host's confirmed meetings of any event type (not widened), for the minimum gap. Bad
    settings or an unknown zone give no slots; naive datetimes raise ValueError (busy and booked
    starts only once there is something to check them against).
    """
    require_aware(start, end, now)
    hours = Hours.from_schedule(schedule)
    if hours is None or not _usable(settings):
        return []
    first = ceil_seconds(start)
    last = min(ceil_seconds(end), first + MAX_RANGE_DAYS * DAY)
    now_s = ceil_seconds(now)
    # Slots are whole seconds, so s >= x and s < x hold exactly when they hold for ceil(x).
    lo = max(first, now_s + settings.min_notice * 60)
    hi = min(last, now_s + settings.horizon_days * DAY)
    if lo >= hi or not in_safe_range(lo, hi):
        return []
    duration = settings.duration * 60
    key = None if layouts is None else _layout_key(hours, settings.step, duration, lo, hi)
    laid_out = None if key is None else layouts.get(key)
    if laid_out is None:
        span = hours.cover(lo, hi, hi - 1 + duration)
        laid_out = (span, _grid(hours, span, settings.step, duration, lo, hi))
        if key is not None:
            layouts[key] = laid_out
    span, grid = laid_out
    if settings.weekly_limit is not None:
        booked_starts = list(booked_starts)  # read twice: per day and per week
    full = _full_days(hours, span, booked_starts, settings.daily_limit)
    full += _full_weeks(hours, booked_starts, settings.weekly_limit)
    full += _gap_ranges(meetings, settings.min_gap, duration)
    forbidden = _forbidden(busy, full, settings, lo, hi, busy_seconds)
    return _cut(grid, forbidden)


def compute_slots(
    schedule: Schedule,
    settings: SlotSettings,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Iterable[Interval] = (),
    booked_starts: Iterable[datetime] = (),
    meetings: Iterable[Interval] = (),
) -> list[datetime]:
    """Return the free slot starts in [start, end) as sorted, unique UTC datetimes.

    The rules and their edge cases are those of compute_slot_seconds.
    """
    return datetimes_from_seconds(
        compute_slot_seconds(
            schedule, settings, start, end, now, busy, booked_starts, meetings=meetings
        )
    )


def is_slot_available(
    schedule: Schedule,
    settings: SlotSettings,
    slot_start: datetime,
    now: datetime,
    busy: Iterable[Interval] = (),
    booked_starts: Iterable[datetime] = (),
    meetings: Iterable[Interval] = (),
) -> bool:
    """Return True iff compute_slots would offer exactly this start (on grid, free, in time).

    Asks the engine for a one-microsecond range, so only the nearby days are laid out.
    """
    require_aware(slot_start)
    try:
        end = slot_start + timedelta(microseconds=1)
    except OverflowError:
        return False
    slots = compute_slots(schedule, settings, slot_start, end, now, busy, booked_starts, meetings)
    return slots == [slot_start]


def occupied_interval(
    start: datetime, end: datetime, buffer_before: int, buffer_after: int
) -> Interval:
    """Return the meeting widened by its buffers, in UTC: what a booking keeps others from.

    Negative buffers count as none, so the interval never shrinks below the meeting itself.
    """
    require_aware(start, end)
    return Interval(
        (start - timedelta(minutes=max(0, buffer_before))).astimezone(UTC),
        (end + timedelta(minutes=max(0, buffer_after))).astimezone(UTC),
    )
