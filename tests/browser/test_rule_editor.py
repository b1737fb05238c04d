"""In Chromium: the rule editor offers a choice question's choices by label and stores values."""

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Question, RoutingForm, RoutingRule
from tests.conftest import FROZEN_NOW, PASSWORD

pytestmark = pytest.mark.browser

SIZES = [
    {"value": "1_10", "label": "1 to 10 people", "points": 0},
    {"value": "200_plus", "label": "More than 200", "points": 30},
]


@pytest.fixture
def routing_form(make_org, make_user, frozen_now):
    org = make_org(name="Org A")
    form = RoutingForm(organisation=org, name="Qualify", created_at=FROZEN_NOW)
    form.questions.append(
        Question(
            position=0, key="company_size", label="How big is your company?",
            kind="single_choice", choices=SIZES, purpose="To route you.",
        )
    )  # fmt: skip
    form.questions.append(
        Question(position=1, key="budget", label="Budget", kind="number", purpose="To route you.")
    )
    db.session.add(form)
    db.session.commit()
    form.manager = make_user("manager", org=org, email="manager@example.com")
    return form


def test_pick_a_choice_in_the_rule_editor_and_see_the_rule_by_its_label(
    browser_page, live_server, routing_form
):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/admin/login")
    page.fill("input[name=email]", "manager@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/routing/{routing_form.id}/rules/new")
    page.fill("input[name=name]", "Big companies")
    choices = page.locator("#conditions-0-choices")
    # Before a question is chosen the script shows the typed value only.
    assert page.locator("#conditions-0-value").is_visible()
    assert not choices.is_visible()
    page.select_option("#conditions-0-field", "company_size")
    assert choices.is_visible()
    assert not page.locator("#conditions-0-value").is_visible()
    assert choices.locator("option:visible").all_inner_texts() == [
        "1 to 10 people",
        "More than 200",
    ]
    choices.select_option(label="More than 200")
    # A number question offers no choices: the typed value is back.
    page.select_option("#conditions-1-field", "budget")
    assert page.locator("#conditions-1-value").is_visible()
    assert not page.locator("#conditions-1-choices").is_visible()
    page.select_option("#conditions-1-field", "")
    page.check("input[name=action_kind][value=disqualify]")
    page.fill("textarea[name=message]", "We only serve small teams.")
    page.click("button[type=submit]:has-text('Add rule')")
    page.wait_for_url(f"**/admin/routing/{routing_form.id}#rules")
    rules = page.locator("#rules")
    assert "Big companies" in rules.inner_text()
    assert "company_size equals “More than 200”" in rules.inner_text()
    db.session.rollback()  # a fresh read: the server committed in its own thread
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.name == "Big companies"))
    assert rule.conditions == [{"field": "company_size", "operator": "equals", "value": "200_plus"}]
    assert errors == []  # no CSP violation or script error


def test_the_special_category_warning_follows_the_kind_of_answer(
    browser_page, live_server, routing_form
):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/admin/login")
    page.fill("input[name=email]", "manager@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/routing/{routing_form.id}/questions/new")
    warning = page.locator("#free-text-warning")
    for kind, shown in [
        ("single_choice", False),
        ("long_text", True),
        ("number", False),
        ("short_text", True),
    ]:
        page.select_option("#kind", kind)
        assert warning.is_visible() is shown, kind
    assert "special category data" in warning.inner_text()
    assert errors == []  # no CSP violation or script error
