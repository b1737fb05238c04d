"""In Chromium: the meeting length chosen before the calendar drives the times, also after
timezone.js swapped in the browser's zone (its links follow that zone)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def event_type(make_event_type, make_host, frozen_now):
    # The host is in Anchorage; the browser (conftest) runs in Europe/Berlin.
    host = make_host(tz="America/Anchorage", hours=((range(5), 540, 1020),))
    return make_event_type(hosts=[host], duration=30, durations=[30, 60])


def test_length_links_follow_the_browser_zone_and_change_the_times(
    browser_page, live_server, event_type
):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/book/{event_type.slug}?month=2030-01&date=2030-01-08")
    expect(page).to_have_url(re.compile(r"tz_detected=Europe%2FBerlin"))
    longer = page.locator(".duration-choice a", has_text="60 minutes")
    expect(longer).to_have_attribute("href", re.compile(r"tz=Europe%2FBerlin"))
    # Anchorage 09:00-17:00 is 19:00-03:00 in Berlin: 02:30 fits 30 minutes, not 60.
    assert "2:30 AM" in page.locator(".slot").all_inner_texts()  # Chromium asks for en-US
    longer.click()
    page.wait_for_url(re.compile(r"duration=60"))
    expect(page.locator(".duration-choice a[aria-current]")).to_have_text("60 minutes")
    assert page.locator("select#tz").input_value() == "Europe/Berlin"
    assert "date=2030-01-08" in page.url  # the same day, now with 60-minute times
    times = page.locator(".slot").all_inner_texts()
    assert "2:00 AM" in times and "2:30 AM" not in times
    page.get_by_role("button", name="2:00 AM", exact=True).click()
    expect(page.locator(".summary")).to_contain_text("60 minutes")
    assert errors == []
