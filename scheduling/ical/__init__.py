"""RFC 5545 text for bookings: add-to-calendar files, invitations and cancellations.

Times are written in UTC (the form every client reads the same way, with no VTIMEZONE to trust).
Pure: no Flask, no DB, no clock; imports only the standard library, icalendar and pure packages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded on first use: the feed's events and web workers do without it
    from icalendar import Event, vCalAddress

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
    # More people at the meeting (the other hosts of a collective meeting), after `attendee`.
    attendees: tuple[Person, ...] = ()
    cancelled: bool = False
    # When the booking last changed; feeds send it as LAST-MODIFIED.
    last_modified: datetime | None = None
    # Busy-only feeds mark the event private, so shared calendars show no details either.
    private: bool = False


@dataclass(frozen=True)
class FeedInfo:
    """Calendar-level properties of a subscription feed (RFC 7986 and their X- forerunners)."""

    name: str
    refresh: timedelta


def _address(person: Person, **params: str) -> vCalAddress:
    from icalendar import vCalAddress, vText

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
    from icalendar import Event

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
    if item.last_modified is not None:
        event.add("last-modified", _utc(item.last_modified))
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    # A booking blocks the host's time: say so, or some clients import it as free.
    event.add("transp", "OPAQUE")
    if item.private:
        event.add("class", "PRIVATE")
    if item.organizer:
        event.add("organizer", _address(item.organizer))
    if item.attendee:
        event.add(
            "attendee",
            _address(item.attendee, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"),
        )
    for person in item.attendees:
        event.add(
            "attendee",
            _address(person, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"),
        )
    return event


def _check_itip(items: list[CalendarEvent], method: str) -> None:
    """RFC 5546: REQUEST and CANCEL need ORGANIZER and ATTENDEE; CANCEL marks events cancelled."""
    if method == "PUBLISH":
        return
    for item in items:
        if item.organizer is None or item.attendee is None:
            raise ValueError(f"METHOD:{method} needs an organizer and an attendee")
        if (method == "CANCEL") != item.cancelled:
            raise ValueError(f"METHOD:{method} does not fit cancelled={item.cancelled}")


def _duration(value: timedelta) -> str:
    minutes = max(1, int(value.total_seconds() // 60))
    return f"PT{minutes}M"


def render_calendar(
    items: list[CalendarEvent], method: str = "PUBLISH", *, feed: FeedInfo | None = None
) -> bytes:
    """A VCALENDAR with the given METHOD: PUBLISH to save, REQUEST to invite, CANCEL to withdraw.

    With feed, it is a subscription feed: named (NAME, X-WR-CALNAME) and with a suggested
    polling interval (REFRESH-INTERVAL, X-PUBLISHED-TTL), read by different clients.
    """
    if method not in METHODS:
        raise ValueError(f"unknown METHOD {method!r}")
    _check_itip(items, method)
    from icalendar import Calendar, vText

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if feed is not None:
        calendar.add("name", feed.name)
        calendar.add("x-wr-calname", feed.name)
        interval = _duration(feed.refresh)
        # Written by hand: icalendar would not add VALUE=DURATION, which RFC 7986 requires.
        calendar["refresh-interval"] = vText(interval)
        calendar["refresh-interval"].params["VALUE"] = "DURATION"
        calendar["x-published-ttl"] = vText(interval)
    # Components follow the calendar's own properties, so splicing cached VEVENT text in before
    # END:VCALENDAR gives the very bytes icalendar would write. A feed that changed in one booking
    # then renders one event, not thousands (folding and escaping dominate the cost).
    head = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    if not head.endswith(end):  # icalendar changed how it writes a calendar
        raise RuntimeError("unexpected VCALENDAR serialisation")
    return b"".join([head[: -len(end)], *map(event_bytes, items), end])


@lru_cache(maxsize=20_000)
def event_bytes(item: CalendarEvent) -> bytes:
    """One VEVENT as RFC 5545 text; remembered, since an event's text depends only on item."""
    text = _plain_event_text(item)
    return text.encode() if text is not None else build_event(item).to_ical()


