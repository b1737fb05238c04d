"""In Chromium: the weekly hours editor adds, removes and copies interval rows, then saves."""

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import WeeklyHours
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def anna(make_org, make_host, make_user, frozen_now):
    org = make_org(name="Org A")
    make_user("manager", org=org, email="manager@example.com")
    return make_host(org=org, name="Anna Ahlberg")  # Monday to Friday 09:00-17:00


def test_add_remove_and_copy_monday_then_save(browser_page, live_server, anna):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/admin/login")
    page.fill("input[name=email]", "manager@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/hosts/{anna.id}/availability")
    monday = page.locator("fieldset[data-day-key=monday]")
    assert monday.locator(".interval-row").count() == 3  # one filled, two empty to fill

    # Keyboard: Enter on "Add interval" adds a fourth row and puts the focus in its start.
    add = monday.get_by_role("button", name="Add interval to Monday")
    add.focus()
    page.keyboard.press("Enter")
    assert monday.locator(".interval-row").count() == 4
    assert page.evaluate("document.activeElement.id") == "monday-4-start"
    page.get_by_label("Monday, interval 1, end").fill("12:00")
    page.get_by_label("Monday, interval 4, start").fill("13:00")
    page.get_by_label("Monday, interval 4, end").fill("17:30")

    # Removing the empty rows 2 and 3 renumbers the filled one to interval 2, labels too.
    monday.get_by_role("button", name="Remove Monday, interval 3").click()
    monday.get_by_role("button", name="Remove Monday, interval 2").click()
    assert monday.locator(".interval-row").count() == 2
    assert page.get_by_label("Monday, interval 2, start").input_value() == "13:00"
    assert page.evaluate("document.activeElement.textContent").startswith("Remove")

    page.get_by_role("button", name="Copy Monday to all weekdays").click()
    assert page.locator("[data-hours-status]").inner_text() == "Monday copied to Tuesday to Friday."
    friday = page.locator("fieldset[data-day-key=friday]")
    assert friday.locator(".interval-row").count() == 2
    assert page.get_by_label("Friday, interval 2, end").input_value() == "17:30"
    assert page.get_by_label("Saturday, interval 1, start").input_value() == ""  # untouched
    page.get_by_label("Saturday, interval 1, start").fill("10:00")
    page.get_by_label("Saturday, interval 1, end").fill("14:00")

    page.get_by_role("button", name="Save weekly hours").click()
    page.wait_for_url(f"**/admin/hosts/{anna.id}/availability")
    assert "Weekly hours saved." in page.inner_text("main")
    db.session.rollback()  # a fresh read: the server committed in its own thread
    stored = db.session.execute(
        select(WeeklyHours.weekday, WeeklyHours.start_minute, WeeklyHours.end_minute)
        .where(WeeklyHours.host_id == anna.id)
        .order_by(WeeklyHours.weekday, WeeklyHours.start_minute)
    ).all()
    week = [(day, 540, 720) for day in range(5)]
    week += [(day, 780, 1050) for day in range(5)]
    assert sorted(stored) == sorted([*week, (5, 600, 840)])
    assert errors == []  # no CSP violation or script error
