"""Free slots of an event type: load hosts, hours and busy time, then ask the pure engine."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from scheduling import availability as av
from scheduling.extensions import db
from scheduling.models import (
    Booking,
    BusyBlock,
    DateOverride,
    EventType,
    Holiday,
    Host,
    ImportedBusy,
    PoolMember,
    WeeklyHours,
    event_type_hosts,
)

from .rawtime import as_utc, raw

# Longest buffer or meeting we look around a range for, so bookings just outside still count.
_PAD = timedelta(days=2)


def settings_for(event_type: EventType) -> av.SlotSettings:
    """The engine's view of an event type."""
    return av.SlotSettings(
        duration=event_type.duration,
        step=event_type.step,
        buffer_before=event_type.buffer_before,
        buffer_after=event_type.buffer_after,
        min_notice=event_type.min_notice,
        horizon_days=event_type.horizon_days,
        daily_limit=event_type.daily_limit,
    )


def schedule_for(host: Host, holidays: Iterable[Holiday] = ()) -> av.Schedule:
    """The engine's view of a host's hours: weekly rules, holidays, then the host's overrides."""
    overrides: dict = {}
    for holiday in holidays:
        overrides[holiday.day] = []
    own: dict = {}
    for row in host.date_overrides:
        own.setdefault(row.day, [])
        if not row.is_day_off:
            own[row.day].append((row.start_minute, row.end_minute))
    overrides.update(own)
    return av.Schedule(
        tz=host.tz,
        weekly=tuple(
            av.WeeklyInterval(w.weekday, w.start_minute, w.end_minute) for w in host.weekly_hours
        ),
        overrides=tuple(av.DateOverride(day, tuple(iv)) for day, iv in sorted(overrides.items())),
    )


