"""Booking use cases: book, cancel, reschedule. Each re-checks the slot under the booking lock.

Changes made by a user on the admin side pass `actor=` and get an audit entry in the same
transaction; the public flow and the API pass none.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError

from scheduling import availability as av
from scheduling.errors import N_, BookingClosed, InvalidRequest, NotFound, SlotUnavailable
from scheduling.extensions import db
from scheduling.models import Booking, EventType, Host, Lead, PoolMember, User

from . import notifications
from .audit import record
from .booking_rows import booking_row, mark_cancelled, new_uid  # noqa: F401 (new_uid: importers)
from .durations import durations_of, kept_duration, resolve_duration, settings_for_duration
from .limits import capped_host_ids, lock_for_booking
from .live_busy import host_busy_now
from .locations import offered_locations, resolve_location
from .locking import acquire_booking_lock, transaction_memo
from .slots import default_host_ids, load_calendars


@dataclass(frozen=True)
class Invitee:
    """Who books: already shape-checked by a form or the API."""

    name: str
    email: str
    tz: str
    note: str = ""
    locale: str = "en"  # one of LANGUAGES: the invitee's emails and .ics are in it
    location_kind: str = ""  # one the event type offers; empty: its first (default) one
    phone: str = ""  # the invitee's number, for an "invitee_phone" location
    duration: int | None = None  # minutes, one the event type offers; None: its default


def _host_order(event_type: EventType, hosts: list[Host], now: datetime) -> list[Host]:
    """Free hosts, the one with the fewest upcoming bookings of this event type first."""
    if len(hosts) == 1:
        return list(hosts)  # nothing to rank
    counts = dict(
        db.session.execute(
            select(Booking.host_id, func.count())
            .where(
                Booking.event_type_id == event_type.id,
                Booking.status == "confirmed",
                Booking.start_at >= now,
                Booking.host_id.in_([host.id for host in hosts]),
            )
            .group_by(Booking.host_id)
        ).all()
    )
    return sorted(hosts, key=lambda host: (counts.get(host.id, 0), host.id))


@cache
def _taken_statement(replaces: bool):
    """raise_if_all_taken's read, built once (with bound parameters) per variant."""
    same_slot = and_(
        Booking.event_type_id == bindparam("event_type_id"), Booking.start_at == bindparam("start")
    )
    query = select(
        func.count(func.distinct(Booking.host_id)), func.max(case((same_slot, 1), else_=0))
    ).where(
        Booking.host_id.in_(bindparam("ids", expanding=True)),
        Booking.status == "confirmed",
        Booking.occupied_from < bindparam("occupied_until"),
        Booking.occupied_until > bindparam("occupied_from"),
    )
    if replaces:
        query = query.where(Booking.id != bindparam("replaces_id"))
    return query


def raise_if_all_taken(
    event_type: EventType,
    start: datetime,
    host_ids: Sequence[int],
    replaces: Booking | None = None,
) -> None:
    """Answer 409 from one indexed read when every candidate already holds that time.

    The overlap the database refuses (buffers included), once a booking of this event type
    starts exactly then (so the time was on its grid; anything else gets the full check and its
    400). Such a request cannot succeed: no need to load hours, busy times and fairness counts.
    """
    if not host_ids or start.tzinfo is None:
        return
    # Booking through a route checks the same candidates before create_booking does: once is
    # enough in one transaction (the full check under the locks follows either way).
    key = (
        "all_taken",
        event_type.id,
        start,
        frozenset(host_ids),
        replaces.id if replaces is not None else None,
    )
    memo = transaction_memo(db.session)
    if key in memo:
        return
    # The shortest offered length: a longer chosen one only overlaps more, so a 409 stays right.
    end = start + timedelta(minutes=durations_of(event_type)[0])
    occupied = av.occupied_interval(start, end, event_type.buffer_before, event_type.buffer_after)
    params = {
        "ids": list(host_ids),
        "event_type_id": event_type.id,
        "start": start,
        "occupied_from": occupied.start,
        "occupied_until": occupied.end,
    }
    if replaces is not None:
        params["replaces_id"] = replaces.id
    query = _taken_statement(replaces is not None), params
    taken, on_grid = db.session.execute(*query).one()
    if on_grid and taken >= len(set(host_ids)):
        raise SlotUnavailable(N_("This time was just taken. Please pick another."))
    memo[key] = True


