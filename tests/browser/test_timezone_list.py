"""In Chromium: the browser's zone is picked up without a second page load, the zone list can be
filtered, and the full list is one link away."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def event_type(make_event_type, make_host, frozen_now):
    # The host is in Anchorage; the browser (conftest) runs in Europe/Berlin.
    return make_event_type(hosts=[make_host(tz="America/Anchorage")])


def test_browser_zone_swaps_the_times_in_without_loading_the_page_again(
    browser_page, live_server, event_type
):
    page = browser_page
    errors: list[str] = []
    documents: list[str] = []
    fragments: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda r: r.resource_type == "document" and documents.append(r.url))
    page.on("request", lambda r: "fragment=times" in r.url and fragments.append(r.url))
    page.goto(f"{live_server.url}/book/{event_type.slug}?month=2030-01&date=2030-01-08")
    page.evaluate("window.__sameDocument = true")  # gone if the page were loaded again
    # The address gains the zone by replaceState once the times are swapped in.
    expect(page).to_have_url(re.compile(r"tz_detected=Europe%2FBerlin"))
    select = page.locator("select#tz")
    assert select.input_value() == "Europe/Berlin"
    assert page.locator(".picker").get_attribute("data-tz") == "Europe/Berlin"
    # The day's forms now send Berlin time (the host's Anchorage before the swap).
    slot_form = page.locator(".slot-form input[name=tz]")
    assert slot_form.get_attribute("value") == "Europe/Berlin"
    shown = page.locator(".slot").all_inner_texts()
    berlin = page.request.get(  # the same day asked for directly, as Chromium asks (en-US)
        f"{live_server.url}/book/{event_type.slug}?month=2030-01&date=2030-01-08&tz=Europe/Berlin",
        headers={"Accept-Language": "en-US,en;q=0.9"},
    ).text()
    assert shown and shown == re.findall(r'class="slot"[^>]*>([^<]+)<', berlin)
    assert page.evaluate("window.__sameDocument") is True
    assert len(documents) == 1 and len(fragments) == 1, (documents, fragments)
    navigations = page.evaluate("performance.getEntriesByType('navigation').length")
    assert navigations == 1
    assert "tz=Europe%2FBerlin" in page.locator("a.more-zones").get_attribute("href")
    assert select.locator("option").count() < 60
    assert errors == []  # no CSP violation or script error


def test_filter_box_narrows_the_list_and_more_zones_opens_the_full_one(
    browser_page, live_server, event_type
):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/book/{event_type.slug}?tz=Europe/Berlin")
    page.click("a.more-zones")
    page.wait_for_url("**zones=all**")
    select = page.locator("select#tz")
    assert select.locator("option").count() > 400
    search = page.locator("#tz-filter")
    assert search.is_visible()  # hidden without JavaScript: the plain list is the fallback
    search.fill("chatham")
    visible = page.evaluate(
        "Array.from(document.querySelectorAll('#tz option'))"
        ".filter(o => !o.hidden).map(o => o.value)"
    )
    assert "Pacific/Chatham" in visible and len(visible) <= 3
    # Picking a rare zone submits the form at once and keeps the full list.
    select.select_option("Pacific/Chatham")
    page.wait_for_url("**tz=Pacific%2FChatham**")
    assert page.locator("select#tz").input_value() == "Pacific/Chatham"
    assert page.locator("select#tz option").count() > 400
    assert errors == []
