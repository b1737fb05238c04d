"""Busy intervals from external iCalendar data (ICS subscriptions, CalDAV resources).

Pure: no Flask, no DB, no clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # loaded on first parse: web workers that never import calendars skip ~7 MB
    from icalendar import Calendar


class ParseError(ValueError):
    """The data is not a calendar we accept; the message is shown to the host."""


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one hostile or broken calendar from eating the server."""

    max_bytes: int = 10 * 1024 * 1024
    max_events: int = 20_000
    max_occurrences: int = 50_000
    # Recurrence periods walked from each series' DTSTART (the rule engine steps through every
    # one, even those before the window): FREQ=HOURLY since the year 1 is refused, not run.
    max_steps: int = 1_000_000
    # Wall time for expanding, checked between series: a rule that never matches (e.g. every
    # 30 February) makes the engine search up to the year 9999, several seconds each.
    max_seconds: float = 20.0


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
        return datetime.combine(value, time_of_day(0), tzinfo=zone).astimezone(UTC)
    raise ParseError("An event has a start or end that is not a date or time.")


def _blocks(event, include_tentative: bool) -> bool:
    status = str(event.get("status", "CONFIRMED")).upper()
    if status == "CANCELLED":
        return False
    if status == "TENTATIVE" and not include_tentative:
        return False
    return str(event.get("transp", "OPAQUE")).upper() != "TRANSPARENT"


def _calendars(data: bytes) -> list[Calendar]:
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        raise ParseError(
            "The address returned a web page, not a calendar (a login page or a wrong link?)."
        )
    try:
        from icalendar import Calendar

        calendars = Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ParseError(f"This is not a valid iCalendar file ({exc}).") from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise ParseError("This is not an iCalendar file (no VCALENDAR found).")
    return calendars


def _all_calendars(parts: list[bytes]) -> list[Calendar]:
    """CalDAV resources one by one: a broken one is skipped unless none can be read."""
    calendars, errors = [], []
    for part in parts:
        try:
            calendars.extend(_calendars(part))
        except ParseError as exc:
            errors.append(exc)
    if errors and not calendars:
        raise errors[0]
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
    calendars = _all_calendars(parts) if isinstance(data, list) else _calendars(data)
    events = sum(len(cal.walk("VEVENT")) for cal in calendars)
    if events > limits.max_events:
        raise ParseError(f"The calendar has {events} events; at most {limits.max_events} are read.")
    estimate = steps = 0.0
    for calendar in calendars:
        for event in _usable_events(calendar, window_end, zone):
            occurrences, walked = _estimate(event, window_start, window_end, zone)
            estimate += occurrences
            steps += walked
    if estimate > limits.max_occurrences:
        raise ParseError(_too_many(limits))
    if steps > limits.max_steps:
        raise ParseError(
            "The calendar has events that repeat too often for too long (for example every "
            "hour since many years); it cannot be read."
        )
    intervals: list[tuple[datetime, datetime]] = []
    occurrences = 0
    deadline = time.monotonic() + limits.max_seconds
    groups = [group for calendar in calendars for group in _groups(_repaired(calendar))]
    for group in groups:
        if time.monotonic() > deadline:
            raise ParseError(
                f"The calendar took longer than {limits.max_seconds:g} s to read (repeat rules "
                "that never or rarely match?)."
            )
        try:
            import recurring_ical_events

            query = recurring_ical_events.of(group, skip_bad_series=True)
            for event in query.between(window_start, window_end):
                occurrences += 1
                if occurrences > limits.max_occurrences:
                    raise ParseError(_too_many(limits))
                if not _blocks(event, include_tentative) or str(event.get("uid")) in ignore_uids:
                    continue
                start_value = event.decoded("dtstart")
                start = _instant(start_value, zone)
                end = _end(event, start_value, zone)
                if end > start and end > window_start and start < window_end:
                    intervals.append((max(start, window_start), min(end, window_end)))
        except ParseError:
            raise
        except Exception as exc:  # third-party parsers raise anything on bad data
            raise ParseError(
                f"The calendar could not be read ({type(exc).__name__}: {exc})."
            ) from None
    return merge(intervals)


# Rule parts that can filter out every candidate (30 February, BYSETPOS=5 of a daily set ...).
_FILTERS = ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "BYMONTH", "BYHOUR", "BYMINUTE")


def _groups(calendar: Calendar) -> list[Calendar]:
    """The calendar as one part with the plain events, and one part per filtering series.

    So the expansion deadline is checked after each series that may search for a long time.
    A series keeps its overrides (same UID) and every part keeps the time zones.
    """
    suspicious: dict[str, list] = {}
    for event in calendar.walk("VEVENT"):
        rule = _rule(event)
        if rule is not None and any(rule.get(part) for part in _FILTERS):
            suspicious.setdefault(str(event.get("uid")), [])
    if not suspicious:
        return [calendar]
    rest = []
    for component in calendar.subcomponents:
        uid = str(component.get("uid")) if component.name == "VEVENT" else None
        suspicious.get(uid, rest).append(component)
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    parts = []
    for components in [rest, *(zones + events for events in suspicious.values())]:
        from icalendar import Calendar

        part = Calendar()
        part.update(calendar)
        part.subcomponents = components
        parts.append(part)
    return parts


def _repaired(calendar: Calendar) -> Calendar:
    """Apply X-WR-TIMEZONE; an unknown zone name there is ignored rather than fatal."""
    try:
        import x_wr_timezone

        return x_wr_timezone.to_standard(calendar)
    except Exception:  # e.g. ZoneInfoNotFoundError for "Mars/Olympus"
        calendar.pop("X-WR-TIMEZONE", None)  # recurring_ical_events would apply it again
        return calendar


