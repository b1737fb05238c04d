"""Recurring events in the fake Google Calendar: a master event with RRULE/RDATE/EXDATE lines in
`recurrence` expands into instances, as events.list with singleEvents=true and freeBusy see them.

Instance ids follow Google's form: "<master id>_20300107T090000Z" (timed), "<master id>_20300107"
(all-day); instances carry recurringEventId and originalStartTime.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from .google_payloads import event_bounds, event_instant

HORIZON = timedelta(days=366)  # an open-ended series is expanded this far past its first start
LIMIT = 1000  # instances per series at most


def rule_problem(data: dict) -> str:
    """Why the event's recurrence cannot be expanded ("" when it can or there is none)."""
    if not data.get("recurrence"):
        return ""
    if not isinstance(data["recurrence"], list) or not all(
        isinstance(line, str) for line in data["recurrence"]
    ):
        return "recurrence must be a list of RRULE/RDATE/EXDATE lines"
    try:
        _rule(data)
    except (ValueError, TypeError, KeyError, ZoneInfoNotFoundError) as error:
        return f"recurrence {data['recurrence']!r} cannot be read: {error}"
    return ""


def _first(data: dict) -> datetime:
    """The series' first start: aware in its zone (timed) or naive midnight (all-day)."""
    start = data["start"]
    if "date" in start:
        day = date.fromisoformat(start["date"])
        return datetime(day.year, day.month, day.day)
    moment = event_instant(start)
    if start.get("timeZone"):
        return moment.astimezone(ZoneInfo(start["timeZone"]))
    return moment


def _rule(data: dict):
    return rrulestr("\n".join(data["recurrence"]), dtstart=_first(data), forceset=True)


def instances(data: dict, low: datetime | None, high: datetime | None) -> list[tuple]:
    """(start, end, representation) of every instance overlapping [low, high), UTC instants;
    a single event is its own one instance."""
    bounds = event_bounds(data)
    if bounds is None:
        return []
    start, end = bounds
    if not data.get("recurrence"):
        if (low and end <= low) or (high and start >= high):
            return []
        return [(start, end, data)]
    first = _first(data)
    length = end - start if "date" in data["start"] else None
    stop = high or start + HORIZON
    found = []
    for count, occurrence in enumerate(_rule(data)):
        if count >= LIMIT:
            break
        if "date" in data["start"]:
            begin = occurrence.replace(tzinfo=UTC)
            finish = begin + length
        else:
            begin = occurrence.astimezone(UTC)
            finish = (occurrence + (_end_local(data, first) - first)).astimezone(UTC)
        if begin >= stop:
            break
        if low and finish <= low:
            continue
        found.append((begin, finish, _instance(data, occurrence, begin, finish)))
    return found


def _end_local(data: dict, first: datetime) -> datetime:
    moment = event_instant(data["end"])
    return moment.astimezone(first.tzinfo)


def _instance(data: dict, occurrence: datetime, begin: datetime, finish: datetime) -> dict:
    if "date" in data["start"]:
        suffix = occurrence.strftime("%Y%m%d")
        when = {"date": occurrence.date().isoformat()}
        until = {"date": finish.date().isoformat()}
    else:
        suffix = begin.strftime("%Y%m%dT%H%M%SZ")
        zone = data["start"].get("timeZone")
        when, until = (
            (
                {"dateTime": occurrence.isoformat(timespec="seconds"), "timeZone": zone},
                {
                    "dateTime": finish.astimezone(occurrence.tzinfo).isoformat(timespec="seconds"),
                    "timeZone": zone,
                },
            )
            if zone
            else (
                {"dateTime": begin.strftime("%Y-%m-%dT%H:%M:%SZ")},
                {"dateTime": finish.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
        )
    copy = {key: value for key, value in data.items() if key != "recurrence"}
    copy.update(
        {
            "id": f"{data['id']}_{suffix}",
            "recurringEventId": data["id"],
            "originalStartTime": dict(when),
            "start": when,
            "end": until,
        }
    )
    return copy


def instance_ids(data: dict) -> list[str]:
    """The ids of a series' instances over its horizon (what a deleted series cancels)."""
    return [rep["id"] for _, _, rep in instances(data, None, None)]