def create_booking(
    event_type: EventType,
    start: datetime,
    invitee: Invitee,
    now: datetime,
    *,
    video_base_url: str,
    preferred_host_id: int | None = None,
    replaces: Booking | None = None,
    only_host_id: int | None = None,
    source: str = "public",
    actor: User | None = None,
    host_ids: Sequence[int] | None = None,
    order_hosts: Callable[[list[Host]], list[Host]] | None = None,
) -> Booking:
    """Book `start` with a free host of the event type, or raise why not.

    InvalidRequest: the time is not one the event type offers (off the grid, outside hours, past,
    too soon, beyond the horizon), or only_host_id names no active host of it. SlotUnavailable:
    it is offered but taken in the meantime. only_host_id books that host or nobody (the admin
    side picks the host); actor marks a booking entered by a user: created_by and an audit entry.
    host_ids narrows the candidates (a routed lead); order_hosts ranks the free ones (round-robin).
    A collective event type books all of its hosts together (operations/collective.py).
    """
    if event_type.is_collective and replaces is None:
        from .collective import create_meeting  # it builds on this module

        return create_meeting(
            event_type,
            start,
            invitee,
            now,
            video_base_url=video_base_url,
            only_host_id=only_host_id,
            source=source,
            actor=actor,
        )
    acquire_booking_lock(db.session)
    if not event_type.active:
        raise NotFound(N_("This event type is not available for booking."))
    if start.tzinfo is None:
        raise InvalidRequest(N_("The start time needs a UTC offset."), {"start": "missing offset"})
    location_kind, location = resolve_location(
        event_type, invitee.location_kind, invitee.phone, video_base_url
    )
    candidates = list(host_ids) if host_ids is not None else default_host_ids(event_type)
    if only_host_id is not None:
        candidates = [host_id for host_id in candidates if host_id == only_host_id]
    minutes = resolve_duration(event_type, invitee.duration)
    raise_if_all_taken(event_type, start, candidates, replaces)
    # The daily and weekly limits and the minimum gap are checked below.
    lock_for_booking(candidates, start, event_type=event_type)
    settings = settings_for_duration(event_type, minutes)
    exclude_id = replaces.id if replaces is not None else None
    calendars = load_calendars(
        event_type, start - timedelta(days=1), start + timedelta(days=1), exclude_id, host_ids
    )
    if only_host_id is not None:
        calendars = [cal for cal in calendars if cal.host.id == only_host_id]
        if not calendars:
            raise InvalidRequest(
                N_("That host does not take bookings of this event type."),
                {"host": "not an active host of this event type"},
            )
    offered = [cal for cal in calendars if av.is_slot_available(cal.schedule, settings, start, now)]
    if not offered:
        raise InvalidRequest(
            N_(
                "That time is not offered for this event type. Please pick one of the listed times."
            ),
            {"start": "not an available start time"},
        )
    free = [
        cal.host
        for cal in offered
        if av.is_slot_available(
            cal.schedule, settings, start, now, cal.busy, cal.booked_starts, cal.meetings
        )
    ]
    if not free:
        ordered = []
    elif order_hosts is not None:
        ordered = order_hosts(free)
    else:
        ordered = _host_order(event_type, free, now)
    if preferred_host_id is not None:
        ordered.sort(key=lambda host: host.id != preferred_host_id)
    end = start + timedelta(minutes=minutes)
    occupied = av.occupied_interval(start, end, event_type.buffer_before, event_type.buffer_after)
    moved = (replaces.occupied_from, replaces.occupied_until) if replaces is not None else None
    for host in ordered:
        # A connected Google / Microsoft calendar gets one live look (a few seconds at most);
        # busy there since the last sync: the next free host, or "just taken".
        if host_busy_now(host.id, occupied.start, occupied.end, now, ignore=moved):
            continue
        booking = booking_row(
            event_type,
            host,
            invitee,
            start,
            now,
            location=(location_kind, location),
            replaces=replaces,
            source=source,
            actor=actor,
            minutes=minutes,
        )
        try:
            with db.session.begin_nested():
                db.session.add(booking)
        except IntegrityError:
            # Another transaction booked an overlapping time for this host (PostgreSQL
            # exclusion constraint): try the next free host.
            continue
        if actor is not None and replaces is None:
            record(
                booking.organisation_id,
                actor,
                "booking.create",
                "booking",
                booking.id,
                f"Booked {event_type.title} for {invitee.name} <{invitee.email}> "
                f"with {host.name} at {start.isoformat()}",
                now,
                {"host_id": [None, host.id], "start_at": [None, start.isoformat()]},
            )
        if replaces is None:
            notifications.booking_created(booking, now)
        return booking
    raise SlotUnavailable(N_("This time was just taken. Please pick another."))


