"""Out of office and per-host holidays: add, edit, delete, and import public holidays by country."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduling.errors import N_, InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import Absence, Holiday, Host, HostHoliday, Organisation, PoolMember, User

from .audit import record
from .hosts import (
    HOLIDAY_TAKEN,
    MAX_DAYS_AHEAD,
    earliest_local_today,
    flush_unique,
    local_today,
)
from .limits import delegated_absences

# One absence covers at most a year; longer is surely a typing mistake.
MAX_ABSENCE_DAYS = 366
# An import covers at most this many years at once.
MAX_IMPORT_YEARS = 3


# -- out of office ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbsenceData:
    first_day: date
    last_day: date
    note: str
    delegate_id: int | None


def _check_absence(host: Host, data: AbsenceData, now: datetime) -> Host | None:
    """Refuse a bad absence with a message naming the field; return the delegate, if any."""
    if data.last_day < data.first_day:
        raise InvalidRequest(
            "The last day must be on or after the first day.", {"last_day": "order"}
        )
    today = local_today(host, now)
    if data.last_day < today:
        raise InvalidRequest("Pick an absence that ends today or later.", {"last_day": "past"})
    if data.first_day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidRequest("Pick a date within the next three years.", {"first_day": "too far"})
    if (data.last_day - data.first_day).days + 1 > MAX_ABSENCE_DAYS:
        raise InvalidRequest("An absence lasts at most a year.", {"last_day": "too long"})
    if data.delegate_id is None:
        return None
    if data.delegate_id == host.id:
        raise InvalidRequest(
            "The colleague who takes over must be someone else.", {"delegate_id": "self"}
        )
    delegate = db.session.get(Host, data.delegate_id)
    if delegate is None or delegate.organisation_id != host.organisation_id:
        raise InvalidRequest(
            "Pick a colleague of your organisation from the list.", {"delegate_id": "unknown"}
        )
    if not delegate.active:
        raise InvalidRequest(
            "That colleague is inactive and cannot take over.", {"delegate_id": "inactive"}
        )
    return delegate


def _absence_text(absence: Absence) -> str:
    text = f"{absence.first_day.isoformat()} to {absence.last_day.isoformat()}"
    if absence.delegate is not None:
        text += f", covered by {absence.delegate.name}"
    return text + (f" ({absence.note})" if absence.note else "")


def add_absence(host: Host, data: AbsenceData, now: datetime, actor: User) -> Absence:
    """Mark the host out of office on data's dates (no hours), optionally covered by a colleague."""
    delegate = _check_absence(host, data, now)
    absence = Absence(
        host=host,
        first_day=data.first_day,
        last_day=data.last_day,
        note=data.note.strip(),
        delegate=delegate,
    )
    db.session.add(absence)
    db.session.flush()
    text = _absence_text(absence)
    record(
        host.organisation_id,
        actor,
        "host.absence_create",
        "host",
        host.id,
        f"{host.name} is out of office {text}",
        now,
        {"absence": [None, text]},
    )
    return absence


def update_absence(absence: Absence, data: AbsenceData, now: datetime, actor: User) -> bool:
    """Change an absence's dates, note or delegate; False when nothing changed."""
    host = absence.host
    delegate = _check_absence(host, data, now)
    old = _absence_text(absence)
    absence.first_day, absence.last_day = data.first_day, data.last_day
    absence.note = data.note.strip()
    absence.delegate = delegate
    db.session.flush()
    new = _absence_text(absence)
    if new == old:
        return False
    record(
        host.organisation_id,
        actor,
        "host.absence_update",
        "host",
        host.id,
        f"Changed {host.name}'s absence to {new}",
        now,
        {"absence": [old, new]},
    )
    return True


def get_absence(host: Host, absence_id: int) -> Absence:
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.host_id != host.id:
        raise NotFound("No such absence.")
    return absence


def delete_absence(absence: Absence, now: datetime, actor: User) -> None:
    host = absence.host
    text = _absence_text(absence)
    record(
        host.organisation_id,
        actor,
        "host.absence_delete",
        "host",
        host.id,
        f"Removed {host.name}'s absence {text}",
        now,
        {"absence": [text, None]},
    )
    host.absences.remove(absence)
    db.session.flush()


def delegate_choices(host: Host) -> list[Host]:
    """Colleagues who can take over: the organisation's other active hosts."""
    return list(
        db.session.scalars(
            select(Host)
            .where(
                Host.organisation_id == host.organisation_id,
                Host.active.is_(True),
                Host.id != host.id,
            )
            .order_by(Host.name, Host.id)
        )
    )


# -- a host's own holidays ----------------------------------------------------------------------


def add_host_holiday(host: Host, day: date, name: str, now: datetime, actor: User) -> HostHoliday:
    """A day off of this host only (a date override of the host still wins)."""
    today = local_today(host, now)
    if day < today:
        raise InvalidRequest("Pick today or a later date.", {"day": "past"})
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidRequest("Pick a date within the next three years.", {"day": "too far"})
    if any(h.day == day for h in host.holidays):
        raise InvalidRequest(HOLIDAY_TAKEN, {"day": "taken"})
    holiday = HostHoliday(day=day, name=name.strip())
    host.holidays.append(holiday)
    flush_unique(HOLIDAY_TAKEN, {"day": "taken"})
    record(
        host.organisation_id,
        actor,
        "host.holiday_create",
        "host",
        host.id,
        f"Added holiday {holiday.name} on {day.isoformat()} for {host.name}",
        now,
        {"day": [None, day.isoformat()], "name": [None, holiday.name]},
    )
    return holiday


