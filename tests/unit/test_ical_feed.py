"""The builder's feed and invitation rules: calendar properties, RFC 5546 method checks."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


# Texts that exercise escaping (;,\n), CN quoting (space, comma, colon, quotes), folding of
# multi-byte characters at the 75-octet edge, and the characters left to icalendar (\, ^, ").
_TEXT = st.text(alphabet=st.sampled_from(list("ab Z09;,:\n\\^\"'\u2019\t\ré€😀-@./")), max_size=120)
_PERSON = st.builds(Person, _TEXT, _TEXT)
_WHEN = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(
    uid=_TEXT,
    sequence=st.integers(0, 10**6),
    start=_WHEN,
    end=_WHEN,
    summary=_TEXT,
    stamp=_WHEN,
    description=_TEXT,
    location=_TEXT,
    url=_TEXT,
    organizer=st.none() | _PERSON,
    attendee=st.none() | _PERSON,
    cancelled=st.booleans(),
    last_modified=st.none() | _WHEN,
    private=st.booleans(),
)
def test_fast_event_text_is_byte_for_byte_what_icalendar_writes(**fields):
    """Feeds write VEVENTs by hand for speed; any difference from icalendar's output is a bug."""
    from scheduling.ical import _plain_event_text, build_event, event_bytes

    event = CalendarEvent(**fields)
    try:
        expected = build_event(event).to_ical()
    except ValueError:  # icalendar refuses a URL with a line break: so must the feed
        with pytest.raises(ValueError):
            event_bytes(event)
        return
    assert event_bytes(event) == expected
    fast = _plain_event_text(event)
    texts = [event.uid, event.summary, event.description, event.location]
    params = [event.url] + [
        value
        for person in (event.organizer, event.attendee)
        if person
        for value in (person.name, person.email)
    ]
    odd = any(c in v for v in texts for c in '\\^"\t\r') or any(
        c in v for v in params for c in '\\^"\t\r\n'
    )
    assert (fast is None) == odd  # plain values take the fast path
    if fast is not None:
        assert fast.encode() == expected


def test_fast_event_text_covers_a_typical_feed_event():
    from scheduling.ical import _plain_event_text, build_event

    event = item(
        summary="Discovery call, with Ada; Lovelace",
        description="Budget: 50k+\nNotes: " + "é" * 80,
        location="https://meet.example/r1",
        organizer=HOST,
        attendee=Person("Lovelace, Ada", "ada@example.com"),
        last_modified=START,
    )
    assert _plain_event_text(event).encode() == build_event(event).to_ical()


@pytest.mark.parametrize("width", range(60, 160))
def test_fast_event_text_folds_escapes_at_every_position_like_icalendar(width):
    """An escape (\\; \\, \\n) near a 75-octet fold must land where icalendar puts it."""
    from scheduling.ical import _plain_event_text, build_event

    event = item(summary="a" * width + ";,\n;", description="é" * (width // 3) + ",;" * 40)
    assert _plain_event_text(event).encode() == build_event(event).to_ical()