def _ensure_changeable(booking: Booking, now: datetime) -> None:
    if booking.status == "cancelled":
        raise BookingClosed(N_("This booking has been cancelled."))
    if booking.status == "rescheduled":
        raise BookingClosed(N_("This booking was moved to another time; use the latest link."))
    if booking.start_at <= now:
        raise BookingClosed(N_("This meeting has already started or taken place."))


CHANGED_BY = ("invitee", "user")


def _check_changed_by(by: str, actor: User | None) -> None:
    if by not in CHANGED_BY or (by == "user") != (actor is not None):
        raise ValueError("by='user' needs the acting user, by='invitee' none")


def cancel_booking(
    booking: Booking,
    reason: str,
    now: datetime,
    *,
    by: str = "invitee",
    actor: User | None = None,
) -> Booking:
    """Cancel a confirmed, future booking; the time becomes free again.

    by says who asked: "invitee" (public link) or "user" (admin side, with actor for the audit).
    Any row of a collective meeting cancels all of its hosts' rows.
    """
    _check_changed_by(by, actor)
    if booking.meeting_id is not None:
        from .collective_changes import cancel_meeting

        return cancel_meeting(
            booking, reason, now, by=by, actor=actor, ensure_changeable=_ensure_changeable
        )
    acquire_booking_lock(db.session)
    db.session.refresh(booking, with_for_update=True)  # cancelled once when asked twice at once
    _ensure_changeable(booking, now)
    mark_cancelled(booking, reason, by, now)
    if actor is not None:
        record(
            booking.organisation_id,
            actor,
            "booking.cancel",
            "booking",
            booking.id,
            f"Cancelled the booking of {booking.invitee_name} <{booking.invitee_email}> "
            f"at {booking.start_at.isoformat()}: {reason}",
            now,
            {"status": ["confirmed", "cancelled"], "cancel_reason": ["", reason]},
        )
    notifications.booking_cancelled(booking, now)
    db.session.flush()
    return booking


def reschedule_booking(
    booking: Booking,
    new_start: datetime,
    now: datetime,
    *,
    video_base_url: str,
    host_id: int | None = None,
    reason: str = "",
    by: str = "invitee",
    actor: User | None = None,
    duration: int | None = None,
) -> Booking:
    """Move a booking: the old row is kept as 'rescheduled', a new confirmed row takes its place.

    duration: a new length (one the event type offers); None keeps the booking's own length.

    The same host is preferred, unless host_id names the one to move it to (or raise); the new
    row keeps the iCal UID, source and creator and raises SEQUENCE, so calendars update the event
    instead of adding one. The old row keeps who moved it (by) and why (reason). Any row of a
    collective meeting moves all of its hosts' rows (operations/collective_changes.py).
    """
    _check_changed_by(by, actor)
    if booking.meeting_id is not None:
        from .collective_changes import reschedule_meeting

        return reschedule_meeting(
            booking,
            new_start,
            now,
            video_base_url=video_base_url,
            host_id=host_id,
            reason=reason,
            by=by,
            actor=actor,
            ensure_changeable=_ensure_changeable,
            invitee_of=invitee_of,
            minutes=kept_duration(booking, duration),
        )
    acquire_booking_lock(db.session)
    db.session.refresh(booking)
    _ensure_changeable(booking, now)
    if new_start.tzinfo is None:
        raise InvalidRequest(N_("The start time needs a UTC offset."), {"start": "missing offset"})
    minutes = kept_duration(booking, duration)
    order_hosts = _within_team_caps(booking, new_start, now, choose=host_id is None)
    # Row lock after the count locks (the order every booking path uses): a booking moved
    # twice at once is moved once, the other request sees it as moved.
    db.session.refresh(booking, with_for_update=True)
    _ensure_changeable(booking, now)
    old_start, old_host_id = booking.start_at, booking.host_id
    booking.status = "rescheduled"
    booking.reschedule_reason = reason
    booking.cancelled_by = by
    booking.updated_at = now
    db.session.flush()
    new = create_booking(
        booking.event_type,
        new_start,
        invitee_of(booking, minutes),
        now,
        video_base_url=video_base_url,
        preferred_host_id=booking.host_id,
        replaces=booking,
        only_host_id=host_id,
        source=booking.source,
        order_hosts=order_hosts,
    )
    new.token_version = booking.token_version
    new.created_by_id = booking.created_by_id
    _carry_routing(booking, new)
    if new.host_id == booking.host_id and booking.location_kind == new.location_kind:
        new.location = booking.location  # keep the video room the invitee already has
    if actor is not None:
        changes = {"start_at": [old_start.isoformat(), new.start_at.isoformat()]}
        if new.host_id != old_host_id:
            changes["host_id"] = [old_host_id, new.host_id]
        changes["rescheduled_to"] = [None, new.id]
        record(
            booking.organisation_id,
            actor,
            "booking.reschedule",
            "booking",
            booking.id,
            f"Moved the booking of {booking.invitee_name} <{booking.invitee_email}> "
            f"from {old_start.isoformat()} to {new.start_at.isoformat()} "
            f"with {new.host.name}: {reason}",
            now,
            changes,
        )
    notifications.booking_rescheduled(booking, new, now)
    db.session.flush()
    return new


