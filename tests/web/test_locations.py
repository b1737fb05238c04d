"""Meeting locations: the invitee's choice on the booking form and in the API, and where the
chosen location shows up (booking page, emails, .ics, host feed, webhook payload)."""

import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import Booking
from scheduling.operations.bookings import Invitee, create_booking, reschedule_booking
from scheduling.operations.calendar_feeds import regenerate_feed
from scheduling.operations.payloads import booking_json
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.integration.test_outbox_emails import calendar_of, run_worker

SLOT = "2030-01-08T09:00:00+00:00"  # Tuesday 10:00 in Berlin
START = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
VIDEO = "https://meet.test.example"
ALL = [
    {"kind": "video", "detail": ""},
    {"kind": "host_phone", "detail": "+493012345678"},
    {"kind": "invitee_phone", "detail": ""},
    {"kind": "in_person", "detail": "Hauptstr. 1, 10115 Berlin"},
    {"kind": "link", "detail": "https://rooms.example.com/sales"},
]


@pytest.fixture
def every_kind(make_event_type, frozen_now):
    return make_event_type(title="Intro call", locations=ALL)


def count() -> int:
    db.session.rollback()  # end the snapshot: see what the requests committed
    return db.session.scalar(select(func.count()).select_from(Booking))


def open_form(client, event_type):
    page = client.get(
        f"/book/{event_type.slug}/confirm", query_string={"start": SLOT, "tz": "Europe/Berlin"}
    )
    assert page.status_code == 200, page.text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)
    return page.text, token


def submit(client, event_type, token, **fields):
    data = {
        "start": SLOT,
        "tz": "Europe/Berlin",
        "form_token": token,
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "note": "",
        **fields,
    }
    return client.post(f"/book/{event_type.slug}/confirm", data=data)


def test_the_invitee_chooses_among_several_locations_without_javascript(client, every_kind):
    page, token = open_form(client, every_kind)
    # One accessible radio group, the default (first) preselected, and the number field.
    assert "<legend>Where should the meeting take place?</legend>" in page
    radios = re.findall(r'<input[^>]*name="location"[^>]*>', page)
    assert len(radios) == 5 and all('type="radio"' in radio for radio in radios)
    assert "checked" in radios[0] and 'value="video"' in radios[0]
    assert "Phone call: you call +493012345678" in page
    assert "In person: Hauptstr. 1, 10115 Berlin" in page
    assert 'name="phone"' in page and 'type="tel"' in page
    response = submit(client, every_kind, token, location="invitee_phone", phone="030 1234567x")
    assert response.status_code == 400  # no country code and not a number: refused
    assert "Enter the number with its country code" in response.text
    assert count() == 0
    response = submit(client, every_kind, token, location="invitee_phone", phone="+49 30 1234567")
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert (booking.location_kind, booking.location) == ("invitee_phone", "+49301234567")
    shown = client.get(response.headers["Location"]).text
    assert "Phone call: we call you at +49301234567" in shown


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"location": "invitee_phone"}, "Please enter the phone number we should call."),
        ({"location": "invitee_phone", "phone": "+49 30"}, "This is not a valid phone number."),
        ({"location": "carrier_pigeon"}, "Please choose where the meeting takes place."),
    ],
)
def test_a_bad_choice_is_refused_with_a_message(client, every_kind, fields, message):
    _, token = open_form(client, every_kind)
    response = submit(client, every_kind, token, **fields)
    assert response.status_code == 400
    assert message in response.text
    # The message is tied to its field (the number input, or the radio group's fieldset).
    assert 'aria-invalid="true"' in response.text or 'aria-describedby="location-error"' in (
        response.text
    )
    assert count() == 0


@pytest.mark.parametrize(
    ("location", "stored"),
    [
        ("video", None),
        ("host_phone", "+493012345678"),
        ("in_person", "Hauptstr. 1, 10115 Berlin"),
        ("link", "https://rooms.example.com/sales"),
    ],
)
def test_each_chosen_location_is_stored_with_its_detail(client, every_kind, location, stored):
    _, token = open_form(client, every_kind)
    # A number typed for another choice is not kept.
    response = submit(client, every_kind, token, location=location, phone="+49 30 7654321")
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert booking.location_kind == location
    if stored is None:
        assert booking.location.startswith(f"{VIDEO}/rendezvous-")
    else:
        assert booking.location == stored


def test_with_one_location_no_choice_is_shown(client, make_event_type, frozen_now):
    office = make_event_type(locations=[{"kind": "in_person", "detail": "Hauptstr. 1"}])
    page, token = open_form(client, office)
    assert 'name="location"' not in page and 'name="phone"' not in page
    assert submit(client, office, token).status_code == 303
    booking = db.session.scalar(select(Booking))
    assert (booking.location_kind, booking.location) == ("in_person", "Hauptstr. 1")


def test_a_single_invitee_phone_location_asks_only_the_number(client, make_event_type, frozen_now):
    calls = make_event_type(locations=[{"kind": "invitee_phone", "detail": ""}])
    page, token = open_form(client, calls)
    assert 'name="location"' not in page and "Your phone number" in page
    assert submit(client, calls, token).status_code == 400
    assert count() == 0
    assert submit(client, calls, token, phone="+44 20 7946 0958").status_code == 303
    assert db.session.scalar(select(Booking.location)) == "+442079460958"


