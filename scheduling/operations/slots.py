"""Free slots of an event type: load hosts, hours and busy time, then ask the pure engine."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    Date,
    Integer,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm.util import identity_key

from scheduling import availability as av
from scheduling.extensions import db
from scheduling.models import (
    Absence,
    Booking,
    DateOverride,
    EventType,
    Holiday,
    Host,
    HostHoliday,
    PoolMember,
    WeeklyHours,
    event_type_hosts,
)

from .busy_time import (
    RANGE_PAD,
    _busy_and_starts,
    booked_starts_by_host,
    busy_seconds_by_host,
    meetings_by_host,
)


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
        weekly_limit=event_type.weekly_limit,
        min_gap=event_type.min_gap or 0,
    )


def schedule_for(host: Host, holidays: Iterable[Holiday] = ()) -> av.Schedule:
    """The engine's view of a host's hours: weekly rules, the organisation's and the host's own
    holidays (an override of the date wins), the host's overrides, and out-of-office days."""
    own: dict = {}
    for row in host.date_overrides:
        own.setdefault(row.day, [])
        if not row.is_day_off:
            own[row.day].append((row.start_minute, row.end_minute))
    days_off = av.dates_in_ranges(
        [(a.first_day, a.last_day) for a in host.absences], date.min, date.max
    )
    return av.Schedule(
        tz=host.tz,
        weekly=tuple(
            av.WeeklyInterval(w.weekday, w.start_minute, w.end_minute) for w in host.weekly_hours
        ),
        overrides=tuple(av.DateOverride(day, tuple(iv)) for day, iv in sorted(own.items())),
        holidays=tuple(sorted({h.day for h in holidays} | {h.day for h in host.holidays})),
        days_off=tuple(sorted(days_off)),
    )


@dataclass
class HostCalendar:
    """What the engine needs about one host of an event type within a range."""

    host: Host
    schedule: av.Schedule
    busy: list[av.Interval]
    booked_starts: list[datetime]
    # Busy time as epoch seconds instead (load_calendars(busy_as_seconds=True)): slot listings.
    busy_seconds: list[tuple[int, int]] = field(default_factory=list)
    # The host's meetings of any event type, when the event type keeps a minimum gap.
    meetings: list[av.Interval] = field(default_factory=list)


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


@cache
def _hours_statement():
    """Weekly hours, date overrides in a range and holidays in a range, as one read (built once)."""
    no_day, no_int = cast(null(), Date), cast(null(), Integer)
    first, last = bindparam("first"), bindparam("last")
    weekly_rows = select(
        literal_column("0").label("kind"),
        WeeklyHours.host_id,
        WeeklyHours.weekday,
        no_day.label("day"),
        WeeklyHours.start_minute,
        WeeklyHours.end_minute,
        WeeklyHours.id,
    ).where(WeeklyHours.host_id.in_(bindparam("ids_w", expanding=True)))
    override_rows = select(
        literal_column("1"),
        DateOverride.host_id,
        no_int,
        DateOverride.day,
        DateOverride.start_minute,
        DateOverride.end_minute,
        DateOverride.id,
    ).where(
        DateOverride.host_id.in_(bindparam("ids_o", expanding=True)),
        DateOverride.day >= first,
        DateOverride.day <= last,
    )
    holiday_rows = select(
        literal_column("2"), no_int, no_int, Holiday.day, no_int, no_int, Holiday.id
    ).where(
        Holiday.organisation_id == bindparam("organisation_id"),
        Holiday.day >= first,
        Holiday.day <= last,
    )
    own_holiday_rows = select(
        literal_column("3"),
        HostHoliday.host_id,
        no_int,
        HostHoliday.day,
        no_int,
        no_int,
        HostHoliday.id,
    ).where(
        HostHoliday.host_id.in_(bindparam("ids_h", expanding=True)),
        HostHoliday.day >= first,
        HostHoliday.day <= last,
    )
    # An absence comes as two rows with its id: kind 4 its first day (and its delegate in the
    # end_minute column), kind 5 its last day.
    absent = (
        Absence.host_id.in_(bindparam("ids_a", expanding=True)),
        Absence.first_day <= last,
        Absence.last_day >= first,
    )
    absence_firsts = select(
        literal_column("4"),
        Absence.host_id,
        no_int,
        Absence.first_day,
        no_int,
        Absence.delegate_id,
        Absence.id,
    ).where(*absent)
    absence_lasts = select(
        literal_column("5"), Absence.host_id, no_int, Absence.last_day, no_int, no_int, Absence.id
    ).where(*absent)
    return union_all(
        weekly_rows,
        override_rows,
        holiday_rows,
        own_holiday_rows,
        absence_firsts,
        absence_lasts,
    ).order_by(literal_column("kind"), literal_column("host_id"), literal_column("day"), "id")


