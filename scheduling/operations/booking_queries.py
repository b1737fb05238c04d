"""Read-only booking queries for the admin side: filtered lists, history, free slots per host."""

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from scheduling import availability as av
from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking, EventType, Holiday, Host, Outcome, User

from .busy_time import booked_starts_by_host, busy_by_host, meetings_by_host
from .durations import settings_for_duration
from .slots import (
    default_host_ids,
    load_calendars,
    moves_as_meeting,
    schedule_for,
    settings_for,
)


@dataclass(frozen=True)
class BookingFilter:
    """What the bookings list shows; host_ids is already limited to what the viewer may see."""

    host_ids: tuple[int, ...]
    start_from: datetime | None = None
    start_before: datetime | None = None
    event_type_id: int | None = None
    status: str | None = None
    outcome: str | None = None  # "none", or one of OUTCOMES
    search: str = ""


def _filtered(spec: BookingFilter) -> Select:
    # A collective meeting once: the first of its rows the viewer may see (its primary one
    # for whoever sees all of its hosts).
    other = aliased(Booking)
    first_seen = (
        select(func.min(other.id))
        .where(other.meeting_id == Booking.meeting_id, other.host_id.in_(spec.host_ids))
        .scalar_subquery()
    )
    query = select(Booking).where(
        Booking.host_id.in_(spec.host_ids),
        or_(Booking.meeting_id.is_(None), Booking.id == first_seen),
    )
    if spec.start_from is not None:
        query = query.where(Booking.start_at >= spec.start_from)
    if spec.start_before is not None:
        query = query.where(Booking.start_at < spec.start_before)
    if spec.event_type_id is not None:
        query = query.where(Booking.event_type_id == spec.event_type_id)
    if spec.status is not None:
        query = query.where(Booking.status == spec.status)
    if spec.outcome == "none":
        query = query.where(~select(Outcome.id).where(Outcome.booking_id == Booking.id).exists())
    elif spec.outcome is not None:
        query = query.join(Outcome, Outcome.booking_id == Booking.id).where(
            Outcome.status == spec.outcome
        )
    if spec.search:
        term = spec.search.lower()
        query = query.where(
            func.lower(Booking.invitee_name).contains(term, autoescape=True)
            | func.lower(Booking.invitee_email).contains(term, autoescape=True)
        )
    return query


def count_bookings(spec: BookingFilter) -> int:
    """How many bookings match."""
    return db.session.scalar(select(func.count()).select_from(_filtered(spec).subquery()))


def _ordered(spec: BookingFilter) -> Select:
    return (
        _filtered(spec)
        .options(
            selectinload(Booking.host),
            selectinload(Booking.event_type),
            selectinload(Booking.outcome).selectinload(Outcome.lost_reason),
        )
        .order_by(Booking.start_at.desc(), Booking.id.desc())
    )


def list_bookings(spec: BookingFilter, page: int, per_page: int) -> list[Booking]:
    """One page of matching bookings, latest start first."""
    query = _ordered(spec).limit(per_page).offset((page - 1) * per_page)
    return list(db.session.scalars(query))


def iter_bookings(spec: BookingFilter, chunk: int = 500) -> Iterator[Booking]:
    """Every matching booking, latest start first, loaded a chunk at a time (for exports)."""
    query = _ordered(spec).execution_options(yield_per=chunk)
    yield from db.session.scalars(query)


def successor_of(booking: Booking) -> Booking | None:
    """The booking this one was moved to, if it was."""
    return db.session.scalars(
        select(Booking).where(Booking.rescheduled_from_id == booking.id).order_by(Booking.id)
    ).first()


def booking_chain(booking: Booking) -> list[Booking]:
    """Every version of one meeting, oldest first: what it was moved from and to."""
    chain = [booking]
    seen = {booking.id}
    while chain[0].rescheduled_from is not None and chain[0].rescheduled_from.id not in seen:
        chain.insert(0, chain[0].rescheduled_from)
        seen.add(chain[0].id)
    later = successor_of(booking)
    while later is not None and later.id not in seen:
        chain.append(later)
        seen.add(later.id)
        later = successor_of(later)
    return chain


def booking_history(booking: Booking) -> list[AuditEntry]:
    """Audit entries about any version of this meeting, oldest first."""
    ids = [version.id for version in booking_chain(booking)]
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.organisation_id == booking.organisation_id,
                AuditEntry.object_type == "booking",
                AuditEntry.object_id.in_(ids),
            )
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )


def last_change_by(booking: Booking, action: str) -> AuditEntry | None:
    """The latest audit entry of this action on this very booking (who cancelled or moved it)."""
    return db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.organisation_id == booking.organisation_id,
            AuditEntry.object_type == "booking",
            AuditEntry.object_id == booking.id,
            AuditEntry.action == action,
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).first()


