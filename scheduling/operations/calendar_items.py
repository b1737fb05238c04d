"""Bookings as calendar events, for .ics files now and feeds and invitations later."""

from collections.abc import Callable
from datetime import datetime

from scheduling.errors import N_
from scheduling.ical import CalendarEvent, Person
from scheduling.models import Booking

LOCATION_LABELS = {
    "in_person": N_("In person"),
    "phone": N_("Phone call"),
    "video": N_("Video call"),
}


def _english(message: str, **params) -> str:
    return message % params if params else message


def calendar_event_for(
    booking: Booking,
    stamp: datetime,
    url: str = "",
    gettext: Callable[..., str] = _english,
    when: str = "",
) -> CalendarEvent:
    """The iCal view of a booking (the same UID across reschedules, SEQUENCE counting changes).

    `gettext` translates its texts (the web layer passes Flask-Babel's, in the reader's locale);
    `when` is the time as the reader reads it (date, time, zone label), formatted by the caller.
    """
    host = booking.host
    event_type = booking.event_type
    lines = [
        gettext("%(title)s with %(host)s", title=event_type.title, host=host.name),
        gettext("Invitee: %(name)s", name=booking.invitee_name),
    ]
    if when:
        lines.insert(1, gettext("When: %(when)s", when=when))
    if booking.location:
        label = gettext(LOCATION_LABELS[booking.location_kind])
        lines.append(f"{label}: {booking.location}")
    if booking.note:
        lines.append(gettext("Note: %(note)s", note=booking.note))
    if url:
        lines.append(gettext("Manage this booking: %(url)s", url=url))
    return CalendarEvent(
        uid=booking.ical_uid,
        sequence=booking.sequence,
        start=booking.start_at,
        end=booking.end_at,
        summary=gettext(
            "%(title)s: %(invitee)s and %(host)s",
            title=event_type.title,
            invitee=booking.invitee_name,
            host=host.name,
        ),
        stamp=stamp,
        description="\n".join(lines),
        location=booking.location,
        url=url,
        organizer=Person(host.name, host.email),
        attendee=Person(booking.invitee_name, booking.invitee_email),
        cancelled=not booking.is_confirmed,
    )
