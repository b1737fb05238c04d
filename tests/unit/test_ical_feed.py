"""The builder's feed and invitation rules: calendar properties, RFC 5546 method checks."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from scheduling.ical import CalendarEvent, FeedInfo, Person, render_calendar

START = datetime(2030, 3, 31, 0, 30, tzinfo=UTC)
HOST = Person("Bob Host", "bob@example.com")
GUEST = Person("Ada Lovelace", "ada@example.com")


def item(**kw) -> CalendarEvent:
    defaults = {
        "uid": "abc@rendezvous",
        "sequence": 0,
        "start": START,
        "end": START + timedelta(minutes=30),
        "summary": "Call",
        "stamp": START,
    }
    return CalendarEvent(**{**defaults, **kw})


def test_feed_properties_follow_rfc_7986_and_the_x_forerunners():
    body = render_calendar(
        [item(last_modified=START, private=True)],
        feed=FeedInfo("Anna: bookings", timedelta(minutes=15)),
    )
    calendar = Calendar.from_ical(body)
    assert str(calendar["name"]) == str(calendar["x-wr-calname"]) == "Anna: bookings"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in body
    assert b"X-PUBLISHED-TTL:PT15M\r\n" in body
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("last-modified") == START
    assert str(event["class"]) == "PRIVATE"
    assert str(event["transp"]) == "OPAQUE"


def test_invitations_need_organizer_and_attendee():
    with pytest.raises(ValueError, match="organizer and an attendee"):
        render_calendar([item(organizer=HOST)], method="REQUEST")
    body = render_calendar([item(organizer=HOST, attendee=GUEST)], method="REQUEST")
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["organizer"]) == "mailto:bob@example.com"
    assert str(event["attendee"]) == "mailto:ada@example.com"


def test_cancel_must_carry_a_cancelled_event_and_request_a_live_one():
    with pytest.raises(ValueError, match="CANCEL"):
        render_calendar([item(organizer=HOST, attendee=GUEST)], method="CANCEL")
    with pytest.raises(ValueError, match="REQUEST"):
        render_calendar([item(organizer=HOST, attendee=GUEST, cancelled=True)], method="REQUEST")
    body = render_calendar(
        [item(organizer=HOST, attendee=GUEST, cancelled=True, sequence=3)], method="CANCEL"
    )
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert (str(event["status"]), int(event["sequence"])) == ("CANCELLED", 3)


def test_cached_events_splice_into_the_exact_bytes_icalendar_writes():
    """render_calendar reuses each VEVENT's text; the result must equal a plain to_ical()."""
    from datetime import UTC, datetime, timedelta

    from icalendar import Calendar

    from scheduling.ical import (
        PRODID,
        CalendarEvent,
        FeedInfo,
        build_event,
        event_bytes,
        render_calendar,
    )

    start = datetime(2030, 3, 30, 23, 30, tzinfo=UTC)
    items = [
        CalendarEvent(
            uid=f"{n}@test",
            sequence=n % 3,
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n, minutes=45),
            summary=f"Call, with; Ünïcode {n} " + "long " * 20,
            stamp=start,
            description="Budget: 50k+\nNotes: a, b; c",
            last_modified=start,
        )
        for n in range(5)
    ]
    feed = FeedInfo("Anna's bookings", timedelta(minutes=15))
    render_calendar(items[:2], "PUBLISH", feed=feed)  # warm the cache for some events
    assert event_bytes.cache_info().currsize >= 2
    spliced = render_calendar(items, "PUBLISH", feed=feed)

    plain = Calendar.from_ical(render_calendar([], "PUBLISH", feed=feed))
    for item in items:
        plain.add_component(build_event(item))
    assert spliced == plain.to_ical()
    assert PRODID.encode() in spliced
