"""The privacy pages in Chromium: axe-core finds nothing on the admin's request list and person
page, nor on the invitee's data page; the admin erases a person from a request by typing the
address, and the invitee's page then shows nothing personal."""

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import PrivacyRequest
from scheduling.operations.privacy_requests import request_erasure
from scheduling.security.links import booking_token
from tests.browser.test_accessibility import axe_source, violations  # noqa: F401
from tests.conftest import FROZEN_NOW, PASSWORD, TEST_SECRET
from tests.subject_world import INES, INES_LOWER, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app, make_event_type, make_user, tmp_path, monkeypatch, frozen_now):
    world = build_world(app, make_event_type, tmp_path, monkeypatch)
    request_erasure(world.org.id, INES, FROZEN_NOW)
    admin = make_user(role="admin", org=world.org)
    db.session.commit()
    return world, admin


def test_privacy_pages_pass_axe_and_an_erasure_closes_the_request(
    browser_page,
    live_server,
    world,
    axe_source,  # noqa: F811
):
    world, admin = world
    page = browser_page
    token = booking_token(TEST_SECRET, world.booking.uid, world.booking.token_version, "view")
    mine = f"{live_server.url}/booking/{world.booking.uid}/{token}/my-data"
    page.goto(mine)
    assert "Ines' bakery in Köln" in page.inner_text("main")
    assert violations(page, axe_source) == []
    page.goto(f"{live_server.url}/admin/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/privacy")
    assert violations(page, axe_source) == []
    page.get_by_role("link", name="Open").first.click()
    page.wait_for_load_state()
    assert f"Data stored about {INES_LOWER}" in page.inner_text("h1")
    assert violations(page, axe_source) == []
    page.get_by_label("Type the email address again to confirm").fill(INES)
    page.get_by_role("button", name="Erase this person's data").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/privacy")
    assert "The request is closed." in page.inner_text("main")
    db.session.rollback()
    assert db.session.scalar(select(PrivacyRequest)).status == "done"
    page.goto(mine)
    assert "The personal data of this booking has been erased." in page.inner_text("main")
    assert "Ines" not in page.inner_text("main")
