"""New booking rows and the cancelled state: shared by one-host bookings and collective meetings."""

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scheduling import availability as av
from scheduling.models import Booking, EventType, Host, User

if TYPE_CHECKING:
    from .bookings import Invitee


def new_uid() -> str:
    """A random public identifier (128 bits)."""
    return secrets.token_hex(16)


def booking_row(
    event_type: EventType,
    host: Host,
    invitee: "Invitee",
    start: datetime,
    now: datetime,
    *,
    location: tuple[str, str],
    replaces: Booking | None,
    source: str,
    actor: User | None,
    ical_uid: str | None = None,
    minutes: int | None = None,
) -> Booking:
    """A confirmed booking row (not added): the meeting widened by the event type's buffers,
    the iCal identity of the row it replaces (or ical_uid, or a new one); `minutes` long (None:
    the event type's default length)."""
    end = start + timedelta(minutes=minutes or event_type.duration)
    occupied = av.occupied_interval(start, end, event_type.buffer_before, event_type.buffer_after)
    if replaces is not None:
        ical_uid = replaces.ical_uid
    return Booking(
        uid=new_uid(),
        organisation_id=event_type.organisation_id,
        event_type=event_type,
        host=host,
        invitee_name=invitee.name,
        invitee_email=invitee.email,
        invitee_tz=invitee.tz,
        invitee_locale=invitee.locale,
        note=invitee.note,
        start_at=start,
        end_at=end,
        occupied_from=occupied.start,
        occupied_until=occupied.end,
        status="confirmed",
        location_kind=location[0],
        location=location[1],
        ical_uid=ical_uid or f"{new_uid()}@rendezvous",
        sequence=replaces.sequence + 1 if replaces else 0,
        rescheduled_from=replaces,
        source=source,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        updated_at=now,
    )


def mark_cancelled(booking: Booking, reason: str, by: str, now: datetime) -> None:
    """Set a booking's cancelled state; SEQUENCE goes up for the calendars."""
    booking.status = "cancelled"
    booking.cancel_reason = reason
    booking.cancelled_by = by
    booking.cancelled_at = now
    booking.updated_at = now
    booking.sequence += 1
