"""The public JSON API: slots and booking, with every kind of bad input."""

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Booking


def booking_count() -> int:
    db.session.rollback()  # end the snapshot: see what the requests committed
    return db.session.scalar(select(func.count()).select_from(Booking))


def slots(client, slug, **params):
    params.setdefault("timezone", "Europe/Berlin")
    return client.get(f"/api/v1/event-types/{slug}/slots", query_string=params)


@pytest.fixture
def event_type(make_event_type, frozen_now):
    # Host in Berlin, Mon-Fri 09:00-17:00; now is Monday 2030-01-07 09:00 Berlin time.
    return make_event_type()


def book(client, kind, when, **overrides):
    body = {
        "event_type": kind.slug,
        "start": when,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "timezone": "Europe/Paris",
        "note": "Looking forward",
    }
    body.update(overrides)
    return client.post("/api/v1/bookings", json=body)


def test_slots_of_a_day_in_the_host_zone(client, event_type):
    response = slots(client, event_type.slug, start="2030-01-08", end="2030-01-08")
    assert response.status_code == 200
    data = response.get_json()
    assert data["timezone"] == "Europe/Berlin"
    assert data["slots"][0] == "2030-01-08T09:00:00+01:00"
    assert data["slots"][-1] == "2030-01-08T16:30:00+01:00"
    assert len(data["slots"]) == 16


def test_slots_are_shown_in_the_visitor_zone_without_changing(client, event_type):
    berlin = slots(client, event_type.slug, start="2030-01-08", end="2030-01-08").get_json()
    kolkata = slots(
        client, event_type.slug, start="2030-01-08", end="2030-01-08", timezone="Asia/Kolkata"
    ).get_json()
    assert kolkata["slots"][0] == "2030-01-08T13:30:00+05:30"
    assert len(kolkata["slots"]) == len(berlin["slots"])


def test_slots_today_respect_now(client, event_type):
    data = slots(client, event_type.slug, start="2030-01-07", end="2030-01-07").get_json()
    assert data["slots"][0] == "2030-01-07T09:00:00+01:00"  # now is exactly 09:00 Berlin


def test_weekend_has_no_slots(client, event_type):
    data = slots(client, event_type.slug, start="2030-01-12", end="2030-01-13").get_json()
    assert data["slots"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2030-01-08", "end": "2030-01-08", "timezone": "Mars/Olympus"}, "timezone"),
        ({"start": "2030-01-08", "end": "2030-01-08", "timezone": "../../etc/passwd"}, "timezone"),
        ({"start": "08/01/2030", "end": "2030-01-08"}, "start"),
        ({"start": "2030-02-30", "end": "2030-03-01"}, "start"),
        ({"start": "2030-01-08", "end": "20300109"}, "end"),
        ({"end": "2030-01-08"}, "start"),
        ({"start": "2030-01-08"}, "end"),
        ({"start": "2030-01-09", "end": "2030-01-08"}, "end"),
        ({"start": "2030-01-01", "end": "2030-03-04"}, "end"),  # 63 days
    ],
)
def test_bad_slot_queries_get_400_with_the_field(client, event_type, params, field):
    params.setdefault("timezone", "UTC")
    response = client.get(f"/api/v1/event-types/{event_type.slug}/slots", query_string=params)
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"] == "invalid_request"
    assert field in data["fields"]
    assert data["message"]


def test_62_days_is_allowed(client, event_type):
    response = slots(client, event_type.slug, start="2030-01-07", end="2030-03-09")
    assert response.status_code == 200
    assert len(response.get_json()["slots"]) > 300


def test_unknown_event_type_is_404_json(client, event_type):
    response = slots(client, "no-such-thing", start="2030-01-08", end="2030-01-08")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_inactive_event_type_is_404(client, event_type):
    event_type.active = False
    db.session.commit()
    assert slots(client, event_type.slug, start="2030-01-08", end="2030-01-08").status_code == 404
    assert book(client, event_type, "2030-01-08T10:00:00+01:00").status_code == 404


