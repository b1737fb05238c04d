"""Busy intervals from external iCalendar data (ICS subscriptions, CalDAV resources).

Pure: no Flask, no DB, no clock.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar


class ParseError(ValueError):
    """The data is not a calendar we accept; the message is shown to the host."""


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one hostile or broken calendar from eating the server."""

    max_bytes: int = 10 * 1024 * 1024
    max_events: int = 20_000
    max_occurrences: int = 50_000


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime


def _instant(value, zone: ZoneInfo) -> datetime:
    """DATE and floating times are read in the host's zone (RFC 5545 3.3.4, 3.3.5)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)
    raise ParseError("An event has a start or end that is not a date or time.")


def _blocks(event, include_tentative: bool) -> bool:
    status = str(event.get("status", "CONFIRMED")).upper()
    if status == "CANCELLED":
        return False
    if status == "TENTATIVE" and not include_tentative:
        return False
    return str(event.get("transp", "OPAQUE")).upper() != "TRANSPARENT"


def _calendars(data: bytes) -> list[Calendar]:
    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ParseError(f"This is not a valid iCalendar file ({exc}).") from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise ParseError("This is not an iCalendar file (no VCALENDAR found).")
    return calendars


def parse_busy(
    data: bytes | list[bytes],
    window_start: datetime,
    window_end: datetime,
    tz: str,
    *,
    include_tentative: bool = False,
    limits: Limits = Limits(),
    ignore_uids: frozenset[str] = frozenset(),
) -> list[Busy]:
    """Busy intervals overlapping [window_start, window_end), merged and sorted.

    Recurrences are expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID); free (TRANSPARENT) and
    cancelled events are ignored, tentative ones only count when asked; feeds that name their
    zone only in X-WR-TIMEZONE are repaired first. Events whose UID is in ignore_uids (copies of
    our own bookings, written back) are skipped: the booking blocks that time already, and a
    copy must not stop it from moving. Raises ParseError with a readable message.
    """
    parts = data if isinstance(data, list) else [data]
    if sum(len(part) for part in parts) > limits.max_bytes:
        raise ParseError(f"The calendar is larger than {limits.max_bytes // (1024 * 1024)} MB.")
    zone = ZoneInfo(tz)
    calendars = [cal for part in parts for cal in _calendars(part)]
    events = sum(len(cal.walk("VEVENT")) for cal in calendars)
    if events > limits.max_events:
        raise ParseError(f"The calendar has {events} events; at most {limits.max_events} are read.")
    intervals: list[tuple[datetime, datetime]] = []
    occurrences = 0
    for calendar in calendars:
        try:
            calendar = x_wr_timezone.to_standard(calendar)
            query = recurring_ical_events.of(calendar, skip_bad_series=True)
            # after() yields in start order, so a rule repeating every second stops at the limit
            # instead of being expanded over the whole window first.
            for event in query.after(window_start):
                start_value = event.decoded("dtstart")
                start = _instant(start_value, zone)
                if start >= window_end:
                    break
                occurrences += 1
                if occurrences > limits.max_occurrences:
                    raise ParseError(
                        f"The calendar repeats more than {limits.max_occurrences} times "
                        "in the imported range."
                    )
                if not _blocks(event, include_tentative) or str(event.get("uid")) in ignore_uids:
                    continue
                end = _end(event, start_value, zone)
                if end > start and end > window_start:
                    intervals.append((max(start, window_start), min(end, window_end)))
        except ParseError:
            raise
        except Exception as exc:  # third-party parsers raise anything on bad data
            raise ParseError(
                f"The calendar could not be read ({type(exc).__name__}: {exc})."
            ) from None
    return merge(intervals)


def _end(event, start_value, zone: ZoneInfo) -> datetime:
    if "dtend" in event:
        return _instant(event.decoded("dtend"), zone)
    if "duration" in event:
        if isinstance(start_value, datetime):
            return _instant(start_value, zone) + event.decoded("duration")
        return _instant(start_value + event.decoded("duration"), zone)
    if isinstance(start_value, datetime):
        return _instant(start_value, zone)  # RFC 5545: no end, no duration -> an instant
    return _instant(start_value + timedelta(days=1), zone)  # an all-day event lasts one day


def merge(intervals: list[tuple[datetime, datetime]]) -> list[Busy]:
    """Sorted, with overlapping or touching intervals joined: fewer rows to store and compare."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [Busy(start, end) for start, end in merged]
