"""Failed booking attempts leave no lead; one visitor keeps one open lead per event type.

Issue 12: every API booking with answers stored a lead even when the booking failed, so a race
left thousands of "qualified" leads that never booked (each later sent lead.abandoned).
"""

from datetime import timedelta

from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Booking
from scheduling.operations.notifications import detect_abandoned_leads
from tests.conftest import FROZEN_NOW
from tests.web.test_routing_flow import (  # noqa: F401 (the fixture)
    SLOT,
    answers,
    api_book,
    leads,
    qualify_via_page,
    setup,
)


def test_failed_api_bookings_create_no_lead(client, setup):  # noqa: F811
    first = api_book(client, setup["slug"], email="grace@example.com")
    assert first.status_code == 201
    # The whole team is free at SLOT once; fill it, then keep trying the full slot.
    for number in range(2):
        api_book(client, setup["slug"], email=f"other{number}@example.com")
    failures = [
        api_book(client, setup["slug"], email=f"late{number}@example.com") for number in range(6)
    ]
    assert {response.status_code for response in failures} == {409}
    off_grid = api_book(client, setup["slug"], start="2030-01-08T09:07:00+00:00")
    assert off_grid.status_code == 400
    statuses = [lead.status for lead in leads()]
    assert statuses == ["booked", "booked", "booked"]  # only the bookings that happened
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 3


def test_failed_attempts_send_no_abandoned_lead_events(client, setup):  # noqa: F811
    for hour in (9, 9, 9, 9):
        api_book(client, setup["slug"], start=f"2030-01-08T{hour:02d}:07:00+00:00")
    assert leads() == []
    assert detect_abandoned_leads(FROZEN_NOW + timedelta(hours=2), 60) == 0


def test_answering_again_reuses_the_open_lead(client, setup):  # noqa: F811
    for budget in ("medium", "large", "medium"):
        response = qualify_via_page(client, setup["slug"], answers(budget))
        assert response.status_code == 303
    other = qualify_via_page(client, setup["slug"], answers(work_email="someone@example.com"))
    assert other.status_code == 303
    rows = leads()
    assert [(lead.email, lead.status) for lead in rows] == [
        ("grace@example.com", "qualified"),
        ("someone@example.com", "qualified"),
    ]
    assert rows[0].answers["budget"] == "medium" and rows[0].score == 10
    assert detect_abandoned_leads(FROZEN_NOW + timedelta(hours=2), 60) == 2


def test_api_booking_reuses_the_visitors_open_lead(client, setup):  # noqa: F811
    qualify_via_page(client, setup["slug"], answers())
    (open_lead,) = leads()
    response = api_book(client, setup["slug"], email="grace@example.com")
    assert response.status_code == 201
    assert response.get_json()["lead"] == open_lead.uid
    (lead,) = leads()
    assert lead.status == "booked" and lead.booking is not None
    # Booked: the next attempt of the same visitor starts a new lead (and books).
    again = api_book(
        client, setup["slug"], email="grace@example.com", start=SLOT[:11] + "10:00:00Z"
    )
    assert again.status_code == 201
    assert [lead.status for lead in leads()] == ["booked", "booked"]


def test_repeated_disqualification_keeps_one_lead(client, setup):  # noqa: F811
    for _ in range(3):
        response = api_book(client, setup["slug"], answers=answers("small"))
        assert response.status_code == 422
    assert [lead.status for lead in leads()] == ["disqualified"]