def invitee_of(booking: Booking, minutes: int | None = None) -> Invitee:
    """Who booked, as a move books them again (for meetings of `minutes`; None: the default)."""
    return Invitee(
        booking.invitee_name,
        booking.invitee_email,
        booking.invitee_tz,
        booking.note,
        booking.invitee_locale,
        # The same kind of location while the event type still offers it, else its default.
        location_kind=booking.location_kind
        if any(item.kind == booking.location_kind for item in offered_locations(booking.event_type))
        else "",
        phone=booking.location if booking.location_kind == "invitee_phone" else "",
        duration=minutes,
    )


def _within_team_caps(
    booking: Booking, new_start: datetime, now: datetime, *, choose: bool
) -> Callable[[list[Host]], list[Host]] | None:
    """Lock the counts a move checks; when a team's host is chosen, skip members at their caps.

    The team is the one the booking was assigned in, else the event type's. A host named by
    the user (choose=False) is taken as asked, as when booking for a host on the admin side.
    """
    event_type = booking.event_type
    pool_id = booking.assignment.pool_id if booking.assignment is not None else event_type.pool_id
    members = []
    if pool_id is not None:
        members = db.session.scalars(
            select(PoolMember).where(PoolMember.pool_id == pool_id, PoolMember.active.is_(True))
        ).all()
    candidates = set(default_host_ids(event_type)) | {m.host_id for m in members}
    lock_for_booking(sorted(candidates), new_start, members=members, event_type=event_type)
    if not choose or not any(m.daily_cap or m.weekly_cap for m in members):
        return None

    def order(free: list[Host]) -> list[Host]:
        # Called after the old row is flushed as moved: it no longer counts towards a cap.
        capped = capped_host_ids(members, new_start)
        return _host_order(event_type, [h for h in free if h.id not in capped], now)

    return order


def _carry_routing(old: Booking, new: Booking) -> None:
    """A moved booking keeps its lead and its place in the team's fair-share count."""
    assignment = old.assignment
    if assignment is not None:
        assignment.booking = new
        if assignment.host_id != new.host_id:
            explanation = dict(assignment.explanation or {})
            explanation["note"] = "Moved to another host when the booking was rescheduled."
            assignment.explanation = explanation
            assignment.host_id = new.host_id
    for lead in db.session.scalars(select(Lead).where(Lead.booking_id == old.id)):
        lead.booking = new


_EVENT_TYPE_BY_SLUG = select(EventType).where(EventType.slug == bindparam("slug"))


def get_event_type(slug: str, *, include_inactive: bool = False) -> EventType:
    """The event type with this slug, or NotFound."""
    event_type = db.session.execute(_EVENT_TYPE_BY_SLUG, {"slug": slug}).scalar_one_or_none()
    if event_type is None or not (event_type.active or include_inactive):
        raise NotFound(N_("There is no bookable event type at this address."))
    return event_type


def get_booking(uid: str) -> Booking:
    """The booking with this public id, or NotFound."""
    booking = db.session.execute(select(Booking).where(Booking.uid == uid)).scalar_one_or_none()
    if booking is None:
        raise NotFound(N_("This booking does not exist."))
    return booking
