"""Bookings as calendar events, for .ics files now and feeds and invitations later."""

from datetime import datetime

from scheduling.ical import CalendarEvent, Person
from scheduling.models import Booking

LOCATION_LABELS = {"in_person": "In person", "phone": "Phone call", "video": "Video call"}


def calendar_event_for(booking: Booking, stamp: datetime, url: str = "") -> CalendarEvent:
    """The iCal view of a booking (the same UID across reschedules, SEQUENCE counting changes)."""
    host = booking.host
    event_type = booking.event_type
    lines = [f"{event_type.title} with {host.name}", f"Invitee: {booking.invitee_name}"]
    if booking.location:
        lines.append(f"{LOCATION_LABELS[booking.location_kind]}: {booking.location}")
    if booking.note:
        lines.append(f"Note: {booking.note}")
    if url:
        lines.append(f"Manage this booking: {url}")
    return CalendarEvent(
        uid=booking.ical_uid,
        sequence=booking.sequence,
        start=booking.start_at,
        end=booking.end_at,
        summary=f"{event_type.title}: {booking.invitee_name} and {host.name}",
        stamp=stamp,
        description="\n".join(lines),
        location=booking.location,
        url=url,
        organizer=Person(host.name, host.email),
        attendee=Person(booking.invitee_name, booking.invitee_email),
        cancelled=not booking.is_confirmed,
    )
