"""RFC 5545 text for bookings: add-to-calendar files, invitations and cancellations.

Times are written in UTC (the form every client reads the same way, with no VTIMEZONE to trust).
Pure: no Flask, no DB, no clock.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Rendezvous//Rendezvous booking//EN"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    stamp: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    organizer: Person | None = None
    attendee: Person | None = None
    cancelled: bool = False


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    for key, value in params.items():
        address.params[key] = value
    return address


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("aware datetimes required")
    return moment.astimezone(UTC)


def build_event(item: CalendarEvent) -> Event:
    """One VEVENT; shared by single files and (later) subscription feeds."""
    event = Event()
    event.add("uid", item.uid)
    event.add("sequence", item.sequence)
    event.add("dtstamp", _utc(item.stamp))
    event.add("dtstart", _utc(item.start))
    event.add("dtend", _utc(item.end))
    event.add("summary", item.summary)
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.url:
        event.add("url", item.url)
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    if item.organizer:
        event.add("organizer", _address(item.organizer))
    if item.attendee:
        event.add(
            "attendee",
            _address(item.attendee, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"),
        )
    return event


def render_calendar(items: list[CalendarEvent], method: str = "PUBLISH") -> bytes:
    """A VCALENDAR with the given METHOD: PUBLISH to save, REQUEST to invite, CANCEL to withdraw."""
    if method not in METHODS:
        raise ValueError(f"unknown METHOD {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    for item in items:
        calendar.add_component(build_event(item))
    return calendar.to_ical()