def test_book_a_slot(client, event_type):
    response = book(client, event_type, "2030-01-08T10:00:00+01:00")
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["start"] == "2030-01-08T10:00:00+01:00"  # shown in the invitee's zone (Paris)
    assert data["end"] == "2030-01-08T10:30:00+01:00"
    assert data["host"]["name"] == "Hannah Host"
    assert data["cancel_url"].startswith("http://localhost/booking/")
    assert "/cancel/" in data["cancel_url"] and "/reschedule/" in data["reschedule_url"]
    assert data["location"].startswith("https://meet.test.example/")
    booking = db.session.scalar(select(Booking))
    assert booking.uid == data["id"]
    assert booking.invitee_tz == "Europe/Paris"
    # The slot is gone from the list and cannot be booked twice.
    day = slots(client, event_type.slug, start="2030-01-08", end="2030-01-08").get_json()
    assert "2030-01-08T10:00:00+01:00" not in day["slots"]
    again = book(client, event_type, "2030-01-08T10:00:00+01:00", email="bob@example.com")
    assert again.status_code == 409
    assert again.get_json()["error"] == "slot_unavailable"
    assert booking_count() == 1


def test_the_same_instant_in_another_offset_is_the_same_slot(client, event_type):
    assert book(client, event_type, "2030-01-08T09:00:00Z").status_code == 201
    assert book(client, event_type, "2030-01-08T14:30:00+05:30").status_code == 409


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"start": "2030-01-08 10:00"}, "start"),  # no offset
        ({"start": "tomorrow at ten"}, "start"),
        ({"start": ""}, "start"),
        ({"note": "x" * 5001}, "note"),
        ({"event_type": ""}, "event_type"),
    ],
)
def test_bad_booking_fields_get_400_and_store_nothing(client, event_type, overrides, field):
    response = book(client, event_type, "2030-01-08T10:00:00+01:00", **overrides)
    assert response.status_code == 400
    assert field in response.get_json()["fields"]
    assert booking_count() == 0


@pytest.mark.parametrize(
    "start",
    [
        "2030-01-08T10:10:00+01:00",  # off the grid
        "2030-01-07T08:30:00+01:00",  # in the past (now is 09:00 Berlin)
        "2030-01-08T18:00:00+01:00",  # outside the host's hours
        "2030-01-12T10:00:00+01:00",  # Saturday
        "2031-06-02T10:00:00+02:00",  # beyond the horizon
    ],
)
def test_times_that_are_not_slots_get_400(client, event_type, start):
    response = book(client, event_type, start)
    assert response.status_code == 400
    assert "start" in response.get_json()["fields"]
    assert booking_count() == 0


def test_unknown_event_type_booking_is_404(client, event_type):
    response = book(client, event_type, "2030-01-08T10:00:00+01:00", event_type="nope")
    assert response.status_code == 404
    assert booking_count() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("not json", "application/json"), ("[1, 2]", "application/json"), ("a=b", "text/plain")],
)
def test_non_object_bodies_get_400(client, event_type, data, content_type):
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_unknown_api_route_and_method_are_json(client):
    assert client.get("/api/v1/nothing").get_json()["error"] == "not_found"
    response = client.delete("/api/v1/bookings")  # GET lists bookings with an API key now
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"


def test_overlapping_bookings_of_different_lengths_are_refused(
    client, make_event_type, make_host, frozen_now
):
    host = make_host()
    long_call = make_event_type(hosts=[host], duration=60, step=60)
    short_call = make_event_type(hosts=[host], duration=30, step=30)
    assert book(client, long_call, "2030-01-08T10:00:00+01:00").status_code == 201
    assert book(client, short_call, "2030-01-08T10:30:00+01:00").status_code == 409
    assert book(client, short_call, "2030-01-08T11:00:00+01:00").status_code == 201


def test_buffers_block_neighbouring_times(client, make_event_type, frozen_now):
    event_type = make_event_type(buffer_before=10, buffer_after=15)
    assert book(client, event_type, "2030-01-08T10:00:00+01:00").status_code == 201
    # 10:30 would start inside the 15-minute buffer after the first meeting.
    assert book(client, event_type, "2030-01-08T10:30:00+01:00").status_code == 409
    # 09:30 would end at 10:00, but its own after-buffer overlaps the meeting.
    assert book(client, event_type, "2030-01-08T09:30:00+01:00").status_code == 409
    assert book(client, event_type, "2030-01-08T11:00:00+01:00").status_code == 201


