"""In Chromium: the browser's zone is picked up, and the full list is one link away."""

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def event_type(make_event_type, make_host, frozen_now):
    # The host is in Anchorage; the browser (conftest) runs in Europe/Berlin.
    return make_event_type(hosts=[make_host(tz="America/Anchorage")])


def test_browser_zone_is_selected_and_more_zones_opens_the_full_list(
    browser_page, live_server, event_type
):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/book/{event_type.slug}")
    page.wait_for_url("**tz_detected=Europe%2FBerlin**")
    select = page.locator("select#tz")
    assert select.input_value() == "Europe/Berlin"
    assert select.locator("option").count() < 60
    page.click("a.more-zones")
    page.wait_for_url("**zones=all**")
    assert select.locator("option").count() > 400
    # Picking a rare zone submits the form at once and keeps the full list.
    select.select_option("Pacific/Chatham")
    page.wait_for_url("**tz=Pacific%2FChatham**")
    assert page.locator("select#tz").input_value() == "Pacific/Chatham"
    assert page.locator("select#tz option").count() > 400
    assert errors == []  # no CSP violation or script error