@dataclass(frozen=True)
class Cover:
    """Dates on which a delegate covers for an absent host (local dates, near a range)."""

    absent_host_id: int
    delegate_id: int
    days: frozenset[date]


def schedules_by_host(
    hosts: Sequence[Host], organisation_id: int, start: datetime, end: datetime
) -> dict[int, av.Schedule]:
    """The engine's view of hosts' hours near a range; see schedules_and_covers()."""
    return schedules_and_covers(hosts, organisation_id, start, end)[0]


def schedules_and_covers(
    hosts: Sequence[Host], organisation_id: int, start: datetime, end: datetime
) -> tuple[dict[int, av.Schedule], list[Cover]]:
    """The engine's view of hosts' hours near a range: weekly rules, the organisation's and each
    host's own holidays, each host's overrides and out-of-office days, in one read of plain rows
    (cheaper than ORM objects); plus who covers for an absent host on which dates."""
    host_ids = [host.id for host in hosts]
    # Local dates of the range lie within a day of its UTC dates; the pad keeps margin.
    first, last = (start - RANGE_PAD).date(), (end + RANGE_PAD).date()
    rows = db.session.connection().execute(
        _hours_statement(),
        {
            "ids_w": host_ids,
            "ids_o": host_ids,
            "ids_h": host_ids,
            "ids_a": host_ids,
            "organisation_id": organisation_id,
            "first": first,
            "last": last,
        },
    )
    weekly: dict[int, list[av.WeeklyInterval]] = {host_id: [] for host_id in host_ids}
    own: dict[int, dict] = {host_id: {} for host_id in host_ids}
    own_holidays: dict[int, set[date]] = {host_id: set() for host_id in host_ids}
    absences: dict[int, list] = {}
    holiday_days = set()
    for kind, host_id, weekday, day, start_minute, end_minute, row_id in rows:
        if kind == 0:
            weekly[host_id].append(av.WeeklyInterval(weekday, start_minute, end_minute))
        elif kind == 1:
            intervals = own[host_id].setdefault(day, [])
            if start_minute is not None:
                intervals.append((start_minute, end_minute))
        elif kind == 2:
            holiday_days.add(day)
        elif kind == 3:
            own_holidays[host_id].add(day)
        elif kind == 4:
            absences[row_id] = [host_id, day, day, end_minute]
        else:
            absences[row_id][2] = day
    days_off: dict[int, set[date]] = {host_id: set() for host_id in host_ids}
    covered: dict[tuple[int, int], set[date]] = {}
    for host_id, first_day, last_day, delegate_id in absences.values():
        days = av.dates_in_ranges([(first_day, last_day)], first, last)
        days_off[host_id].update(days)
        if delegate_id is not None:
            covered.setdefault((host_id, delegate_id), set()).update(days)
    schedules = {}
    for host in hosts:
        schedules[host.id] = av.Schedule(
            tz=host.tz,
            weekly=tuple(weekly[host.id]),
            overrides=tuple(
                av.DateOverride(day, tuple(iv)) for day, iv in sorted(own[host.id].items())
            ),
            holidays=tuple(sorted(holiday_days | own_holidays[host.id])),
            days_off=tuple(sorted(days_off[host.id])),
        )
    covers = [
        Cover(host_id, delegate_id, frozenset(days))
        for (host_id, delegate_id), days in sorted(covered.items())
    ]
    return schedules, covers


def _loaded_active_hosts(organisation_id: int, host_ids: Sequence[int]) -> list[Host] | None:
    """_active_hosts() from the hosts this transaction loaded already; None if one is not."""
    if db.session.deleted:
        return None
    identity_map = db.session.identity_map
    hosts = []
    for host_id in sorted(set(host_ids)):
        host = identity_map.get(identity_key(Host, host_id))
        state = host.__dict__ if host is not None else {}
        if "active" not in state or "organisation_id" not in state:
            return None  # not loaded or expired: ask the database
        if host.active and host.organisation_id == organisation_id:
            hosts.append(host)
    return hosts


def _active_hosts(organisation_id: int, host_ids: Sequence[int]) -> list[Host]:
    """The organisation's active hosts among host_ids, by id."""
    hosts = _loaded_active_hosts(organisation_id, host_ids)
    if hosts is not None:
        return hosts
    return db.session.scalars(
        select(Host)
        .where(
            Host.id.in_(host_ids),
            Host.organisation_id == organisation_id,
            Host.active.is_(True),
        )
        .order_by(Host.id)
    ).all()


