"""Hosts and their hours: create and edit hosts, weekly hours, date overrides, holidays, preview.

Interval text ("09:00-12:00, 13:00-17:30") is parsed here, so forms and any other caller agree
on one syntax and one set of messages.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scheduling import availability as av
from scheduling.availability.timezones import is_valid_zone
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import (
    DateOverride,
    EventType,
    Holiday,
    Host,
    Organisation,
    User,
    WeeklyHours,
)

from .audit import diff, record
from .public_pages import unique_slug
from .slots import load_calendars, settings_for

MAX_INTERVALS_PER_DAY = 12
DAY_MINUTES = 1440
PREVIEW_DAYS = 14
# Overrides and holidays further ahead than this are surely typing mistakes (the longest
# booking horizon is two years).
MAX_DAYS_AHEAD = 3 * 366
WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Intervals = list[tuple[int, int]]

_INTERVAL = re.compile(r"(\d{1,2})[:.h](\d{2})\s*[-\u2013\u2014]\s*(\d{1,2})[:.h](\d{2})")


# -- interval text ------------------------------------------------------------------------------


def format_minute(minute: int) -> str:
    """Minutes after midnight as HH:MM (1440 is 24:00)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_intervals(intervals) -> str:
    """Intervals as the text people type: "09:00-12:00, 13:00-17:30"."""
    return ", ".join(f"{format_minute(start)}-{format_minute(end)}" for start, end in intervals)


def _minute(hour: str, minute: str, piece: str, *, is_end: bool) -> int:
    hours, minutes = int(hour), int(minute)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise InvalidRequest(f'"{piece}": times run from 00:00 to 24:00.')
    if hours == 24 and not is_end:
        raise InvalidRequest(f'"{piece}": 24:00 can only end an interval.')
    return hours * 60 + minutes


def parse_intervals(text: str | None) -> Intervals:
    """Read "09:00-12:00, 13:00-17:30" into sorted minute pairs; empty text means no hours.

    Refuses, with a message naming the culprit: unreadable pieces, an end not after its start,
    intervals that overlap, and more than MAX_INTERVALS_PER_DAY of them.
    """
    pieces = [piece.strip() for piece in re.split(r"[,;\n]", text or "") if piece.strip()]
    if len(pieces) > MAX_INTERVALS_PER_DAY:
        raise InvalidRequest(f"At most {MAX_INTERVALS_PER_DAY} intervals a day, please.")
    intervals: Intervals = []
    for piece in pieces:
        match = _INTERVAL.fullmatch(piece)
        if match is None:
            shown = piece if len(piece) <= 40 else piece[:40] + "..."
            raise InvalidRequest(f'Could not read "{shown}": write times like 09:00-12:00.')
        start = _minute(match[1], match[2], piece, is_end=False)
        end = _minute(match[3], match[4], piece, is_end=True)
        if end <= start:
            raise InvalidRequest(f'"{piece}": the end must be after the start.')
        intervals.append((start, end))
    return check_intervals(intervals)


def check_intervals(intervals) -> Intervals:
    """Return the intervals sorted, or refuse bad bounds, overlaps and too many of them."""
    intervals = sorted((int(start), int(end)) for start, end in intervals)
    if len(intervals) > MAX_INTERVALS_PER_DAY:
        raise InvalidRequest(f"At most {MAX_INTERVALS_PER_DAY} intervals a day, please.")
    for start, end in intervals:
        if not 0 <= start < end <= DAY_MINUTES:
            raise InvalidRequest("Each interval must end after it starts, within the day.")
    for earlier, later in pairwise(intervals):
        if later[0] < earlier[1]:
            raise InvalidRequest(
                f"{format_intervals([earlier])} and {format_intervals([later])} overlap:"
                " join them into one interval."
            )
    return intervals


# -- reading hosts ------------------------------------------------------------------------------


def weekly_by_day(host: Host) -> dict[int, Intervals]:
    """The host's weekly hours per weekday (0=Monday), every weekday present."""
    days: dict[int, Intervals] = {weekday: [] for weekday in range(7)}
    for row in host.weekly_hours:
        days[row.weekday].append((row.start_minute, row.end_minute))
    for intervals in days.values():
        intervals.sort()
    return days


