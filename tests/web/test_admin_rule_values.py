"""Rule values that fit their questions: choices picked by label, stored by value; bad values
refused with the valid ones named; stored rules flagged when a choice is renamed or removed."""

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Question, RoutingRule
from tests.conftest import post_form
from tests.web import test_admin_routing as routing_tests
from tests.web.test_admin_routing import (
    add_rule,
    audit,
    count,
    fresh,
    question_data,
    rule_data,
    sign_out,
    url,
)

team = routing_tests.team  # the fixture: org A's form with three questions and two rules


def the_rule(name: str = "Big budget") -> RoutingRule:
    db.session.expire_all()
    return db.session.scalar(select(RoutingRule).where(RoutingRule.name == name))


def add_question_row(team, **values) -> None:
    team.form.questions.append(Question(position=3, purpose="To route you.", **values))
    db.session.commit()


def test_a_choice_label_typed_as_the_value_is_refused_with_the_value_to_use(client, team):
    before = count(RoutingRule)
    response = add_rule(client, team, [("company_size", "equals", "More than 200")])
    assert response.status_code == 400
    assert "“More than 200” is the label visitors see; the rule needs the choice" in response.text
    assert "value “200_plus”" in response.text
    assert "Valid choices of company_size: 1_10 (1 to 10 people), 11_200 (11 to 200 people)" in (
        response.text
    )
    assert count(RoutingRule) == before and audit("routing_rule.create") == []


@pytest.mark.parametrize(
    ("operator", "value"), [("equals", "huge"), ("one_of", "11_200, giant"), ("contains", "x")]
)
def test_a_value_that_is_no_choice_is_refused_naming_the_choices(client, team, operator, value):
    before = count(RoutingRule)
    response = add_rule(client, team, [("company_size", operator, value)])
    assert response.status_code == 400
    assert "is not a choice of company_size. Valid choices: 1_10 (1 to 10 people)" in response.text
    assert count(RoutingRule) == before


def test_a_typed_choice_value_is_accepted_in_the_question_spelling(client, team):
    response = add_rule(client, team, [("company_size", "one_of", "11_200, 200_PLUS")])
    assert response.status_code == 303, response.text
    assert the_rule().conditions[0]["value"] == ["11_200", "200_plus"]


def test_the_editor_offers_the_choices_by_label_and_stores_the_value(client, team):
    page = client.get(url(team, "/rules/new")).text
    assert 'name="conditions-0-choices"' in page and "multiple" in page
    assert '<optgroup label="How big is your company? (company_size)"' in page
    assert '<option value="200_plus">More than 200</option>' in page
    assert "/static/js/admin-rule-conditions.js" in page
    response = add_rule(
        client,
        team,
        [("company_size", "equals", "")],
        **{"conditions-0-choices": "200_plus"},
    )
    assert response.status_code == 303, response.text
    rule = the_rule()
    assert rule.conditions == [{"field": "company_size", "operator": "equals", "value": "200_plus"}]
    detail = client.get(url(team)).text
    assert "<code>company_size</code> equals “More than 200”" in detail
    # The edit page picks the stored choice in the list and leaves the text box empty.
    edit = client.get(url(team, f"/rules/{rule.id}")).text
    assert '<option value="200_plus" selected>More than 200</option>' in edit
    assert 'name="conditions-0-value" type="text" value=""' in edit


def test_several_picked_choices_make_an_is_one_of_and_need_it(client, team):
    picked = {"conditions-0-choices": ["11_200", "200_plus"]}
    refused = add_rule(client, team, [("company_size", "equals", "")], **picked)
    assert refused.status_code == 400
    assert "Row 1: pick one choice for this comparison, or compare with" in refused.text
    assert the_rule() is None
    response = add_rule(client, team, [("company_size", "one_of", "")], **picked)
    assert response.status_code == 303, response.text
    assert the_rule().conditions[0]["value"] == ["11_200", "200_plus"]


@pytest.mark.parametrize("picked", [["x" * 101], ["1_10"] * 101])
def test_forged_picks_are_refused(client, team, picked):
    before = count(RoutingRule)
    response = add_rule(
        client, team, [("company_size", "one_of", "")], **{"conditions-0-choices": picked}
    )
    assert response.status_code == 400
    assert "Row 1: pick at most 100 choices from the list." in response.text
    assert count(RoutingRule) == before


