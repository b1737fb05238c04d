"""Recurring series in the fake Microsoft Graph: a seriesMaster with a patternedRecurrence expands
into occurrences, which is what a calendarView (and so its delta) and getSchedule show; the master
itself never appears in a calendarView.

Supported patterns: daily, weekly (daysOfWeek), absoluteMonthly (dayOfMonth), absoluteYearly;
ranges: numbered, endDate, noEnd (expanded one year past the start).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule

from .graph_payloads import WINDOWS_ZONES, graph_time, read_time

HORIZON = timedelta(days=366)
LIMIT = 1000
FREQ = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "absoluteMonthly": rrule.MONTHLY,
    "absoluteYearly": rrule.YEARLY,
}
DAYS = {
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
    "sunday": rrule.SU,
}


def pattern_problem(recurrence) -> str:
    """Why a patternedRecurrence cannot be expanded by the fake ("" when it can)."""
    if recurrence is None:
        return ""
    try:
        pattern, span = recurrence["pattern"], recurrence["range"]
        if pattern["type"] not in FREQ:
            return f"recurrence pattern {pattern['type']!r} is not modelled by the fake"
        if span["type"] not in ("numbered", "endDate", "noEnd"):
            return f"recurrence range {span['type']!r} is not valid"
        [DAYS[day] for day in pattern.get("daysOfWeek", [])]
        datetime.fromisoformat(span["startDate"])
    except (KeyError, TypeError, ValueError) as error:
        return f"recurrence {recurrence!r} is not a patternedRecurrence: {error!r}"
    return ""


def occurrences(data: dict, low: datetime, high: datetime) -> list[tuple]:
    """(start, end, representation) of each occurrence overlapping [low, high), UTC instants;
    a single event is its own one occurrence."""
    start, end = read_time(data["start"]), read_time(data["end"])
    if not data.get("recurrence"):
        return [(start, end, data)] if end > low and start < high else []
    recurrence = data["recurrence"]
    pattern, span = recurrence["pattern"], recurrence["range"]
    zone_name = span.get("recurrenceTimeZone") or data.get("originalStartTimeZone") or "UTC"
    zone = ZoneInfo(WINDOWS_ZONES.get(zone_name, zone_name))
    first = start.astimezone(zone)
    options = {"dtstart": first, "interval": int(pattern.get("interval", 1))}
    if pattern.get("daysOfWeek") and pattern["type"] == "weekly":
        options["byweekday"] = [DAYS[day] for day in pattern["daysOfWeek"]]
    if pattern["type"] == "absoluteMonthly":
        options["bymonthday"] = int(pattern["dayOfMonth"])
    if span["type"] == "numbered":
        options["count"] = int(span["numberOfOccurrences"])
    elif span["type"] == "endDate":
        until = datetime.fromisoformat(span["endDate"])
        options["until"] = datetime.combine(until.date(), first.timetz()).replace(tzinfo=zone)
    length = end - start
    stop = min(high, start + HORIZON)
    found = []
    for count, moment in enumerate(rrule.rrule(FREQ[pattern["type"]], **options)):
        begin = moment.astimezone(start.tzinfo)
        if count >= LIMIT or begin >= stop:
            break
        finish = (moment + length).astimezone(start.tzinfo)
        if finish <= low:
            continue
        found.append((begin, finish, _occurrence(data, begin, finish)))
    return found


def _occurrence(data: dict, begin: datetime, finish: datetime) -> dict:
    copy = {key: value for key, value in data.items() if key != "recurrence"}
    copy.update(
        {
            "id": data["id"].rstrip("=") + begin.strftime("_%Y%m%dT%H%M") + "=",
            "type": "occurrence",
            "seriesMasterId": data["id"],
            "recurrence": None,
            "start": graph_time(begin),
            "end": graph_time(finish),
        }
    )
    return copy
