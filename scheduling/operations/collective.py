"""Collective meetings: one meeting with all of an event type's hosts, one booking row per host.

The slot rule is the pure engine's (availability/collective.py): a start every host is free for.
Booking inserts every host's row in one savepoint, so each host's overlap guard (PostgreSQL's
exclusion constraint, SQLite's triggers) applies, and one host's conflict undoes them all. The
rows point at the first one (`meeting_id`), whose uid and links are the meeting's public ones.
Out-of-office delegation does not apply: an absent host makes the time unavailable.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduling import availability as av
from scheduling.errors import N_, InvalidRequest, NotFound, SlotUnavailable
from scheduling.extensions import db
from scheduling.models import Booking, EventType, User, event_type_hosts

from . import collective_notifications
from .audit import record
from .booking_rows import booking_row, new_uid
from .durations import resolve_duration, settings_for_duration
from .limits import lock_for_booking
from .live_busy import host_busy_now
from .locations import resolve_location
from .locking import acquire_booking_lock
from .slots import HostCalendar, load_calendars

TAKEN = N_("This time was just taken. Please pick another.")
NOT_OFFERED = N_(
    "That time is not offered for this event type. Please pick one of the listed times."
)


def selected_host_ids(event_type: EventType) -> list[int]:
    """The hosts a collective event type's meetings need, by id."""
    return list(
        db.session.scalars(
            select(event_type_hosts.c.host_id)
            .where(event_type_hosts.c.event_type_id == event_type.id)
            .order_by(event_type_hosts.c.host_id)
        )
    )


def meeting_rows(booking: Booking) -> list[Booking]:
    """Every row of the booking's meeting, the primary (public) one first; [booking] alone when
    it has one host."""
    if booking.meeting_id is None:
        return [booking]
    return list(
        db.session.scalars(
            select(Booking).where(Booking.meeting_id == booking.meeting_id).order_by(Booking.id)
        )
    )


def primary_row(booking: Booking) -> Booking:
    """The row whose uid and links stand for the whole meeting."""
    if booking.meeting_id is None or booking.meeting_id == booking.id:
        return booking
    return db.session.get(Booking, booking.meeting_id) or booking


def _calendars(
    event_type: EventType,
    host_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude: dict[int, int],
    *,
    busy_as_seconds: bool,
) -> list[HostCalendar] | None:
    """Each host's calendar, in host_ids order; None when a host is not active (no meeting)."""
    if exclude:
        calendars = []
        for host_id in host_ids:
            calendars += load_calendars(
                event_type, start, end, exclude.get(host_id), [host_id],
                busy_as_seconds=busy_as_seconds,
            )  # fmt: skip
    else:
        calendars = load_calendars(
            event_type, start, end, None, host_ids, busy_as_seconds=busy_as_seconds
        )
    by_host = {cal.host.id: cal for cal in calendars}
    if not host_ids or any(host_id not in by_host for host_id in host_ids):
        return None
    return [by_host[host_id] for host_id in host_ids]


def _member(cal: HostCalendar) -> av.MemberCalendar:
    return av.MemberCalendar(
        schedule=cal.schedule,
        busy=cal.busy,
        booked_starts=cal.booked_starts,
        busy_seconds=cal.busy_seconds,
        meetings=cal.meetings,
    )


def _exclusions(booking_id: int | None) -> dict[int, int]:
    """host id -> that host's row of the meeting being moved (left out of the busy time)."""
    if booking_id is None:
        return {}
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return {}
    return {row.host_id: row.id for row in meeting_rows(booking)}


def meeting_host_ids(event_type: EventType, booking_id: int | None) -> list[int]:
    """The hosts a meeting needs: those of the meeting being moved (a row of it: booking_id),
    else the event type's selected hosts."""
    exclude = _exclusions(booking_id)
    return sorted(exclude) if exclude else selected_host_ids(event_type)


def compute_collective_slots(
    event_type: EventType,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    duration: int | None = None,
) -> list[datetime]:
    """Free starts (UTC) of a collective event type: those every selected host is free for.

    exclude_booking_id: a row of the meeting being rescheduled; all its rows are left out.
    duration: the chosen length in minutes (checked by the caller; None: the default).
    """
    exclude = _exclusions(exclude_booking_id)
    host_ids = meeting_host_ids(event_type, exclude_booking_id)
    calendars = _calendars(event_type, host_ids, start, end, exclude, busy_as_seconds=True)
    if calendars is None:
        return []
    members = [_member(cal) for cal in calendars]
    settings = settings_for_duration(event_type, duration)
    return av.compute_collective_slots(members, settings, start, end, now)