# -- API ----------------------------------------------------------------------------------------


def api_book(client, event_type, **fields):
    body = {
        "event_type": event_type.slug,
        "start": SLOT,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        **fields,
    }
    return client.post("/api/v1/bookings", json=body)


def test_the_api_lists_the_offered_locations(client, every_kind):
    data = client.get(f"/api/v1/event-types/{every_kind.slug}").get_json()
    assert data["location_kind"] == "video"
    assert data["locations"] == ALL


def test_the_api_books_the_chosen_location(client, every_kind):
    response = api_book(client, every_kind, location="invitee_phone", phone="+49 30 1234567")
    assert response.status_code == 201, response.text
    data = response.get_json()
    assert (data["location_kind"], data["location"]) == ("invitee_phone", "+49301234567")
    default = api_book(client, every_kind, start="2030-01-08T10:00:00+00:00").get_json()
    assert default["location_kind"] == "video" and default["location"].startswith(VIDEO)


@pytest.mark.parametrize(
    ("fields", "field", "offered"),
    [
        ({"location": "teleport"}, "location", ["video"]),
        ({"location": 7}, "location", ["video"]),
        ({"location": "in_person"}, "location", ["video"]),  # a known kind, not offered
        ({"location": "invitee_phone"}, "phone", ["invitee_phone"]),
        ({"location": "invitee_phone", "phone": "12"}, "phone", ["invitee_phone"]),
        ({"location": "invitee_phone", "phone": ["+4930"]}, "phone", ["invitee_phone"]),
    ],
)
def test_the_api_refuses_a_location_it_does_not_offer(
    client, make_event_type, frozen_now, fields, field, offered
):
    event_type = make_event_type(locations=[{"kind": kind, "detail": ""} for kind in offered])
    response = api_book(client, event_type, **fields)
    assert response.status_code == 400, response.text
    assert field in response.get_json()["fields"]
    assert count() == 0


# -- where the choice shows up ------------------------------------------------------------------


def book(event_type, kind, phone="", start=START) -> Booking:
    invitee = Invitee("Ada Lovelace", "ada@example.org", "Europe/London", "", "en", kind, phone)
    booking = create_booking(event_type, start, invitee, clock.utcnow(), video_base_url=VIDEO)
    db.session.commit()
    return booking


def test_emails_and_their_ics_show_the_phone_call(app, every_kind, moving_clock, smtp_server):
    booking = book(every_kind, "invitee_phone", "+49 30 1234567")
    run_worker(app)
    message = smtp_server.to("ada@example.org")[0].message
    text = message.get_body(("plain",)).get_content()
    assert "Where: Phone call, the host calls: +49301234567" in text
    assert "Join the" not in text
    event = calendar_of(message).walk("VEVENT")[0]
    assert str(event["location"]) == "Phone call, the host calls: +49301234567"
    host_text = smtp_server.to(booking.host.email)[0].message.get_body(("plain",)).get_content()
    assert "Where: Phone call, the host calls: +49301234567" in host_text


def test_a_custom_link_gets_a_join_button(app, every_kind, moving_clock, smtp_server):
    book(every_kind, "link")
    run_worker(app)
    message = smtp_server.to("ada@example.org")[0].message
    html = message.get_body(("html",)).get_content()
    link = "https://rooms.example.com/sales"
    assert f'<a class="button" href="{link}">Join the meeting</a>' in html
    assert str(calendar_of(message).walk("VEVENT")[0]["location"]) == link


def test_the_host_feed_and_the_webhook_payload_carry_the_location(client, every_kind, frozen_now):
    booking = book(every_kind, "in_person")
    token = regenerate_feed(booking.host, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    feed = Calendar.from_ical(client.get(f"/feeds/host/{token}.ics").data)
    (event,) = feed.walk("VEVENT")
    assert str(event["location"]) == "Hauptstr. 1, 10115 Berlin"
    assert "In person: Hauptstr. 1, 10115 Berlin" in str(event["description"])
    payload = booking_json(booking)
    assert (payload["location_kind"], payload["location"]) == (
        "in_person",
        "Hauptstr. 1, 10115 Berlin",
    )


def test_rescheduling_keeps_the_invitees_number(every_kind, frozen_now):
    booking = book(every_kind, "invitee_phone", "+49 30 1234567")
    moved = reschedule_booking(
        booking, datetime(2030, 1, 9, 9, 0, tzinfo=UTC), FROZEN_NOW, video_base_url=VIDEO
    )
    assert (moved.location_kind, moved.location) == ("invitee_phone", "+49301234567")
    # No longer offered: the move takes the event type's default.
    every_kind.locations = [{"kind": "in_person", "detail": "Hauptstr. 1"}]
    again = reschedule_booking(
        moved, datetime(2030, 1, 10, 9, 0, tzinfo=UTC), FROZEN_NOW, video_base_url=VIDEO
    )
    assert (again.location_kind, again.location) == ("in_person", "Hauptstr. 1")