def creator_of(booking: Booking) -> User | None:
    return db.session.get(User, booking.created_by_id) if booking.created_by_id else None


def organisation_event_types(organisation_id: int) -> list[EventType]:
    """All event types of an organisation, active ones first, then by title."""
    return list(
        db.session.scalars(
            select(EventType)
            .where(EventType.organisation_id == organisation_id)
            .order_by(EventType.active.desc(), EventType.title, EventType.id)
        )
    )


def bookable_event_types(organisation_id: int, host_ids: Sequence[int]) -> list[EventType]:
    """Active event types of the organisation that one of these hosts takes (hosts or team)."""
    wanted = set(host_ids)
    if not wanted:
        return []
    candidates = db.session.scalars(
        select(EventType)
        .where(EventType.organisation_id == organisation_id, EventType.active.is_(True))
        .order_by(EventType.title, EventType.id)
    )
    return [et for et in candidates if wanted & event_type_host_ids(et)]


def event_type_host_ids(event_type: EventType) -> set[int]:
    """Who takes bookings of an event type: its team's active members, or its hosts."""
    return set(default_host_ids(event_type))


def free_slots_for_host(
    event_type: EventType,
    host_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    duration: int | None = None,
) -> list[datetime]:
    """Free starts of one host of an event type in [start, end), as create_booking judges them
    (for meetings of `duration` minutes; None: the event type's default).

    Of a collective event type: the starts all of its hosts (this one among them) are free for.
    """
    if moves_as_meeting(event_type, exclude_booking_id):
        from .collective import compute_collective_slots, meeting_host_ids

        if host_id not in meeting_host_ids(event_type, exclude_booking_id):
            return []
        return compute_collective_slots(
            event_type, start, end, now, exclude_booking_id, duration=duration
        )
    settings = settings_for_duration(event_type, duration)
    for cal in load_calendars(event_type, start, end, exclude_booking_id):
        if cal.host.id == host_id:
            return av.compute_slots(
                cal.schedule, settings, start, end, now, cal.busy, cal.booked_starts, cal.meetings
            )
    return []


def free_slots_by_host(
    hosts: Sequence[Host], start: datetime, end: datetime, now: datetime
) -> dict[int, list[datetime]]:
    """Free starts per host in [start, end): the union over the active event types each hosts."""
    result: dict[int, list[datetime]] = {host.id: [] for host in hosts}
    active = [host for host in hosts if host.active]
    if not active:
        return result
    ids = [host.id for host in active]
    organisation_ids = {host.organisation_id for host in active}
    event_types = db.session.scalars(
        select(EventType)
        .where(EventType.organisation_id.in_(organisation_ids), EventType.active.is_(True))
        .order_by(EventType.id)
    ).all()
    pairs = [
        (host_id, event_type)
        for event_type in event_types
        for host_id in sorted(event_type_host_ids(event_type).intersection(ids))
    ]
    if not pairs:
        return result
    busy = busy_by_host(ids, start, end)
    holidays_by_org: dict[int, list[Holiday]] = {}
    for host in active:
        if host.organisation_id not in holidays_by_org:
            holidays_by_org[host.organisation_id] = list(host.organisation.holidays)
    schedules = {
        host.id: schedule_for(host, holidays_by_org[host.organisation_id]) for host in active
    }
    per_host: dict[int, list[list[datetime]]] = {host_id: [] for host_id in ids}
    for host_id, event_type in pairs:
        booked = booked_starts_by_host(event_type, [host_id], start, end)[host_id]
        meetings = meetings_by_host(event_type, [host_id], start, end)[host_id]
        rules = settings_for(event_type)
        per_host[host_id].append(
            av.compute_slots(
                schedules[host_id], rules, start, end, now, busy[host_id], booked, meetings
            )
        )
    for host_id, lists in per_host.items():
        result[host_id] = [slot for slot, _ in groupby(heapq.merge(*lists))]
    return result


def confirmed_bookings_between(
    host_ids: Sequence[int], start: datetime, end: datetime
) -> list[Booking]:
    """Confirmed bookings of these hosts whose meeting overlaps [start, end)."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.host_id.in_(host_ids),
                Booking.status == "confirmed",
                Booking.start_at < end,
                Booking.end_at > start,
            )
            .options(selectinload(Booking.event_type), selectinload(Booking.host))
            .order_by(Booking.start_at, Booking.id)
        )
    )


def viewer_zone(user: User) -> tuple[str, str]:
    """The zone a user reads lists and the team calendar in, and why: "own", "org" or "utc".

    Their own host's zone; without one, the organisation's first host's; without hosts, UTC.
    """
    if user.host is not None:
        return user.host.tz, "own"
    first = db.session.scalars(
        select(Host).where(Host.organisation_id == user.organisation_id).order_by(Host.id)
    ).first()
    if first is not None:
        return first.tz, "org"
    return "UTC", "utc"