def create_meeting(
    event_type: EventType,
    start: datetime,
    invitee,
    now: datetime,
    *,
    video_base_url: str,
    replaces: Sequence[Booking] = (),
    only_host_id: int | None = None,
    source: str = "public",
    actor: User | None = None,
) -> Booking:
    """Book `start` with every host of a collective event type (one row each); the primary row.

    replaces: the rows of the meeting being moved (already flushed as rescheduled): the same
    hosts are booked, each new row takes over its host's old row's iCal identity. InvalidRequest
    when a host's hours do not offer the time (or only_host_id names none of the hosts);
    SlotUnavailable when a host is busy then or another booking wins the race.
    """
    acquire_booking_lock(db.session)
    if not event_type.active:
        raise NotFound(N_("This event type is not available for booking."))
    if start.tzinfo is None:
        raise InvalidRequest(N_("The start time needs a UTC offset."), {"start": "missing offset"})
    old_by_host = {row.host_id: row for row in replaces}
    host_ids = sorted(old_by_host) if replaces else selected_host_ids(event_type)
    if only_host_id is not None and only_host_id not in host_ids:
        raise InvalidRequest(
            N_("That host does not take bookings of this event type."),
            {"host": "not an active host of this event type"},
        )
    kind = invitee.location_kind
    location_kind, location = resolve_location(event_type, kind, invitee.phone, video_base_url)
    minutes = resolve_duration(event_type, invitee.duration)
    lock_for_booking(host_ids, start, event_type=event_type)
    settings = settings_for_duration(event_type, minutes)
    window = (start - timedelta(days=1), start + timedelta(days=1))
    calendars = _calendars(event_type, host_ids, *window, {}, busy_as_seconds=False)
    if calendars is None or not all(
        av.is_slot_available(cal.schedule, settings, start, now) for cal in calendars
    ):
        raise InvalidRequest(NOT_OFFERED, {"start": "not an available start time"})
    if av.busy_members([_member(cal) for cal in calendars], settings, start, now):
        raise SlotUnavailable(TAKEN)
    # Each host's connected Google / Microsoft calendar gets one live look (operations/
    # live_busy.py): busy there since the last sync means nobody is booked.
    end = start + timedelta(minutes=minutes)
    occupied = av.occupied_interval(start, end, event_type.buffer_before, event_type.buffer_after)
    moved = {row.host_id: (row.occupied_from, row.occupied_until) for row in replaces}
    for host_id in host_ids:
        if host_busy_now(host_id, occupied.start, occupied.end, now, ignore=moved.get(host_id)):
            raise SlotUnavailable(TAKEN)
    hosts = {cal.host.id: cal.host for cal in calendars}
    shared_uid = replaces[0].ical_uid if replaces else f"{new_uid()}@rendezvous"
    rows = [
        booking_row(
            event_type,
            hosts[host_id],
            invitee,
            start,
            now,
            location=(location_kind, location),
            replaces=old_by_host.get(host_id),
            source=source,
            actor=actor,
            ical_uid=shared_uid,
            minutes=minutes,
        )
        for host_id in host_ids
    ]
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
            db.session.flush()
            for row in rows:
                row.meeting_id = rows[0].id
            db.session.flush()
    except IntegrityError:
        # Another transaction booked one of the hosts at an overlapping time: nothing of this
        # meeting is kept (the savepoint took every row back).
        raise SlotUnavailable(TAKEN) from None
    primary = rows[0]
    if actor is not None and not replaces:
        names = ", ".join(row.host.name for row in rows)
        record(
            primary.organisation_id,
            actor,
            "booking.create",
            "booking",
            primary.id,
            f"Booked {event_type.title} for {invitee.name} <{invitee.email}> "
            f"with {names} at {start.isoformat()}",
            now,
            {"host_id": [None, host_ids], "start_at": [None, start.isoformat()]},
        )
    if not replaces:
        collective_notifications.meeting_created(rows, now)
    return primary