# Characters the hand-written VEVENT below never has to deal with: icalendar has special cases
# for them (backslashes, RFC 6868 carets and quotes, control characters), so it writes those.
_ODD_TEXT = re.compile('[\x00-\x09\x0b-\x1f\x7f\\\\^"]')
_ODD_PARAM = re.compile('[\x00-\x1f\x7f\\\\^"]')
_QUOTED_CN = re.compile("[,;:\u2019 ']")
_TEXT_ESCAPES = str.maketrans({";": "\\;", ",": "\\,", "\n": "\\n"})


def _stamp(moment: datetime) -> str:
    moment = _utc(moment)
    return (
        f"{moment.year:04}{moment.month:02}{moment.day:02}"
        f"T{moment.hour:02}{moment.minute:02}{moment.second:02}Z"
    )


def _fold(line: str) -> str:
    """icalendar's folding: cut before the octet that would reach 75, never right after a
    backslash (an escape stays whole), continuation lines start with a space."""
    if line.isascii():
        # One octet per character: cut every 74, stepping back one before a backslash.
        parts: list[str] = []
        begin = 0
        while len(line) - begin > 74:
            end = begin + 74
            if line[end - 1] == "\\":
                end -= 1
            parts.append(line[begin:end])
            begin = end
        if not parts:
            return line
        parts.append(line[begin:])
        return "\r\n ".join(parts)
    parts = []
    current: list[str] = []
    count = 0
    for char in line:
        size = 1 if char < "\x80" else len(char.encode())
        if current and count + size >= 75:
            if len(current) > 1 and current[-1] == "\\":
                carried = current.pop()
                parts.append("".join(current))
                current = [carried]
                count = 1
            else:
                parts.append("".join(current))
                current = []
                count = 0
        current.append(char)
        count += size
    if current:
        parts.append("".join(current))
    return "\r\n ".join(parts)


def _cn(person: Person) -> str:
    name = person.name
    return f'"{name}"' if _QUOTED_CN.search(name) else name


def _plain_event_text(item: CalendarEvent) -> str | None:
    """The VEVENT exactly as build_event(item).to_ical() writes it, about 20 times faster, or
    None when a value holds a character icalendar treats specially (it then writes the event).

    A feed of thousands of bookings rendered with icalendar took seconds, most of it in its
    per-character folding and per-property objects; tests compare both writers byte for byte.
    """
    if item.attendees:
        return None  # several attendees (a collective meeting's hosts): icalendar writes them
    texts = [item.uid, item.summary, item.description, item.location]
    params = [item.url]
    for person in (item.organizer, item.attendee):
        if person is not None:
            params += [person.name, person.email]
    if any(_ODD_TEXT.search(value) for value in texts) or any(
        _ODD_PARAM.search(value) for value in params
    ):
        return None
    if not isinstance(item.sequence, int) or isinstance(item.sequence, bool):
        return None
    escape = _TEXT_ESCAPES
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + item.summary.translate(escape),
        "DTSTART:" + _stamp(item.start),
        "DTEND:" + _stamp(item.end),
        "DTSTAMP:" + _stamp(item.stamp),
        "UID:" + item.uid.translate(escape),
        f"SEQUENCE:{item.sequence}",
    ]
    # The remaining properties follow in alphabetical order, as icalendar sorts them.
    if item.attendee:
        lines.append(
            f"ATTENDEE;CN={_cn(item.attendee)};PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;"
            f"RSVP=FALSE:mailto:{item.attendee.email}"
        )
    if item.private:
        lines.append("CLASS:PRIVATE")
    if item.description:
        lines.append("DESCRIPTION:" + item.description.translate(escape))
    if item.last_modified is not None:
        lines.append("LAST-MODIFIED:" + _stamp(item.last_modified))
    if item.location:
        lines.append("LOCATION:" + item.location.translate(escape))
    if item.organizer:
        lines.append(f"ORGANIZER;CN={_cn(item.organizer)}:mailto:{item.organizer.email}")
    lines.append("STATUS:CANCELLED" if item.cancelled else "STATUS:CONFIRMED")
    lines.append("TRANSP:OPAQUE")
    if item.url:
        lines.append("URL:" + item.url)
    lines.append("END:VEVENT")
    return "\r\n".join(map(_fold, lines)) + "\r\n"
