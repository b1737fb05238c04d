"""iCalendar output: parseable, UTC times, METHOD, stable UID and SEQUENCE."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from scheduling.ical import CalendarEvent, Person, render_calendar

START = datetime(2030, 3, 31, 0, 30, tzinfo=UTC)


def item(**kw) -> CalendarEvent:
    defaults = {
        "uid": "abc@rendezvous",
        "sequence": 2,
        "start": START,
        "end": START + timedelta(minutes=45),
        "summary": "Discovery call: Ada and Bob",
        "stamp": datetime(2030, 3, 1, tzinfo=UTC),
        "description": "Line one\nLine two, with; punctuation",
        "location": "https://meet.example/room",
        "url": "https://book.example/booking/x/y",
        "organizer": Person("Bob Host", "bob@example.com"),
        "attendee": Person("Ada Lovelace", "ada@example.com"),
    }
    defaults.update(kw)
    return CalendarEvent(**defaults)


@pytest.mark.parametrize("method", ["PUBLISH", "REQUEST", "CANCEL"])
def test_round_trip(method):
    text = render_calendar([item(cancelled=method == "CANCEL")], method=method)
    calendar = Calendar.from_ical(text)
    assert str(calendar["method"]) == method
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart") == START
    assert event.decoded("dtend") == START + timedelta(minutes=45)
    assert str(event["uid"]) == "abc@rendezvous"
    assert int(event["sequence"]) == 2
    assert str(event["description"]) == "Line one\nLine two, with; punctuation"
    assert str(event["organizer"]) == "mailto:bob@example.com"
    assert str(event["attendee"].params["CN"]) == "Ada Lovelace"
    assert str(event["status"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")


def test_times_are_written_in_utc():
    berlin = timezone(timedelta(hours=2))
    text = render_calendar([item(start=START.astimezone(berlin), end=START.astimezone(berlin))])
    assert b"DTSTART:20300331T003000Z" in text


def test_lines_are_crlf_and_folded():
    text = render_calendar([item(description="x" * 300)])
    assert b"\r\n" in text
    assert all(len(line) <= 75 for line in text.split(b"\r\n"))


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        render_calendar([item()], method="REPLY")
    with pytest.raises(ValueError):
        render_calendar([item(start=datetime(2030, 1, 1))])
