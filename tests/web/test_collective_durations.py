"""A collective meeting of a chosen length: its slots, every host's row and a move follow it."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Booking
from scheduling.operations.api_keys import create_api_key
from tests.conftest import FROZEN_NOW

DAY = {"start": "2030-01-08", "end": "2030-01-08", "timezone": "Europe/Berlin"}


@pytest.fixture
def world(make_org, make_host, make_user, make_event_type, frozen_now):
    org = make_org(name="Acme")
    closer = make_host(org=org, name="Clara Closer")
    # The engineer works 09:00-16:30 Berlin time: an hour-long meeting must end by then.
    engineer = make_host(org=org, name="Sven Engineer", hours=((range(5), 540, 990),))
    event_type = make_event_type(
        hosts=[closer, engineer],
        slug="deep-dive",
        title="Deep dive",
        assignment="collective",
        duration=30,
        durations=[30, 60],
    )
    admin = make_user(role="admin", org=org)
    _, token = create_api_key(admin, "Writer", "write", FROZEN_NOW)
    db.session.commit()
    return SimpleNamespace(event_type=event_type, api={"Authorization": f"Bearer {token}"})


def slots(client, world, **extra) -> list[str]:
    response = client.get(
        f"/api/v1/event-types/{world.event_type.slug}/slots", query_string={**DAY, **extra}
    )
    assert response.status_code == 200, response.text
    return response.get_json()["slots"]


def book(client, world, **extra):
    body = {
        "event_type": world.event_type.slug,
        "start": "2030-01-08T13:00:00Z",  # 14:00 Berlin
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "timezone": "Europe/Berlin",
        **extra,
    }
    return client.post("/api/v1/bookings", json=body)


def confirmed() -> list[Booking]:
    db.session.rollback()  # see what the requests committed
    return list(
        db.session.scalars(
            select(Booking).where(Booking.status == "confirmed").order_by(Booking.id)
        )
    )


def test_longer_meetings_offer_only_the_starts_every_host_has_room_for(client, world):
    short, long = slots(client, world), slots(client, world, duration=60)
    # 16:00 fits half an hour with both hosts; an hour would run past the engineer's 16:30.
    assert "2030-01-08T16:00:00+01:00" in short
    assert "2030-01-08T16:00:00+01:00" not in long
    assert "2030-01-08T15:30:00+01:00" in long
    assert set(long) <= set(short)


def test_every_hosts_row_lasts_the_chosen_length_and_a_move_keeps_it(client, world):
    response = book(client, world, duration=60)
    assert response.status_code == 201, response.text
    assert response.get_json()["duration"] == 60
    start = datetime(2030, 1, 8, 13, 0, tzinfo=UTC)
    rows = confirmed()
    assert len(rows) == 2
    assert {(row.start_at, row.end_at) for row in rows} == {(start, start + timedelta(hours=1))}
    moved = client.post(
        f"/api/v1/bookings/{response.get_json()['id']}/reschedule",
        json={"start": "2030-01-08T09:00:00Z"},
        headers=world.api,
    )
    assert moved.status_code == 201, moved.text
    new_start = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
    rows = confirmed()
    assert len(rows) == 2
    assert {(row.start_at, row.end_at) for row in rows} == {
        (new_start, new_start + timedelta(hours=1))
    }


def test_an_hour_that_one_host_has_no_room_for_books_nobody(client, world):
    response = book(client, world, start="2030-01-08T15:00:00Z", duration=60)  # 16:00 Berlin
    assert response.status_code in (400, 409), response.text
    assert confirmed() == []


def test_a_length_not_offered_is_refused_for_the_whole_meeting(client, world):
    response = book(client, world, duration=45)
    assert response.status_code == 400
    assert "30, 60" in response.get_json()["fields"]["duration"]
    assert confirmed() == []
