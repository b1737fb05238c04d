"""Host-zone arithmetic between wall clocks and epoch seconds. Pure: no Flask, no DB, no clock.

The engine works in whole epoch seconds (ints) so comparisons are exact and cheap; datetimes are
made only at the edges.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# The first and last whole seconds a datetime can hold.
FIRST_SECOND = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)
LAST_SECOND = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)


def load_zone(name: object) -> ZoneInfo | None:
    """Return the zone, or None when the name is no usable IANA key (bad settings, not a crash)."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    # ValueError: malformed keys such as "../etc"; OSError: directories such as "Europe".
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def require_aware(*values: datetime) -> None:
    """Refuse naive datetimes: guessing their zone would move slots silently."""
    for value in values:
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError("aware datetimes required")


def floor_seconds(value: datetime) -> int:
    """Whole epoch seconds at or before an aware datetime."""
    delta = value - _EPOCH
    return delta.days * DAY + delta.seconds


def ceil_seconds(value: datetime) -> int:
    """Whole epoch seconds at or after an aware datetime."""
    delta = value - _EPOCH
    return delta.days * DAY + delta.seconds + (delta.microseconds > 0)


def from_seconds(seconds: int) -> datetime:
    """Aware UTC datetime of whole epoch seconds."""
    return _EPOCH + timedelta(seconds=seconds)


def wall_to_seconds(zone: ZoneInfo, day: date, seconds: int, fold: int = 0) -> int:
    """Epoch seconds of the wall time `seconds` after local midnight of `day` (86400 = 24:00).

    fold=0 reads a skipped time with the offset in force before the change and a repeated time as
    its first occurrence, as the slot rules decide.
    """
    naive = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)
    if fold:
        naive = naive.replace(fold=fold)
    offset = zone.utcoffset(naive)
    return (day.toordinal() - EPOCH_ORDINAL) * DAY + seconds - (offset.days * DAY + offset.seconds)


def wall_clock(zone: ZoneInfo, seconds: int) -> datetime:
    """The host's wall clock at epoch seconds (aware, with the right fold)."""
    return from_seconds(seconds).astimezone(zone)


def local_day_range(tz: str, first: date, last: date) -> tuple[datetime, datetime]:
    """Return the absolute [start, end) of local dates first..last inclusive in zone tz.

    Midnight to midnight, so DST days are 23 or 25 hours long; last before first gives an empty
    range at first's midnight.
    """
    zone = load_zone(tz)
    if zone is None:
        raise ValueError(f"unknown time zone {tz!r}")
    start = wall_to_seconds(zone, first, 0)
    end = wall_to_seconds(zone, last + timedelta(days=1), 0) if last >= first else start
    return from_seconds(start), from_seconds(end)


def group_by_local_date(slots: Iterable[datetime], tz: str) -> dict[date, list[datetime]]:
    """Group slot starts by their local date in zone tz, keeping their order."""
    zone = load_zone(tz)
    if zone is None:
        raise ValueError(f"unknown time zone {tz!r}")
    groups: dict[date, list[datetime]] = {}
    for slot in slots:
        require_aware(slot)
        groups.setdefault(slot.astimezone(zone).date(), []).append(slot)
    return groups


def local_isoformats(moments: Iterable[datetime], tz: str) -> list[str]:
    """moment.astimezone(zone).isoformat() of each moment, built from cached pieces: a team's
    month has thousands of starts on a few dates, times and offsets (date, "T", time, offset)."""
    zone = ZoneInfo(tz)
    dates: dict = {}
    times: dict = {}
    offsets: dict = {}
    out = []
    for moment in moments:
        local = moment.astimezone(zone)
        day = local.date()
        head = dates.get(day)
        if head is None:
            head = dates[day] = day.isoformat() + "T"
        clock_time = local.time()
        middle = times.get(clock_time)
        if middle is None:
            middle = times[clock_time] = clock_time.isoformat()
        offset = local.utcoffset()
        tail = offsets.get(offset)
        if tail is None:
            whole = local.isoformat()
            tail = offsets[offset] = whole[len(head) + len(middle) :]
        out.append(head + middle + tail)
    return out