def _too_many(limits: Limits) -> str:
    return f"The calendar repeats more than {limits.max_occurrences} times in the imported range."


# Occurrences per day of each frequency, and which BY parts multiply them (RFC 5545 3.3.10).
_RATE = {
    "SECONDLY": 86400.0,
    "MINUTELY": 1440.0,
    "HOURLY": 24.0,
    "DAILY": 1.0,
    "WEEKLY": 1 / 7,
    "MONTHLY": 1 / 28,
    "YEARLY": 1 / 365,
}
_ORDER = list(_RATE)
_EXPANDS = {"BYSECOND": "SECONDLY", "BYMINUTE": "MINUTELY", "BYHOUR": "HOURLY"}


def _usable_events(calendar: Calendar, window_end: datetime, zone: ZoneInfo) -> list:
    """Drop the VEVENTs no engine can expand, so one broken event does not hide the others.

    Gone: no readable DTSTART, an unreadable RRULE (e.g. FREQ=FOO, COUNT beyond 32 bits) or one
    with INTERVAL below 1 (which makes the rule engine loop forever), and single events that
    start after the window (such as the year 9999, which would overflow the expansion).
    """
    kept, usable = [], []
    for component in calendar.subcomponents:
        if component.name != "VEVENT":
            kept.append(component)
            continue
        try:
            start_value = component.decoded("dtstart")
            start = _instant(start_value, zone)
            _end(component, start_value, zone)  # e.g. DURATION:P99999999W overflows
            rule = _rule(component)
            if rule is not None and not _sane_rule(rule):
                continue
            if rule is None and "rdate" not in component and start >= window_end:
                continue
            _estimate(component, window_end, window_end, zone)
        except Exception:  # noqa: S112 (any defect in one event only drops that event)
            continue
        kept.append(component)
        usable.append(component)
    calendar.subcomponents = kept
    return usable


# Allowed values of the BY parts (RFC 5545 3.3.10); others make the rule engine fail or spin.
_RANGES = {
    "BYSECOND": (0, 60),
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366),
    "BYWEEKNO": (-53, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (-366, 366),
}


def _sane_rule(rule) -> bool:
    """INTERVAL of at least 1 (0 loops forever) and BY values within their ranges."""
    if int((rule.get("INTERVAL") or [1])[0]) < 1:
        return False
    for part, (low, high) in _RANGES.items():
        for value in rule.get(part) or []:
            if not low <= int(value) <= high or (value == 0 and part not in _ZERO_OK):
                return False
    for day in rule.get("BYDAY") or []:
        ordinal = str(day)[:-2]
        if ordinal not in ("", "+", "-") and not 1 <= abs(int(ordinal)) <= 53:
            return False
    return True


_ZERO_OK = {"BYSECOND", "BYMINUTE", "BYHOUR"}


def _rule(event):
    rule = event.get("rrule")
    if rule is None:
        return None
    rule = rule[0] if isinstance(rule, list) else rule
    rule.get("FREQ")  # a broken property (vBroken) raises here
    return rule


def _estimate(
    event, window_start: datetime, window_end: datetime, zone: ZoneInfo
) -> tuple[float, float]:
    """Upper bounds of a series' occurrences in the range, and of the periods walked to get there.

    Expanding first and counting later would let one FREQ=SECONDLY rule take minutes of CPU;
    these bounds refuse such a calendar at once. The rule engine steps through every period from
    DTSTART on (also those before the window), so that walk is bounded separately.
    """
    rdates = event.get("rdate") or []
    extra = sum(len(item.dts) for item in (rdates if isinstance(rdates, list) else [rdates]))
    rule = _rule(event)
    if rule is None:
        return 1 + extra, 0
    freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
    if freq not in _RATE:
        return 1, 0
    interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    count = rule.get("COUNT")
    rate = _RATE[freq] / interval
    first = _instant(event.decoded("dtstart"), zone)
    walk_end = window_end
    until = rule.get("UNTIL")
    if until:
        walk_end = min(walk_end, _instant(until[0], zone))
    steps = rate * max(0.0, (walk_end - first).total_seconds() / 86400) + 1
    level = _ORDER.index(freq)
    for part, finest in _EXPANDS.items():
        if rule.get(part) and level > _ORDER.index(finest):
            rate *= len(rule[part])
    if rule.get("BYDAY") and freq in ("WEEKLY", "MONTHLY", "YEARLY"):
        rate *= len(rule["BYDAY"]) * (1 if freq == "WEEKLY" else 5 if freq == "MONTHLY" else 53)
    if rule.get("BYMONTHDAY") and freq in ("MONTHLY", "YEARLY"):
        rate *= len(rule["BYMONTHDAY"]) * (12 if freq == "YEARLY" else 1)
    if freq == "YEARLY":
        for part in ("BYMONTH", "BYYEARDAY", "BYWEEKNO"):
            if rule.get(part):
                rate *= len(rule[part]) * (7 if part == "BYWEEKNO" else 1)
    days = max(1.0, (window_end - window_start).total_seconds() / 86400)
    bound = rate * days + 1 + extra
    if count:
        bound = min(bound, int(count[0]))
        if not any(part.startswith("BY") for part in rule):
            steps = min(steps, int(count[0]))  # every period is an occurrence: COUNT ends it
    return bound, steps


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