def busy_by_host(
    host_ids: Sequence[int], start: datetime, end: datetime, exclude_booking_id: int | None = None
) -> dict[int, list[av.Interval]]:
    """Busy time near a range: confirmed bookings widened by buffers, blocked and imported time."""
    query = select(Booking.host_id, raw(Booking.occupied_from), raw(Booking.occupied_until)).where(
        Booking.host_id.in_(host_ids),
        Booking.status == "confirmed",
        Booking.occupied_until > start - _PAD,
        Booking.occupied_from < end + _PAD,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    blocks = select(BusyBlock.host_id, raw(BusyBlock.start_at), raw(BusyBlock.end_at)).where(
        BusyBlock.host_id.in_(host_ids),
        BusyBlock.end_at > start - _PAD,
        BusyBlock.start_at < end + _PAD,
    )
    # Read from the database only: the slots endpoint never waits on a remote calendar.
    imported = select(
        ImportedBusy.host_id, raw(ImportedBusy.start_at), raw(ImportedBusy.end_at)
    ).where(
        ImportedBusy.host_id.in_(host_ids),
        ImportedBusy.end_at > start - _PAD,
        ImportedBusy.start_at < end + _PAD,
    )
    busy: dict[int, list[av.Interval]] = {host_id: [] for host_id in host_ids}
    interval = av.Interval
    # Core execution on the session's connection: plain rows, no ORM loading machinery per row.
    # It skips autoflush, so flush here: pending changes (a reschedule) must count.
    db.session.flush()
    connection = db.session.connection()
    for query_ in (query, blocks, imported):
        result = connection.execute(query_)
        # The driver's plain tuples: the columns need no processing, so Row objects are waste.
        rows = result.cursor.fetchall()
        result.close()
        for host_id, busy_from, busy_until in rows:
            busy[host_id].append(interval(as_utc(busy_from), as_utc(busy_until)))
    return busy


def booked_starts_by_host(
    event_type: EventType,
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None = None,
) -> dict[int, list[datetime]]:
    """Starts of confirmed bookings of this event type, for the per-day limit."""
    starts: dict[int, list[datetime]] = {host_id: [] for host_id in host_ids}
    if event_type.daily_limit is None:
        return starts
    query = select(Booking.host_id, Booking.start_at).where(
        Booking.event_type_id == event_type.id,
        Booking.host_id.in_(host_ids),
        Booking.status == "confirmed",
        Booking.start_at >= start - _PAD,
        Booking.start_at < end + _PAD,
    )
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    for host_id, start_at in db.session.execute(query):
        starts[host_id].append(start_at)
    return starts


@dataclass
class HostCalendar:
    """What the engine needs about one host of an event type within a range."""

    host: Host
    schedule: av.Schedule
    busy: list[av.Interval]
    booked_starts: list[datetime]


def default_host_ids(event_type: EventType) -> list[int]:
    """Who hosts an event type when no routing narrows it: its team's members, or its hosts."""
    if event_type.pool_id is not None:
        return list(
            db.session.scalars(
                select(PoolMember.host_id).where(
                    PoolMember.pool_id == event_type.pool_id, PoolMember.active.is_(True)
                )
            )
        )
    return list(
        db.session.scalars(
            select(event_type_hosts.c.host_id).where(
                event_type_hosts.c.event_type_id == event_type.id
            )
        )
    )


def schedules_by_host(
    hosts: Sequence[Host], holidays: Iterable[Holiday], start: datetime, end: datetime
) -> dict[int, av.Schedule]:
    """The engine's view of hosts' hours near a range, read as plain rows (cheaper than ORM)."""
    host_ids = [host.id for host in hosts]
    connection = db.session.connection()
    weekly: dict[int, list[av.WeeklyInterval]] = {host_id: [] for host_id in host_ids}
    rows = connection.execute(
        select(
            WeeklyHours.host_id,
            WeeklyHours.weekday,
            WeeklyHours.start_minute,
            WeeklyHours.end_minute,
        )
        .where(WeeklyHours.host_id.in_(host_ids))
        .order_by(WeeklyHours.host_id, WeeklyHours.id)
    )
    for host_id, weekday, start_minute, end_minute in rows:
        weekly[host_id].append(av.WeeklyInterval(weekday, start_minute, end_minute))
    # Local dates of the range lie within a day of its UTC dates; the pad keeps margin.
    first, last = (start - _PAD).date(), (end + _PAD).date()
    holiday_days = {holiday.day for holiday in holidays if first <= holiday.day <= last}
    own: dict[int, dict] = {host_id: {} for host_id in host_ids}
    rows = connection.execute(
        select(
            DateOverride.host_id,
            DateOverride.day,
            DateOverride.start_minute,
            DateOverride.end_minute,
        )
        .where(
            DateOverride.host_id.in_(host_ids),
            DateOverride.day >= first,
            DateOverride.day <= last,
        )
        .order_by(DateOverride.host_id, DateOverride.day, DateOverride.id)
    )
    for host_id, day, start_minute, end_minute in rows:
        intervals = own[host_id].setdefault(day, [])
        if start_minute is not None:
            intervals.append((start_minute, end_minute))
    schedules = {}
    for host in hosts:
        overrides = dict.fromkeys(holiday_days, ())
        overrides.update(own[host.id])
        schedules[host.id] = av.Schedule(
            tz=host.tz,
            weekly=tuple(weekly[host.id]),
            overrides=tuple(
                av.DateOverride(day, tuple(iv)) for day, iv in sorted(overrides.items())
            ),
        )
    return schedules


def load_calendars(
    event_type: EventType,
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None = None,
    host_ids: Sequence[int] | None = None,
) -> list[HostCalendar]:
    """Active hosts (default: the event type's) with their hours and busy time around a range."""
    if host_ids is None:
        host_ids = default_host_ids(event_type)
    if not host_ids:
        return []
    hosts = db.session.scalars(
        select(Host)
        .where(
            Host.id.in_(host_ids),
            Host.organisation_id == event_type.organisation_id,
            Host.active.is_(True),
        )
        .order_by(Host.id)
    ).all()
    if not hosts:
        return []
    ids = [host.id for host in hosts]
    schedules = schedules_by_host(hosts, event_type.organisation.holidays, start, end)
    busy = busy_by_host(ids, start, end, exclude_booking_id)
    booked = booked_starts_by_host(event_type, ids, start, end, exclude_booking_id)
    return [
        HostCalendar(host, schedules[host.id], busy[host.id], booked[host.id]) for host in hosts
    ]


def compute_event_type_slots(
    event_type: EventType,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    host_ids: Sequence[int] | None = None,
) -> list[datetime]:
    """Free slot starts (UTC) of an event type: the union over its active hosts.

    exclude_booking_id leaves one booking out of the busy time (the one being rescheduled);
    host_ids narrows the hosts (a routed lead's team or host).
    """
    settings = settings_for(event_type)
    seconds = av.compute_slot_seconds
    per_host = [
        seconds(cal.schedule, settings, start, end, now, cal.busy, cal.booked_starts)
        for cal in load_calendars(event_type, start, end, exclude_booking_id, host_ids)
    ]
    if not per_host:
        return []
    if len(per_host) == 1:
        return av.datetimes_from_seconds(per_host[0])
    # Union whole seconds in C: merging many hosts' sorted lists in Python is several times slower.
    return av.datetimes_from_seconds(sorted(set().union(*per_host)))
