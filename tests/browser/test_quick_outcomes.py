"""A rep clicks one-click outcome buttons in the bookings list, in Chromium (with the Undo)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import Outcome
from scheduling.operations.bookings import Invitee, create_booking
from tests.conftest import FROZEN_NOW, PASSWORD

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
LATER = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def started_call(app, make_org, make_host, make_event_type, make_user, monkeypatch):
    org = make_org()
    host = make_host(org=org, name="Anna Closer")
    event_type = make_event_type(hosts=[host])
    booking = create_booking(
        event_type,
        START,
        Invitee("Ada Lovelace", "ada@example.org", "UTC"),
        FROZEN_NOW,
        video_base_url="https://meet.test.example",
    )
    db.session.commit()
    rep = make_user(role="rep", host=host)
    monkeypatch.setattr(clock, "utcnow", lambda: LATER)
    return booking, rep


def outcome_of(booking_id):
    db.session.rollback()
    return db.session.scalar(select(Outcome).where(Outcome.booking_id == booking_id))


def test_outcome_buttons_in_the_bookings_list(browser_page, live_server, started_call):
    booking, rep = started_call
    page = browser_page
    page.goto(f"{live_server.url}/admin/login")
    page.fill("input[name=email]", rep.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/bookings")
    row = page.locator("tr", has_text="Ada Lovelace")
    row.get_by_role("button", name="No-show").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/bookings")
    notice = page.locator(".notice", has_text="marked as a no-show")
    assert notice.is_visible()
    assert outcome_of(booking.id).status == "no_show"
    notice.get_by_role("button", name="Undo").click()
    page.wait_for_load_state()
    assert page.locator(".notice", has_text="no email goes out").is_visible()
    assert outcome_of(booking.id) is None
    page.locator("tr", has_text="Ada Lovelace").get_by_role("button", name="Held").click()
    page.wait_for_load_state()
    assert page.locator(".notice", has_text="Outcome saved for Ada Lovelace").is_visible()
    assert outcome_of(booking.id).status == "attended"
    assert "attended" in page.locator("tr", has_text="Ada Lovelace").inner_text()
