"""Cancel or move a collective meeting: every host's row changes together, in one transaction.

Reached from cancel_booking and reschedule_booking (operations/bookings.py) with any row of the
meeting: the invitee's link (the primary row), a host's own row on the admin side, or the API.
"""

from datetime import datetime

from sqlalchemy import select

from scheduling.errors import N_, InvalidRequest
from scheduling.extensions import db
from scheduling.models import Booking, Lead, User

from . import collective_notifications
from .audit import record
from .booking_rows import mark_cancelled
from .collective import create_meeting, meeting_rows
from .limits import lock_for_booking
from .locking import acquire_booking_lock


def _locked_rows(booking: Booking) -> list[Booking]:
    """The meeting's rows, each refreshed under a row lock (a change asked twice runs once)."""
    rows = meeting_rows(booking)
    for row in rows:
        db.session.refresh(row, with_for_update=True)
    return rows


def cancel_meeting(
    booking: Booking,
    reason: str,
    now: datetime,
    *,
    by: str,
    actor: User | None,
    ensure_changeable,
) -> Booking:
    """Cancel every row of the booking's meeting; returns the row asked about."""

    acquire_booking_lock(db.session)
    rows = _locked_rows(booking)
    for row in rows:
        ensure_changeable(row, now)
    for row in rows:
        mark_cancelled(row, reason, by, now)
    primary = rows[0]
    if actor is not None:
        record(
            primary.organisation_id,
            actor,
            "booking.cancel",
            "booking",
            primary.id,
            f"Cancelled the meeting of {primary.invitee_name} <{primary.invitee_email}> "
            f"with {', '.join(row.host.name for row in rows)} "
            f"at {primary.start_at.isoformat()}: {reason}",
            now,
            {"status": ["confirmed", "cancelled"], "cancel_reason": ["", reason]},
        )
    collective_notifications.meeting_cancelled(rows, now)
    db.session.flush()
    return booking


def reschedule_meeting(
    booking: Booking,
    new_start: datetime,
    now: datetime,
    *,
    video_base_url: str,
    host_id: int | None,
    reason: str,
    by: str,
    actor: User | None,
    ensure_changeable,
    invitee_of,
    minutes: int | None = None,
) -> Booking:
    """Move every row of the meeting to new_start, with the same hosts; the new row of the host
    whose row was asked about. All hosts must be free then (buffers, limits, gaps). `minutes`:
    the length the moved meeting keeps or takes (None: the event type's default)."""
    acquire_booking_lock(db.session)
    rows = meeting_rows(booking)
    for row in rows:
        ensure_changeable(row, now)
    if new_start.tzinfo is None:
        raise InvalidRequest(N_("The start time needs a UTC offset."), {"start": "missing offset"})
    if host_id is not None and host_id not in {row.host_id for row in rows}:
        raise InvalidRequest(
            N_("A meeting with several hosts keeps its hosts; it cannot move to another one."),
            {"host_id": "not a host of this meeting"},
        )
    event_type = booking.event_type
    # Count locks first, then row locks: the order every booking path takes them in.
    lock_for_booking(sorted(row.host_id for row in rows), new_start, event_type=event_type)
    rows = _locked_rows(booking)
    for row in rows:
        ensure_changeable(row, now)
    primary = rows[0]
    old_start = primary.start_at
    for row in rows:
        row.status = "rescheduled"
        row.reschedule_reason = reason
        row.cancelled_by = by
        row.updated_at = now
    db.session.flush()
    new_primary = create_meeting(
        event_type,
        new_start,
        invitee_of(primary, minutes),
        now,
        video_base_url=video_base_url,
        replaces=rows,
        source=primary.source,
    )
    new_rows = meeting_rows(new_primary)
    keep_room = primary.location_kind == new_primary.location_kind
    for new in new_rows:
        new.token_version = primary.token_version
        new.created_by_id = primary.created_by_id
        if keep_room:
            new.location = primary.location  # the video room everyone already has
    for lead in db.session.scalars(select(Lead).where(Lead.booking_id == primary.id)):
        lead.booking = new_primary
    if actor is not None:
        record(
            primary.organisation_id,
            actor,
            "booking.reschedule",
            "booking",
            primary.id,
            f"Moved the meeting of {primary.invitee_name} <{primary.invitee_email}> "
            f"from {old_start.isoformat()} to {new_start.isoformat()} "
            f"with {', '.join(row.host.name for row in new_rows)}: {reason}",
            now,
            {
                "start_at": [old_start.isoformat(), new_start.isoformat()],
                "rescheduled_to": [None, new_primary.id],
            },
        )
    collective_notifications.meeting_rescheduled(rows, new_rows, now)
    db.session.flush()
    return next(new for new in new_rows if new.host_id == booking.host_id)