@dataclass(frozen=True)
class HoursRun:
    """Consecutive weekdays with the same hours, for a one-line summary."""

    first: int
    last: int
    text: str


def weekly_summary(host: Host) -> tuple[list[HoursRun], int]:
    """Runs of weekdays sharing hours (days off left out), and the total minutes a week."""
    days = weekly_by_day(host)
    runs: list[HoursRun] = []
    for weekday in range(7):
        if not days[weekday]:
            continue
        text = format_intervals(days[weekday])
        if runs and runs[-1].last == weekday - 1 and runs[-1].text == text:
            runs[-1] = HoursRun(runs[-1].first, weekday, text)
        else:
            runs.append(HoursRun(weekday, weekday, text))
    total = sum(end - start for intervals in days.values() for start, end in intervals)
    return runs, total


def local_today(host: Host, now: datetime) -> date:
    """The host's current local date (overrides before it are history)."""
    return now.astimezone(ZoneInfo(host.tz)).date() if is_valid_zone(host.tz) else now.date()


@dataclass(frozen=True)
class OverrideDay:
    """All override rows of one date: a day off, or these hours."""

    day: date
    intervals: Intervals

    @property
    def is_day_off(self) -> bool:
        return not self.intervals


def override_days(host: Host, since: date | None) -> list[OverrideDay]:
    """The host's overrides grouped by date (from `since` on, when given), in date order."""
    grouped: dict[date, Intervals] = {}
    for row in host.date_overrides:
        if since is not None and row.day < since:
            continue
        hours = grouped.setdefault(row.day, [])
        if not row.is_day_off:
            hours.append((row.start_minute, row.end_minute))
    return [OverrideDay(day, sorted(hours)) for day, hours in sorted(grouped.items())]


# -- changing hosts -----------------------------------------------------------------------------


def _check_zone(tz: str) -> None:
    if not is_valid_zone(tz):
        raise InvalidRequest("Pick a time zone from the list.", {"tz": "unknown"})


EMAIL_TAKEN = "A host with this email exists already in your organisation."
HOLIDAY_TAKEN = "There is a holiday on that date already."


def flush_unique(message: str, fields: dict[str, str]) -> None:
    """Flush; a unique constraint hit (a concurrent request won the race) becomes a message."""
    try:
        db.session.flush()
    except IntegrityError:
        raise InvalidRequest(message, fields) from None


def _check_email_free(organisation_id: int, email: str, host_id: int | None = None) -> None:
    query = select(Host.id).where(
        Host.organisation_id == organisation_id, func.lower(Host.email) == email
    )
    if host_id is not None:
        query = query.where(Host.id != host_id)
    if db.session.scalar(query) is not None:
        raise InvalidRequest(EMAIL_TAKEN, {"email": "taken"})


def create_host(
    organisation: Organisation, name: str, email: str, tz: str, now: datetime, actor: User
) -> Host:
    """A new active host without hours (the availability editor comes next)."""
    email = email.strip().lower()
    _check_zone(tz)
    _check_email_free(organisation.id, email)
    host = Host(
        organisation=organisation,
        name=name.strip(),
        email=email,
        tz=tz,
        slug=unique_slug(Host, name.strip()),
        created_at=now,
    )
    db.session.add(host)
    flush_unique(EMAIL_TAKEN, {"email": "taken"})
    record(
        organisation.id,
        actor,
        "host.create",
        "host",
        host.id,
        f"Added host {host.name} <{email}>",
        now,
        {"name": [None, host.name], "email": [None, email], "tz": [None, tz]},
    )
    return host


def update_host(host: Host, name: str, email: str, tz: str, now: datetime, actor: User) -> dict:
    """Change name, email and zone; returns the changes (nothing is recorded when none)."""
    email = email.strip().lower()
    _check_zone(tz)
    if email != host.email.lower():
        _check_email_free(host.organisation_id, email, host.id)
    changes = diff(host, {"name": name.strip(), "email": email, "tz": tz})
    if changes:
        flush_unique(EMAIL_TAKEN, {"email": "taken"})
        summary = f"Edited host {host.name}"
        record(host.organisation_id, actor, "host.update", "host", host.id, summary, now, changes)
    return changes


