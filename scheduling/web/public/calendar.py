"""The month grid and day list a visitor picks a time from, in the visitor's zone."""

import calendar as pycal
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import request

from scheduling.availability import group_by_local_date, local_day_range
from scheduling.availability.timezones import all_zones, common_zones, is_valid_zone
from scheduling.availability.zone_names import canonical_zone, order_zones
from scheduling.errors import N_, InvalidRequest
from scheduling.models import EventType
from scheduling.operations.slots import compute_event_type_slots


@dataclass
class CalendarView:
    tz: str
    month: date
    prev_month: date | None
    next_month: date | None
    weeks: list[list[date | None]]
    days_with_slots: set[date]
    day: date | None = None
    day_slots: list[datetime] = field(default_factory=list)


def parse_tz(value: str | None, default: str) -> str:
    if value is None or value == "":
        return default
    if not is_valid_zone(value):
        raise InvalidRequest(
            N_("Unknown time zone %(zone)s. Please choose one from the list."),
            zone=repr(value[:64]),
        )
    return canonical_zone(value)  # a deprecated alias (US/Eastern) means its zone


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest("The date must look like 2026-12-31.") from None


def parse_month(value: str | None) -> date | None:
    if not value:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidRequest("The month must look like 2026-12.") from None


def _add_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def build_calendar(
    event_type: EventType,
    tz: str,
    month_param: str | None,
    day_param: str | None,
    now: datetime,
    exclude_booking_id: int | None = None,
    host_ids: list[int] | None = None,
    first_weekday: int = 0,
    duration: int | None = None,
) -> CalendarView:
    """Days with free slots in one month, and the slots of the chosen day, for a visitor zone.

    The weeks start on `first_weekday` (0 = Monday), the reader's locale's first day; duration
    is the chosen meeting length (None: the event type's default).
    """
    today = now.astimezone(ZoneInfo(tz)).date()
    day = parse_day(day_param)
    month = parse_month(month_param) or (day.replace(day=1) if day else today.replace(day=1))
    first_month = today.replace(day=1)
    last_day = (now + timedelta(days=event_type.horizon_days)).astimezone(ZoneInfo(tz)).date()
    last_month = last_day.replace(day=1)
    month = min(max(month, first_month), last_month)
    next_first = _add_month(month, 1)
    start, end = local_day_range(tz, month, next_first - timedelta(days=1))
    slots = compute_event_type_slots(
        event_type, start, end, now, exclude_booking_id, host_ids, duration
    )
    by_day = group_by_local_date(slots, tz)
    grid = pycal.Calendar(firstweekday=first_weekday).monthdatescalendar(month.year, month.month)
    weeks = [[d if d.month == month.month else None for d in week] for week in grid]
    view = CalendarView(
        tz=tz,
        month=month,
        prev_month=_add_month(month, -1) if month > first_month else None,
        next_month=next_first if next_first <= last_month else None,
        weeks=weeks,
        days_with_slots=set(by_day),
    )
    if day is not None:
        view.day = day
        if day.replace(day=1) == month:
            view.day_slots = by_day.get(day, [])
        elif not today <= day <= last_day:
            view.day_slots = []  # nothing is bookable then (and year 9999 has no next day)
        else:
            day_start, day_end = local_day_range(tz, day, day)
            view.day_slots = compute_event_type_slots(
                event_type, day_start, day_end, now, exclude_booking_id, host_ids, duration
            )
    return view


def default_tz(event_type: EventType) -> str:
    hosts = [host for host in event_type.hosts if host.active]
    return hosts[0].tz if hosts else "UTC"


def visitor_tz(default: str) -> str:
    """The zone asked for (`tz`), else the browser's (`tz_detected`, when we know it), else default.

    timezone.js sends the detected zone as `tz_detected`: a name this server's zone database lacks
    then falls back to the default instead of an error page.
    """
    detected = request.args.get("tz_detected")
    fallback = canonical_zone(detected) if is_valid_zone(detected) else canonical_zone(default)
    return parse_tz(request.args.get("tz"), fallback)


def zone_choices(tz: str, event_type: EventType) -> dict:
    """The short zone list (visitor's, hosts', EU, a few more), or every zone when asked.

    The visitor's zone and the hosts' come first; the full list is 80 % of the page's HTML, so it
    is sent only to who follows "More time zones".
    """
    host_zones = [host.tz for host in event_type.hosts if host.active]
    if request.args.get("zones") == "all":
        return {"zones": order_zones(all_zones(), tz, *host_zones), "all_zones_shown": True}
    zones = order_zones(common_zones(tz, *host_zones), tz, *host_zones)
    return {"zones": zones, "all_zones_shown": False}