def _delegates(event_type: EventType, hosts: list[Host], covers: list[Cover]) -> list[Host]:
    """Colleagues who take over an absent host's direct booking link (an event type of that host
    alone, no team) on the absence's dates: active hosts of the same organisation."""
    if not covers or len(hosts) != 1 or event_type.pool_id is not None:
        return []
    if default_host_ids(event_type) != [hosts[0].id]:
        return []
    wanted = [c.delegate_id for c in covers if c.absent_host_id == hosts[0].id]
    return [h for h in _active_hosts(event_type.organisation_id, wanted) if h.id != hosts[0].id]


def load_calendars(
    event_type: EventType,
    start: datetime,
    end: datetime,
    exclude_booking_id: int | None = None,
    host_ids: Sequence[int] | None = None,
    *,
    busy_as_seconds: bool = False,
) -> list[HostCalendar]:
    """Active hosts (default: the event type's) with their hours and busy time around a range.

    An event type of one host alone also gets the calendars of colleagues covering that host's
    absences, limited to the absence's dates (so its listing offers them, and a booking on such
    a date goes to the colleague).
    busy_as_seconds: busy time in busy_seconds (epoch seconds from the database), busy empty.
    """
    if host_ids is None:
        host_ids = default_host_ids(event_type)
    if not host_ids:
        return []
    hosts = _active_hosts(event_type.organisation_id, host_ids)
    if not hosts:
        return []
    schedules, covers = schedules_and_covers(hosts, event_type.organisation_id, start, end)
    delegates = _delegates(event_type, hosts, covers)
    if delegates:
        delegate_schedules = schedules_by_host(delegates, event_type.organisation_id, start, end)
        for delegate in delegates:
            days = frozenset().union(*(c.days for c in covers if c.delegate_id == delegate.id))
            schedules[delegate.id] = replace(delegate_schedules[delegate.id], only_days=days)
        hosts = [*hosts, *delegates]
    ids = [host.id for host in hosts]
    meetings = meetings_by_host(event_type, ids, start, end, exclude_booking_id)
    if busy_as_seconds:
        seconds = busy_seconds_by_host(ids, start, end, exclude_booking_id)
        booked = booked_starts_by_host(event_type, ids, start, end, exclude_booking_id)
        return [
            HostCalendar(
                host, schedules[host.id], [], booked[host.id], seconds[host.id], meetings[host.id]
            )
            for host in hosts
        ]
    busy, booked = _busy_and_starts(event_type, ids, start, end, exclude_booking_id)
    return [
        HostCalendar(
            host, schedules[host.id], busy[host.id], booked[host.id], [], meetings[host.id]
        )
        for host in hosts
    ]


def moves_as_meeting(event_type: EventType, exclude_booking_id: int | None) -> bool:
    """Whether slots are a collective meeting's: the booking being moved is one (whatever the
    type became since), or nothing is moved and the type is collective."""
    if exclude_booking_id is None:
        return event_type.is_collective
    moved = db.session.get(Booking, exclude_booking_id)
    if moved is None:
        return event_type.is_collective
    return moved.meeting_id is not None


def compute_event_type_slots(
    event_type: EventType,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    host_ids: Sequence[int] | None = None,
    duration: int | None = None,
) -> list[datetime]:
    """Free slot starts (UTC) of an event type: the union over its active hosts.

    exclude_booking_id leaves one booking out of the busy time (the one being rescheduled);
    host_ids narrows the hosts (a routed lead's team or host); duration is the chosen length
    in minutes (checked by the caller, operations/durations.py; None: the default). A collective
    event type offers the starts all of its hosts are free for instead (operations/collective.py;
    no narrowing). A move follows the booking, not the type's current assignment: a collective
    meeting's rows move together (all its hosts free), a one-host booking moves alone.
    """
    if moves_as_meeting(event_type, exclude_booking_id):
        from .collective import compute_collective_slots  # it builds on this module

        return compute_collective_slots(
            event_type, start, end, now, exclude_booking_id, duration=duration
        )
    settings = settings_for(event_type)
    if duration is not None:
        settings = replace(settings, duration=duration)
    seconds = av.compute_slot_seconds
    calendars = load_calendars(
        event_type, start, end, exclude_booking_id, host_ids, busy_as_seconds=True
    )
    layouts: dict = {}  # hosts with the same hours lay them out once
    per_host = [
        seconds(
            cal.schedule,
            settings,
            start,
            end,
            now,
            booked_starts=cal.booked_starts,
            busy_seconds=cal.busy_seconds,
            meetings=cal.meetings,
            layouts=layouts,
        )
        for cal in calendars
    ]
    if not per_host:
        return []
    if len(per_host) == 1:
        return av.datetimes_from_seconds(per_host[0])
    # Union whole seconds in C: merging many hosts' sorted lists in Python is several times slower.
    return av.datetimes_from_seconds(sorted(set().union(*per_host)))