def set_host_active(host: Host, active: bool, now: datetime, actor: User) -> bool:
    """Activate or deactivate a host (inactive hosts offer no slots); False if already so."""
    changes = diff(host, {"active": active})
    if not changes:
        return False
    db.session.flush()
    verb = "activate" if active else "deactivate"
    summary = f"{'Activated' if active else 'Deactivated'} host {host.name}"
    record(host.organisation_id, actor, f"host.{verb}", "host", host.id, summary, now, changes)
    return True


def save_availability(
    host: Host, tz: str, week: dict[int, Intervals], now: datetime, actor: User
) -> dict:
    """Set the host's zone and replace all weekly hours at once; audit old and new hours.

    `week` maps weekday (0=Monday) to intervals; missing days are days off. Returns the
    changes ({} when nothing changed, and then nothing is written).
    """
    _check_zone(tz)
    if any(weekday not in range(7) for weekday in week):
        raise InvalidRequest("Weekdays run from 0 (Monday) to 6 (Sunday).")
    new = {weekday: check_intervals(week.get(weekday, [])) for weekday in range(7)}
    old = weekly_by_day(host)
    changes = diff(host, {"tz": tz})
    for weekday in range(7):
        if old[weekday] != new[weekday]:
            changes[WEEKDAY_KEYS[weekday]] = [
                format_intervals(old[weekday]) or "off",
                format_intervals(new[weekday]) or "off",
            ]
    if not changes:
        return {}
    if old != new:
        host.weekly_hours.clear()
        db.session.flush()  # the old rows go before the new ones arrive
        for weekday in range(7):
            for start, end in new[weekday]:
                host.weekly_hours.append(
                    WeeklyHours(weekday=weekday, start_minute=start, end_minute=end)
                )
    db.session.flush()
    summary = f"Changed the weekly hours of {host.name}"
    record(host.organisation_id, actor, "host.availability", "host", host.id, summary, now, changes)
    return changes


def _check_day(day: date, earliest: date, field: str) -> None:
    if day < earliest:
        raise InvalidRequest("Pick today or a later date.", {field: "past"})
    if day > earliest + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidRequest("Pick a date within the next three years.", {field: "too far"})


def _override_text(host: Host, day: date) -> str | None:
    """How a date's override reads in the audit log, or None without one."""
    rows = [row for row in host.date_overrides if row.day == day]
    if not rows:
        return None
    hours = [(row.start_minute, row.end_minute) for row in rows if not row.is_day_off]
    return format_intervals(sorted(hours)) or "day off"


def set_date_override(
    host: Host, day: date, intervals: Intervals, now: datetime, actor: User
) -> None:
    """Give one date other hours, or make it a day off (no intervals); replaces that date's rows."""
    _check_day(day, local_today(host, now), "day")
    intervals = check_intervals(intervals)
    old_text = _override_text(host, day)
    for row in [row for row in host.date_overrides if row.day == day]:
        host.date_overrides.remove(row)
    db.session.flush()
    for start, end in intervals or [(None, None)]:
        host.date_overrides.append(DateOverride(day=day, start_minute=start, end_minute=end))
    db.session.flush()
    new_text = _override_text(host, day)
    summary = f"Set {day.isoformat()} for {host.name}: {new_text}"
    changes = {day.isoformat(): [old_text, new_text]}
    record(host.organisation_id, actor, "host.override_set", "host", host.id, summary, now, changes)


def delete_date_override(host: Host, day: date, now: datetime, actor: User) -> None:
    """Remove a date's override; the weekly hours (or a holiday) apply again."""
    old_text = _override_text(host, day)
    if old_text is None:
        raise NotFound("There is no override on that date.")
    for row in [row for row in host.date_overrides if row.day == day]:
        host.date_overrides.remove(row)
    db.session.flush()
    summary = f"Removed the override on {day.isoformat()} for {host.name}"
    changes = {day.isoformat(): [old_text, None]}
    record(
        host.organisation_id, actor, "host.override_delete", "host", host.id, summary, now, changes
    )


# -- holidays -----------------------------------------------------------------------------------


def earliest_local_today(now: datetime) -> date:
    """Today's date somewhere on Earth (UTC-12 is the last place a day ends)."""
    return (now - timedelta(hours=12)).date()