def test_a_picked_choice_of_another_question_is_refused(client, team):
    add_question_row(
        team,
        key="role",
        label="Your role",
        kind="single_choice",
        choices=[{"value": "founder", "label": "Founder", "points": 0}],
    )
    response = add_rule(
        client, team, [("company_size", "equals", "")], **{"conditions-0-choices": "founder"}
    )
    assert response.status_code == 400
    assert "“founder” is not a choice of company_size" in response.text


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (("budget", "equals", "lots"), "budget is a number, so compare it with a number"),
        (("budget", "one_of", "10, many"), "not “many”"),
        (("score", "equals", "high"), "the lead score is a number"),
        (("has_project", "equals", "maybe"), "has_project is answered yes or no"),
        (("country", "equals", "Germany"), "“Germany” is not a country code."),
        (("country", "one_of", "DE, XX"), "“XX” is not a country code."),
    ],
)
def test_operands_are_checked_against_the_question_kind(client, team, condition, message):
    add_question_row(team, key="country", label="Where are you?", kind="country")
    before = count(RoutingRule)
    response = add_rule(client, team, [condition])
    assert response.status_code == 400
    assert message in response.text
    assert count(RoutingRule) == before


def test_good_operands_of_each_kind_are_accepted(client, team):
    add_question_row(team, key="country", label="Where are you?", kind="country")
    response = add_rule(
        client,
        team,
        [
            ("budget", "greater_than", "1000"),
            ("has_project", "equals", "yes"),
            ("country", "one_of", "de, at"),
            ("score", "equals", "30"),
        ],
    )
    assert response.status_code == 303, response.text
    values = [c["value"] for c in the_rule().conditions]
    assert values == [1000, "yes", ["DE", "AT"], "30"]


def rename_largest_choice(client, team):
    size = team.form.questions[0]
    response = post_form(
        client,
        url(team, f"/questions/{size.id}"),
        question_data(
            label="How big is your company?",
            key="company_size",
            purpose="To find the right team.",
            choices="1_10 | 1 to 10 people\n11_200 | 11 to 200 people\n201_plus | More than 200",
        ),
    )
    assert response.status_code == 303, response.text


def test_a_rule_left_behind_by_a_renamed_choice_is_flagged_with_a_link(client, team):
    add_rule(client, team, [("company_size", "equals", "200_plus")], name="Big companies")
    rule = the_rule("Big companies")
    assert "can never match" not in client.get(url(team)).text
    assert "can never match" not in client.get("/admin/routing").text
    assert "Routing rules to fix" not in client.get("/admin/").text
    rename_largest_choice(client, team)
    edit_link = f'href="/admin/routing/{team.form.id}/rules/{rule.id}"'
    detail = client.get(url(team)).text
    assert "1 rule compares with a value its question can no longer give" in detail
    assert "This rule can never match as written:" in detail
    assert "“200_plus” is not a choice of company_size. Valid choices:" in detail
    assert "201_plus (More than 200)" in detail
    assert edit_link in detail and "Fix rule Big companies" in detail
    listing = client.get("/admin/routing").text
    assert "1 rule can never match: fix it" in listing
    assert f'href="/admin/routing/{team.form.id}#rules"' in listing
    for page_url in ("/admin/", "/admin/dashboard"):
        page = client.get(page_url).text
        assert "Routing rules to fix" in page, page_url
        assert "Fix rule Big companies of Qualify" in page and edit_link in page
    # The edit page keeps the stale value in the text box; saving it names the valid choices.
    edit = client.get(url(team, f"/rules/{rule.id}")).text
    assert 'name="conditions-0-value" type="text" value="200_plus"' in edit
    # Fixing it by picking the renamed choice clears the flag everywhere.
    response = post_form(
        client,
        url(team, f"/rules/{rule.id}"),
        {
            **rule_data(team, name="Big companies"),
            "conditions-0-field": "company_size",
            "conditions-0-operator": "equals",
            "conditions-0-value": "",
            "conditions-0-choices": "201_plus",
        },
    )
    assert response.status_code == 303, response.text
    assert fresh(RoutingRule, rule.id).conditions[0]["value"] == "201_plus"
    assert "can never match" not in client.get(url(team)).text
    assert "Routing rules to fix" not in client.get("/admin/").text


def test_a_removed_question_or_choice_is_flagged_and_reps_do_not_see_the_notice(
    client, team, login_as
):
    team.form.rules[1].conditions = [
        {"field": "company_size", "operator": "one_of", "value": ["1_10", "gone"]},
        {"field": "former_question", "operator": "equals", "value": "x"},
    ]
    db.session.commit()
    detail = client.get(url(team)).text
    assert "“gone” is not a choice of company_size" in detail
    assert "the question former_question no longer exists." in detail
    assert "Fix rule Too small of Qualify" in client.get("/admin/").text
    sign_out(client)
    login_as("rep", org=team.org)
    assert "Routing rules to fix" not in client.get("/admin/").text