def get_host_holiday(host: Host, holiday_id: int) -> HostHoliday:
    holiday = db.session.get(HostHoliday, holiday_id)
    if holiday is None or holiday.host_id != host.id:
        raise NotFound("No such holiday.")
    return holiday


def delete_host_holiday(holiday: HostHoliday, now: datetime, actor: User) -> None:
    host = holiday.host
    record(
        host.organisation_id,
        actor,
        "host.holiday_delete",
        "host",
        host.id,
        f"Removed holiday {holiday.name} on {holiday.day.isoformat()} for {host.name}",
        now,
        {"day": [holiday.day.isoformat(), None], "name": [holiday.name, None]},
    )
    host.holidays.remove(holiday)
    db.session.flush()


def covered_by(members: list[PoolMember], start: datetime) -> dict[int, int]:
    """Team members out of office on the slot's local date -> the colleague covering them."""
    zones = {m.host_id: m.host.tz for m in members}
    covers = {}
    for absence in delegated_absences(zones, start):
        local = start.astimezone(ZoneInfo(zones[absence.host_id])).date()
        if absence.first_day <= local <= absence.last_day:
            covers[absence.host_id] = absence.delegate_id
    return covers


def rename_holiday(holiday: Holiday | HostHoliday, name: str, now: datetime, actor: User) -> bool:
    """Give an organisation's or a host's holiday another name (imported ones too); False when
    it already had that name. The date stays: a holiday on another date is a new one."""
    name = name.strip()
    if not name:
        raise InvalidRequest(N_("Name the holiday, e.g. New Year's Day."), {"name": "missing"})
    if len(name) > 200 or "\x00" in name:
        raise InvalidRequest(N_("The name may have at most 200 characters."), {"name": "too long"})
    if name == holiday.name:
        return False
    old = holiday.name
    if isinstance(holiday, HostHoliday):
        host = holiday.host
        org_id, action, kind, target = host.organisation_id, "host.holiday_update", "host", host.id
        whose = f" for {host.name}"
    else:
        org_id, action, kind, target = (
            holiday.organisation_id,
            "holiday.update",
            "holiday",
            holiday.id,
        )
        whose = ""
    holiday.name = name
    record(
        org_id,
        actor,
        action,
        kind,
        target,
        f"Renamed holiday {old} on {holiday.day.isoformat()} to {name}{whose}",
        now,
        {"name": [old, name]},
    )
    db.session.flush()
    return True


# -- import of public holidays ------------------------------------------------------------------


def supported_countries() -> dict[str, list[str]]:
    """Country codes the holidays package knows, with their subdivision (region) codes."""
    import holidays as public_holidays  # about 3 MiB: only an import of holidays needs it

    return {
        code: list(subdivs) for code, subdivs in public_holidays.list_supported_countries().items()
    }


@dataclass(frozen=True)
class ImportResult:
    added: int
    skipped: int


def public_holidays_of(
    country: str, subdivision: str, first_year: int, last_year: int, this_year: int
) -> list[tuple[date, str]]:
    """Public holidays of a country (and region) in a year range, or a clear InvalidRequest."""
    known = supported_countries()
    if country not in known:
        raise InvalidRequest("Pick a country from the list.", {"country": "unknown"})
    if subdivision and subdivision not in known[country]:
        raise InvalidRequest(
            "That region is not one of the chosen country's; pick one from the list or none.",
            {"subdivision": "unknown"},
        )
    if last_year < first_year:
        raise InvalidRequest("The last year must not be before the first.", {"last_year": "order"})
    if first_year < this_year or last_year > this_year + MAX_IMPORT_YEARS:
        raise InvalidRequest(
            "Pick years from this year up to three years ahead.", {"first_year": "range"}
        )
    if last_year - first_year + 1 > MAX_IMPORT_YEARS:
        raise InvalidRequest("Import at most three years at once.", {"last_year": "too many"})
    import holidays as public_holidays  # loaded on first use, see above

    found = public_holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
    )
    return sorted((day, str(name)[:200]) for day, name in found.items())


def import_holidays(
    organisation: Organisation,
    host: Host | None,
    country: str,
    subdivision: str,
    first_year: int,
    last_year: int,
    now: datetime,
    actor: User,
) -> ImportResult:
    """Add public holidays to the organisation's (host None) or the host's holidays.

    Dates already there and dates before today are skipped; the rows are ordinary holidays,
    editable and deletable afterwards.
    """
    today = local_today(host, now) if host is not None else earliest_local_today(now)
    found = public_holidays_of(country, subdivision, first_year, last_year, today.year)
    if host is not None:
        taken = {h.day for h in host.holidays}
    else:
        taken = set(
            db.session.scalars(
                select(Holiday.day).where(Holiday.organisation_id == organisation.id)
            )
        )
    added = skipped = 0
    for day, name in found:
        if day in taken or day < today:
            skipped += 1
            continue
        taken.add(day)
        if host is not None:
            host.holidays.append(HostHoliday(day=day, name=name))
        else:
            db.session.add(Holiday(organisation=organisation, day=day, name=name))
        added += 1
    flush_unique(HOLIDAY_TAKEN, {"country": "taken"})
    where = f"{host.name}'s" if host is not None else "the organisation's"
    region = f"-{subdivision}" if subdivision else ""
    record(
        organisation.id,
        actor,
        "holiday.import",
        "host" if host is not None else "organisation",
        host.id if host is not None else organisation.id,
        f"Imported {added} public holidays of {country}{region} {first_year}-{last_year} "
        f"into {where} holidays ({skipped} skipped)",
        now,
        {"added": [None, added], "skipped": [None, skipped]},
    )
    return ImportResult(added, skipped)