def add_holiday(
    organisation: Organisation, day: date, name: str, now: datetime, actor: User
) -> Holiday:
    """A day off for every host of the organisation (a host's own override still wins)."""
    _check_day(day, earliest_local_today(now), "day")
    exists = db.session.scalar(
        select(Holiday.id).where(Holiday.organisation_id == organisation.id, Holiday.day == day)
    )
    if exists is not None:
        raise InvalidRequest(HOLIDAY_TAKEN, {"day": "taken"})
    holiday = Holiday(organisation=organisation, day=day, name=name.strip())
    db.session.add(holiday)
    flush_unique(HOLIDAY_TAKEN, {"day": "taken"})
    record(
        organisation.id,
        actor,
        "holiday.create",
        "holiday",
        holiday.id,
        f"Added holiday {holiday.name} on {day.isoformat()}",
        now,
        {"day": [None, day.isoformat()], "name": [None, holiday.name]},
    )
    return holiday


def get_holiday(organisation_id: int, holiday_id: int) -> Holiday:
    holiday = db.session.get(Holiday, holiday_id)
    if holiday is None or holiday.organisation_id != organisation_id:
        raise NotFound("No such holiday.")
    return holiday


def delete_holiday(holiday: Holiday, now: datetime, actor: User) -> None:
    record(
        holiday.organisation_id,
        actor,
        "holiday.delete",
        "holiday",
        holiday.id,
        f"Removed holiday {holiday.name} on {holiday.day.isoformat()}",
        now,
        {"day": [holiday.day.isoformat(), None], "name": [holiday.name, None]},
    )
    db.session.delete(holiday)
    db.session.flush()


# -- preview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayNote:
    """Why a date may be off: kind "holiday" (organisation), "own_holiday" or "absence"."""

    kind: str
    name: str
    delegate: str | None = None


@dataclass(frozen=True)
class PreviewDay:
    day: date
    slots: list[datetime]
    notes: tuple[DayNote, ...] = ()


def day_notes(host: Host, first: date, last: date) -> dict[date, list[DayNote]]:
    """Holidays (the organisation's and the host's own) and absences on first..last, by date."""
    notes: dict[date, list[DayNote]] = {}
    org_days = db.session.execute(
        select(Holiday.day, Holiday.name)
        .where(
            Holiday.organisation_id == host.organisation_id,
            Holiday.day >= first,
            Holiday.day <= last,
        )
        .order_by(Holiday.day)
    ).all()
    for day, name in org_days:
        notes.setdefault(day, []).append(DayNote("holiday", name))
    for holiday in host.holidays:
        if first <= holiday.day <= last:
            notes.setdefault(holiday.day, []).append(DayNote("own_holiday", holiday.name))
    for absence in host.absences:
        delegate = absence.delegate.name if absence.delegate is not None else None
        for day in av.dates_in_ranges([(absence.first_day, absence.last_day)], first, last):
            notes.setdefault(day, []).append(DayNote("absence", absence.note, delegate))
    return notes


def preview_slots(host: Host, event_type: EventType, now: datetime) -> list[PreviewDay]:
    """The host's own free slots of an event type over the next PREVIEW_DAYS local dates.

    Only this host counts (not the event type's union of hosts); every date is listed, also
    those without slots. An inactive host, or one not hosting the event type, offers nothing.
    """
    if not is_valid_zone(host.tz):
        return []
    first = local_today(host, now)
    last = first + timedelta(days=PREVIEW_DAYS - 1)
    start, end = av.local_day_range(host.tz, first, last)
    calendars = [cal for cal in load_calendars(event_type, start, end) if cal.host.id == host.id]
    found: list[datetime] = []
    if calendars:
        cal = calendars[0]
        rules = settings_for(event_type)
        found = av.compute_slots(
            cal.schedule, rules, start, end, now, cal.busy, cal.booked_starts, cal.meetings
        )
    grouped = av.group_by_local_date(found, host.tz)
    notes = day_notes(host, first, last)
    days = [first + timedelta(days=n) for n in range(PREVIEW_DAYS)]
    return [PreviewDay(day, grouped.get(day, []), tuple(notes.get(day, ()))) for day in days]