def test_team_event_books_the_next_free_host(
    client, make_event_type, make_host, make_org, frozen_now
):
    org = make_org()
    first, second = make_host(org=org, name="First"), make_host(org=org, name="Second")
    event_type = make_event_type(hosts=[first, second])
    hosts = {
        book(client, event_type, "2030-01-08T10:00:00+01:00", email=f"{i}@example.com").get_json()[
            "host"
        ]["name"]
        for i in range(2)
    }
    assert hosts == {"First", "Second"}
    assert book(client, event_type, "2030-01-08T10:00:00+01:00").status_code == 409


def test_daily_limit_per_host_local_day(client, make_event_type, frozen_now):
    event_type = make_event_type(daily_limit=2)
    assert book(client, event_type, "2030-01-08T09:00:00+01:00").status_code == 201
    assert book(client, event_type, "2030-01-08T11:00:00+01:00").status_code == 201
    assert book(client, event_type, "2030-01-08T13:00:00+01:00").status_code == 409
    day = slots(client, event_type.slug, start="2030-01-08", end="2030-01-08").get_json()
    assert day["slots"] == []
    assert book(client, event_type, "2030-01-09T13:00:00+01:00").status_code == 201


def test_weekly_limit_per_host_local_iso_week(client, make_event_type, frozen_now):
    event_type = make_event_type(weekly_limit=2)
    # Monday 2030-01-07 is the first day of the ISO week 2030-W02 (Berlin).
    assert book(client, event_type, "2030-01-08T09:00:00+01:00").status_code == 201
    assert book(client, event_type, "2030-01-11T16:00:00+01:00").status_code == 201
    third = book(client, event_type, "2030-01-09T13:00:00+01:00")
    assert third.status_code == 409, third.get_json()
    week = slots(client, event_type.slug, start="2030-01-07", end="2030-01-13").get_json()
    assert week["slots"] == []
    following = slots(client, event_type.slug, start="2030-01-14", end="2030-01-14").get_json()
    assert following["slots"][0] == "2030-01-14T09:00:00+01:00"
    assert book(client, event_type, "2030-01-14T09:00:00+01:00").status_code == 201
    assert booking_count() == 3


def test_minimum_gap_between_any_two_meetings_of_the_host(
    client, make_event_type, make_host, frozen_now
):
    host = make_host()
    other = make_event_type(hosts=[host])  # no gap of its own
    gapped = make_event_type(hosts=[host], min_gap=30, step=30)
    assert book(client, other, "2030-01-08T10:00:00+01:00").status_code == 201
    day = slots(client, gapped.slug, start="2030-01-08", end="2030-01-08").get_json()["slots"]
    # 09:00-09:30 ends 30 minutes before 10:00 and 11:00 starts 30 minutes after 10:30: allowed.
    assert "2030-01-08T09:00:00+01:00" in day and "2030-01-08T11:00:00+01:00" in day
    assert "2030-01-08T09:30:00+01:00" not in day and "2030-01-08T10:30:00+01:00" not in day
    refused = book(client, gapped, "2030-01-08T10:30:00+01:00")
    assert refused.status_code == 409
    assert book(client, gapped, "2030-01-08T11:00:00+01:00").status_code == 201
    # The gap is the gapped type's rule: the other type may still book back to back.
    assert book(client, other, "2030-01-08T11:30:00+01:00").status_code == 201
    assert booking_count() == 3


def test_minimum_notice(client, make_event_type, frozen_now):
    event_type = make_event_type(min_notice=120)
    data = slots(client, event_type.slug, start="2030-01-07", end="2030-01-07").get_json()
    assert data["slots"][0] == "2030-01-07T11:00:00+01:00"
    assert book(client, event_type, "2030-01-07T10:30:00+01:00").status_code == 400


def test_cancelled_time_is_free_again(client, event_type):
    booking = book(client, event_type, "2030-01-08T10:00:00+01:00").get_json()
    row = db.session.scalar(select(Booking).where(Booking.uid == booking["id"]))
    row.status = "cancelled"
    db.session.commit()
    assert book(client, event_type, "2030-01-08T10:00:00+01:00").status_code == 201
