"""Bookings as calendar events, for .ics files now and feeds and invitations later."""

from collections.abc import Callable
from datetime import datetime

from scheduling.errors import N_
from scheduling.ical import CalendarEvent, Person
from scheduling.models import Booking

from .payloads import meeting_hosts

LOCATION_LABELS = {
    "video": N_("Video call"),
    "host_phone": N_("Phone call, the invitee calls"),
    "invitee_phone": N_("Phone call, the host calls"),
    "in_person": N_("In person"),
    "link": N_("Online meeting"),
}


def _english(message: str, **params) -> str:
    return message % params if params else message


def location_label(kind: str, gettext: Callable[..., str] = _english) -> str:
    """What kind of meeting it is, in the reader's language."""
    return gettext(LOCATION_LABELS.get(kind, N_("Meeting")))


def location_text(kind: str, detail: str, gettext: Callable[..., str] = _english) -> str:
    """The iCal LOCATION: an address or URL as it is (calendars open them), a number with
    who calls whom."""
    if detail and kind in ("host_phone", "invitee_phone"):
        return f"{location_label(kind, gettext)}: {detail}"
    return detail


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
    hosts = meeting_hosts(booking)  # several for a collective meeting: the first organises
    host = hosts[0]
    names = ", ".join(h.name for h in hosts)
    event_type = booking.event_type
    lines = [
        gettext("%(title)s with %(host)s", title=event_type.title, host=names),
        gettext("Invitee: %(name)s", name=booking.invitee_name),
    ]
    if when:
        lines.insert(1, gettext("When: %(when)s", when=when))
    if booking.location:
        lines.append(f"{location_label(booking.location_kind, gettext)}: {booking.location}")
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
            host=names,
        ),
        stamp=stamp,
        description="\n".join(lines),
        location=location_text(booking.location_kind, booking.location, gettext),
        url=url,
        organizer=Person(host.name, host.email),
        attendee=Person(booking.invitee_name, booking.invitee_email),
        attendees=tuple(Person(h.name, h.email) for h in hosts[1:]),
        cancelled=not booking.is_confirmed,
    )
