"""Admin routing forms: forms, questions, rules, fallback, the test page, and who may do what."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import (
    AuditEntry,
    Lead,
    Pool,
    PoolMember,
    Question,
    RoutingForm,
    RoutingRule,
)
from tests.conftest import FROZEN_NOW, csrf_from, login, post_form

SIZES = [
    {"value": "1_10", "label": "1 to 10 people", "points": 0},
    {"value": "11_200", "label": "11 to 200 people", "points": 10},
    {"value": "200_plus", "label": "More than 200", "points": 30},
]


def audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def make_form(org, name="Qualify", questions=(), rules=()) -> RoutingForm:
    """A routing form with questions (dicts of Question columns) and rules (dicts)."""
    form = RoutingForm(organisation=org, name=name, created_at=FROZEN_NOW)
    for position, values in enumerate(questions):
        form.questions.append(Question(position=position, **{"purpose": "To route you.", **values}))
    for position, values in enumerate(rules):
        form.rules.append(RoutingRule(position=position, **values))
    db.session.add(form)
    db.session.commit()
    return form


@pytest.fixture
def team(make_org, make_host, make_event_type, make_user, login_as, frozen_now):
    """Org A with a form (3 questions, 2 rules), a team and event types; org B with its own."""
    org = make_org(name="Org A")
    other_org = make_org(name="Org B")
    anna = make_host(org=org, name="Anna Ahlberg")
    ben = make_host(org=org, name="Ben Berger")
    stranger = make_host(org=other_org, name="Stella Stranger")
    closers = Pool(organisation=org, name="Closers", created_at=FROZEN_NOW)
    closers.members.append(PoolMember(host=anna, joined_at=FROZEN_NOW))
    their_pool = Pool(organisation=other_org, name="Their team", created_at=FROZEN_NOW)
    db.session.add_all([closers, their_pool])
    db.session.commit()
    call = make_event_type(hosts=[anna], slug="intro", title="Intro call")
    demo = make_event_type(hosts=[ben], slug="demo", title="Product demo")
    theirs = make_event_type(hosts=[stranger], slug="their-call", title="Their call")
    form = make_form(
        org,
        questions=[
            {
                "key": "company_size",
                "label": "How big is your company?",
                "kind": "single_choice",
                "required": True,
                "choices": SIZES,
                "purpose": "To find the right team.",
            },
            {
                "key": "has_project",
                "label": "Do you have a project?",
                "kind": "yes_no",
                "points_yes": 5,
            },
            {
                "key": "budget",
                "label": "Budget in EUR",
                "kind": "number",
                "min_value": 0,
                "show_if": {"question": "has_project", "operator": "equals", "value": "yes"},
            },
        ],
        rules=[
            {
                "name": "Enterprise",
                "match": "all",
                "conditions": [{"field": "score", "operator": "greater_than", "value": 25}],
                "action_kind": "team",
                "target_id": closers.id,
            },
            {
                "name": "Too small",
                "match": "any",
                "conditions": [{"field": "company_size", "operator": "equals", "value": "1_10"}],
                "action_kind": "disqualify",
                "message": "We only serve teams above 10.",
            },
        ],
    )
    call.routing_form = form
    their_form = make_form(
        other_org,
        name="Their form",
        questions=[{"key": "q", "label": "Their question", "kind": "short_text"}],
        rules=[
            {"name": "Theirs", "conditions": [], "action_kind": "host", "target_id": stranger.id}
        ],
    )
    db.session.commit()
    manager = login_as("manager", org=org)
    return SimpleNamespace(
        org=org, other_org=other_org, anna=anna, ben=ben, stranger=stranger, closers=closers,
        their_pool=their_pool, call=call, demo=demo, theirs=theirs, form=form,
        their_form=their_form, manager=manager, make_user=make_user,
    )  # fmt: skip


def url(team, tail: str = "") -> str:
    return f"/admin/routing/{team.form.id}{tail}"


def keys_in_order(form_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Question.key)
            .where(Question.routing_form_id == form_id)
            .order_by(Question.position)
        )
    )


def rules_in_order(form_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(RoutingRule.name)
            .where(RoutingRule.routing_form_id == form_id)
            .order_by(RoutingRule.position)
        )
    )


def sign_out(client):
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})


# -- the list, create, rename, delete -----------------------------------------------------------


def test_list_shows_forms_with_counts_and_the_event_types_asking_them(client, team):
    page = client.get("/admin/routing")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Routing forms</h1>" in text and 'aria-current="page">Routing' in text
    row = re.search(r"<tr>\s*<td data-label=\"Name\">.*?</tr>", text, re.S).group(0)
    assert "Qualify" in row and "Intro call" in row
    assert re.findall(r'data-label="(?:Questions|Rules)">(\d+)<', row) == ["3", "2"]
    assert "Their form" not in text  # another organisation
    assert "<script>" not in text and 'style="' not in text


def test_empty_state_says_what_to_do(client, make_org, login_as, frozen_now):
    login_as("manager", org=make_org())
    text = client.get("/admin/routing").text
    assert "No routing forms yet." in text and "Create form" in text


def test_create_a_form(client, team):
    response = post_form(
        client, "/admin/routing/new", {"name": "  Demo request "}, "/admin/routing"
    )
    assert response.status_code == 303
    created = db.session.scalar(select(RoutingForm).where(RoutingForm.name == "Demo request"))
    assert created.organisation_id == team.org.id and created.fallback_kind == "default"
    assert response.headers["Location"].endswith(f"/admin/routing/{created.id}")
    entry = audit("routing_form.create")[-1]
    assert entry.object_id == created.id and entry.actor_id == team.manager.id
    page = client.get(response.headers["Location"]).text
    assert "Demo request was created." in page and "No questions yet." in page
    assert "No rules yet" in page and "Book the event type's own hosts or team" in page


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Name the form, e.g. Demo request."), ("x" * 201, "at most 200 characters")],
)
def test_create_refuses_a_bad_name(client, team, name, message):
    before = count(RoutingForm)
    response = post_form(client, "/admin/routing/new", {"name": name}, "/admin/routing")
    assert response.status_code == 400 and message in response.text
    assert count(RoutingForm) == before and audit("routing_form.create") == []


def test_rename_a_form(client, team):
    response = post_form(client, url(team, "/rename"), {"name": "Qualify 2"}, url(team))
    assert response.status_code == 303
    assert fresh(RoutingForm, team.form.id).name == "Qualify 2"
    assert audit("routing_form.update")[-1].changes == {"name": ["Qualify", "Qualify 2"]}
    bad = post_form(client, url(team, "/rename"), {"name": " "}, url(team))
    assert bad.status_code == 400 and "Name the form" in bad.text
    assert fresh(RoutingForm, team.form.id).name == "Qualify 2"


def test_delete_is_refused_while_an_event_type_asks_the_form(client, team):
    response = post_form(client, url(team, "/delete"), {}, url(team))
    assert response.status_code == 400
    assert "This form is still asked by: Intro call." in response.text
    assert fresh(RoutingForm, team.form.id) is not None
    assert audit("routing_form.delete") == []


def test_delete_an_unused_form_with_its_questions_and_rules(client, team):
    team.call.routing_form = None
    db.session.commit()
    response = post_form(client, url(team, "/delete"), {}, url(team))
    assert response.status_code == 303
    assert fresh(RoutingForm, team.form.id) is None
    assert count(Question) == 1 and count(RoutingRule) == 1  # only org B's remain
    entry = audit("routing_form.delete")[-1]
    assert entry.changes["rules"] == [["Enterprise", "Too small"], None]
    assert "Qualify was deleted." in client.get("/admin/routing").text


# -- the detail page and questions --------------------------------------------------------------


def test_detail_page_shows_questions_rules_and_fallback(client, team):
    page = client.get(url(team))
    assert page.status_code == 200
    text = page.text
    assert "<h1>Qualify</h1>" in text and 'aria-current="page">Routing' in text
    assert "Asked by:" in text and "Intro call" in text
    assert "How big is your company?" in text and "<code>company_size</code>" in text
    assert "One choice from a list" in text and "3 choices" in text
    assert "To find the right team." in text
    assert "Only if <code>has_project</code> equals “yes”" in text
    assert "lead score is greater than “25”" in text
    assert "Route to team Closers" in text
    assert "Disqualify with the message “We only serve teams above 10.”" in text
    assert text.index("Enterprise") < text.index("Too small")


def question_data(**overrides) -> dict:
    data = {
        "label": "What is your role?",
        "key": "role",
        "kind": "single_choice",
        "required": "y",
        "help_text": "Pick the closest.",
        "purpose": "To send you to the right person.",
        "choices": "founder | Founder | 20\nsales|Sales lead\nother",
        "min_value": "",
        "max_value": "",
        "points_yes": "",
        "points_no": "",
        "show_if_question": "",
        "show_if_operator": "equals",
        "show_if_value": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def add_question(client, team, **overrides):
    return post_form(client, url(team, "/questions/new"), question_data(**overrides))


def test_add_a_choice_question(client, team):
    page = client.get(url(team, "/questions/new"))
    assert page.status_code == 200 and "<h1>Add a question</h1>" in page.text
    response = add_question(client, team)
    assert response.status_code == 303, response.text
    question = db.session.scalar(select(Question).where(Question.key == "role"))
    assert question.routing_form_id == team.form.id and question.position == 3
    assert question.required is True and question.purpose == "To send you to the right person."
    assert question.choices == [
        {"value": "founder", "label": "Founder", "points": 20},
        {"value": "sales", "label": "Sales lead", "points": 0},
        {"value": "other", "label": "other", "points": 0},
    ]
    entry = audit("question.create")[-1]
    assert entry.object_id == question.id and entry.changes["key"] == [None, "role"]
    assert keys_in_order(team.form.id)[-1] == "role"


def test_add_a_number_question_shown_only_after_a_yes(client, team):
    response = add_question(
        client,
        team,
        key="seats",
        kind="number",
        choices="ignored for numbers",
        min_value="1",
        max_value="500.5",
        show_if_question="has_project",
        show_if_operator="equals",
        show_if_value="yes",
    )
    assert response.status_code == 303, response.text
    question = db.session.scalar(select(Question).where(Question.key == "seats"))
    assert (question.min_value, question.max_value, question.choices) == (1.0, 500.5, [])
    assert question.show_if == {"question": "has_project", "operator": "equals", "value": "yes"}


def test_yes_no_points_are_kept(client, team):
    response = add_question(
        client, team, key="decider", kind="yes_no", points_yes="15", points_no="-5"
    )
    assert response.status_code == 303
    question = db.session.scalar(select(Question).where(Question.key == "decider"))
    assert (question.points_yes, question.points_no, question.choices) == (15, -5, [])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"key": ""}, "Enter a key, e.g. company_size."),
        ({"key": "Role"}, "Use 1 to 60 lowercase letters, digits and underscores"),
        ({"key": "my-role"}, "Use 1 to 60 lowercase letters, digits and underscores"),
        ({"key": "r" * 61}, "Use 1 to 60 lowercase letters, digits and underscores"),
        ({"key": "score"}, "The key score is kept for the lead score"),
        ({"key": "company_size"}, "Another question of this form already uses this key."),
        ({"label": ""}, "Enter the question as visitors will read it."),
        ({"label": "x" * 301}, "at most 300 characters"),
        ({"purpose": ""}, "Say why you ask: visitors read it as “Why we ask”"),
        ({"purpose": "x" * 501}, "at most 500 characters"),
        ({"help_text": "x" * 501}, "at most 500 characters"),
        ({"kind": "essay"}, "Choose a kind of answer from the list."),
        ({"choices": "only one"}, "Give at least two choices, one per line."),
        ({"choices": ""}, "Give at least two choices, one per line."),
        ({"kind": "multiple_choice", "choices": "a"}, "Give at least two choices"),
        ({"choices": "a | A | lots\nb"}, "Line 1: points must be a whole number"),
        ({"choices": "a\nb | B | 2.5"}, "Line 2: points must be a whole number"),
        ({"choices": "a\n | B"}, "Line 2: enter a value before the first bar."),
        ({"choices": "a | A | 1 | x\nb"}, "Line 1: write value | label | points"),
        ({"choices": "a,b | AB\nc"}, "Line 1: a value cannot contain a comma"),
        ({"choices": "a | A\na | Again"}, "Each choice needs its own value: &#39;a&#39; is used"),
        ({"choices": "\n".join(f"v{n}" for n in range(51))}, "Give at most 50 choices."),
        ({"choices": "v" * 101 + "\nb"}, "Line 1: at most 100 characters for the value"),
        ({"kind": "number", "min_value": "10", "max_value": "5"}, "must not be below the min"),
        ({"kind": "number", "min_value": "ten"}, "Enter a number, like 10 or 2.5."),
        ({"kind": "number", "max_value": "inf"}, "Enter a number, like 10 or 2.5."),
        ({"kind": "yes_no", "points_yes": "1001"}, "Enter whole points from -1000 to 1000."),
        ({"kind": "yes_no", "points_no": "many"}, "Enter whole points from -1000 to 1000."),
        ({"show_if_question": "nope", "show_if_value": "x"}, "Pick an earlier question"),
        ({"show_if_question": "has_project"}, "Enter the answer that shows this question"),
        (
            {"show_if_question": "budget", "show_if_operator": "greater_than",
             "show_if_value": "lots"},
            "Enter a number to compare with, e.g. 50.",
        ),
        (
            {"show_if_question": "budget", "show_if_operator": "between", "show_if_value": "1"},
            "Choose a comparison from the list.",
        ),
    ],
)  # fmt: skip
def test_bad_questions_are_refused_with_a_message(client, team, changes, message):
    before = count(Question)
    response = add_question(client, team, **changes)
    assert response.status_code == 400
    assert message in response.text
    assert count(Question) == before and audit("question.create") == []


def test_edit_page_shows_the_stored_question(client, team):
    budget = team.form.questions[2]
    page = client.get(url(team, f"/questions/{budget.id}"))
    assert page.status_code == 200
    assert 'value="budget"' in page.text and 'value="0"' in page.text
    assert '<option selected value="has_project">' in page.text
    size = team.form.questions[0]
    page = client.get(url(team, f"/questions/{size.id}")).text
    assert "1_10 | 1 to 10 people | 0\n11_200 | 11 to 200 people | 10" in page
    assert "This is the first question, so it is always asked." in page


def test_a_new_key_is_carried_into_rules_and_show_ifs(client, team):
    first, second = team.form.questions[0], team.form.questions[1]
    response = post_form(
        client,
        url(team, f"/questions/{second.id}"),
        question_data(
            key="project", label="Any project?", kind="yes_no", points_yes="5", choices=""
        ),
    )
    assert response.status_code == 303, response.text
    assert fresh(Question, team.form.questions[2].id).show_if["question"] == "project"
    entry = audit("question.update")[-1]
    assert entry.changes["key"] == ["has_project", "project"]
    assert entry.changes["references"] == [None, ["question budget"]]
    post_form(
        client,
        url(team, f"/questions/{first.id}"),
        question_data(key="size", label="Size?", choices="1_10\n11_200\n200_plus"),
    )
    rule = fresh(RoutingRule, team.form.rules[1].id)
    assert rule.conditions == [{"field": "size", "operator": "equals", "value": "1_10"}]


def test_a_question_cannot_depend_on_itself_or_a_later_one(client, team):
    has_project = team.form.questions[1]
    response = post_form(
        client,
        url(team, f"/questions/{has_project.id}"),
        question_data(
            key="has_project",
            kind="yes_no",
            choices="",
            show_if_question="budget",
            show_if_value="5",
        ),
    )
    assert response.status_code == 400
    assert "Pick an earlier question" in response.text
    assert fresh(Question, has_project.id).show_if is None


def test_delete_a_question_only_when_nothing_uses_it(client, team):
    size, has_project, budget = team.form.questions
    used = post_form(client, url(team, f"/questions/{size.id}/delete"), {}, url(team))
    assert used.status_code == 400
    assert "The rule “Enterprise” uses this question" not in used.text  # score, not the key
    assert "The rule “Too small” uses this question." in used.text
    shown = post_form(client, url(team, f"/questions/{has_project.id}/delete"), {}, url(team))
    assert shown.status_code == 400
    assert "“Budget in EUR” is shown depending on this one" in shown.text
    assert keys_in_order(team.form.id) == ["company_size", "has_project", "budget"]
    ok = post_form(client, url(team, f"/questions/{budget.id}/delete"), {}, url(team))
    assert ok.status_code == 303
    assert keys_in_order(team.form.id) == ["company_size", "has_project"]
    assert audit("question.delete")[-1].changes["key"] == ["budget", None]


def test_questions_move_up_and_down_but_stay_below_what_they_depend_on(client, team):
    _size, has_project, budget = team.form.questions
    move = url(team, f"/questions/{has_project.id}/move")
    response = post_form(client, move, {"direction": "up"}, url(team))
    assert response.status_code == 303
    assert keys_in_order(team.form.id) == ["has_project", "company_size", "budget"]
    assert audit("question.move")[-1].changes["order"][1] == [
        "has_project",
        "company_size",
        "budget",
    ]
    budget_move = url(team, f"/questions/{budget.id}/move")
    assert post_form(client, budget_move, {"direction": "up"}, url(team)).status_code == 303
    assert keys_in_order(team.form.id) == ["has_project", "budget", "company_size"]
    refused = post_form(client, budget_move, {"direction": "up"}, url(team))
    assert refused.status_code == 400
    assert "“Budget in EUR” is shown depending on “Do you have a project?”" in refused.text
    refused = post_form(client, move, {"direction": "down"}, url(team))
    assert refused.status_code == 400 and "so it must stay below it" in refused.text
    assert keys_in_order(team.form.id) == ["has_project", "budget", "company_size"]
    # The first one cannot move further up: nothing changes, nothing is recorded.
    post_form(client, move, {"direction": "up"}, url(team))
    assert len(audit("question.move")) == 2
    junk = post_form(client, move, {"direction": "sideways"}, url(team))
    assert junk.status_code == 400 and "Move the row up or down." in junk.text


# -- rules ---------------------------------------------------------------------------------------


def rule_data(team, conditions=(), **overrides) -> dict:
    data = {
        "name": "Big budget",
        "match": "all",
        "action_kind": "team",
        "pool_id": str(team.closers.id),
        "host_id": "",
        "event_type_id": "",
        "message": "",
        "redirect_url": "",
        "redirect_seconds": "5",
    }
    for number, (field, operator, value) in enumerate(conditions):
        data[f"conditions-{number}-field"] = field
        data[f"conditions-{number}-operator"] = operator
        data[f"conditions-{number}-value"] = value
    data.update(overrides)
    return data


def add_rule(client, team, conditions=(), **overrides):
    return post_form(client, url(team, "/rules/new"), rule_data(team, conditions, **overrides))


def test_add_a_rule_with_conditions_and_a_team(client, team):
    page = client.get(url(team, "/rules/new"))
    assert page.status_code == 200
    assert page.text.count('name="conditions-') == 12  # three blank rows of four fields
    assert '<option value="score">Lead score</option>' in page.text
    response = add_rule(
        client,
        team,
        [
            ("budget", "greater_than", "10000"),
            ("company_size", "one_of", "11_200, 200_plus"),
            ("has_project", "is_not_empty", "ignored"),
            ("", "equals", ""),
        ],
    )
    assert response.status_code == 303, response.text
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.name == "Big budget"))
    assert rule.conditions == [
        {"field": "budget", "operator": "greater_than", "value": 10000},
        {"field": "company_size", "operator": "one_of", "value": ["11_200", "200_plus"]},
        {"field": "has_project", "operator": "is_not_empty", "value": None},
    ]
    assert (rule.action_kind, rule.target_id, rule.active, rule.position) == (
        "team",
        team.closers.id,
        True,
        2,
    )
    assert (rule.message, rule.redirect_url) == ("", "")
    assert audit("routing_rule.create")[-1].changes["action_kind"] == [None, "team"]


def test_add_a_disqualifying_rule_with_a_redirect(client, team):
    response = add_rule(
        client,
        team,
        [("score", "less_than", "5")],
        name="Not a fit",
        match="any",
        action_kind="disqualify",
        message="Thanks! Our guides will help you more.",
        redirect_url="https://example.com/guides",
        redirect_seconds="10",
    )
    assert response.status_code == 303, response.text
    rule = db.session.scalar(select(RoutingRule).where(RoutingRule.name == "Not a fit"))
    assert (rule.action_kind, rule.target_id, rule.match) == ("disqualify", None, "any")
    assert (rule.redirect_url, rule.redirect_seconds) == ("https://example.com/guides", 10)


def test_route_to_a_host_or_another_event_type(client, team):
    assert add_rule(client, team, name="To Ben", action_kind="host",
                    host_id=str(team.ben.id)).status_code == 303  # fmt: skip
    assert add_rule(client, team, name="To demo", action_kind="event_type",
                    event_type_id=str(team.demo.id)).status_code == 303  # fmt: skip
    rules = {r.name: r for r in db.session.scalars(select(RoutingRule))}
    assert (rules["To Ben"].action_kind, rules["To Ben"].target_id) == ("host", team.ben.id)
    assert rules["To demo"].target_id == team.demo.id
    page = client.get(url(team)).text
    assert "Route to host Ben Berger" in page and "Show event type Product demo" in page
    assert "Always (no conditions)" in page


@pytest.mark.parametrize(
    ("conditions", "changes", "message"),
    [
        ((), {"name": ""}, "Give the rule a name, e.g. Enterprise to senior closers."),
        ((), {"name": "x" * 201}, "at most 200 characters"),
        ((), {"match": "most"}, "Choose whether all or any of the conditions must hold."),
        ((), {"action_kind": ""}, "Choose what happens."),
        ((), {"action_kind": "escalate"}, "Choose what happens."),
        ((), {"pool_id": ""}, "Choose a team to send these leads to."),
        ((), {"action_kind": "host"}, "Choose a host to send these leads to."),
        ((), {"action_kind": "event_type"}, "Choose an event type to send these leads to."),
        ((), {"pool_id": "abc"}, "Choose a team from the list."),
        ((), {"action_kind": "disqualify"}, "Write the message that disqualified leads will see."),
        (
            (),
            {"action_kind": "disqualify", "message": "Bye", "redirect_url": "javascript:alert(1)"},
            "The redirect address must start with https:// or http://.",
        ),
        (
            (),
            {"action_kind": "disqualify", "message": "Bye", "redirect_seconds": "61"},
            "Enter the delay in whole seconds, from 0 to 60.",
        ),
        (
            (),
            {"action_kind": "disqualify", "message": "Bye", "redirect_seconds": "soon"},
            "Enter the delay in whole seconds, from 0 to 60.",
        ),
        ([("score", "greater_than", "lots")], {}, "Condition 1 compares with &#39;lots&#39;"),
        ([("budget", "equals", "")], {}, "Condition 1 needs a value to compare with."),
        ([("colour", "equals", "red")], {}, "Condition 1 uses &#39;colour&#39;, which is not"),
        ([("budget", "resembles", "1")], {}, "Condition 1 has an unknown comparison"),
        ([("", "equals", "orphan")], {}, "Row 1: choose a question or the lead score"),
        ([("score", "greater_than", "1")] * 11, {}, "A rule can have at most 10 conditions."),
        ([("budget", "equals", "x" * 501)], {}, "at most 500 characters"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_a_message(client, team, conditions, changes, message):
    before = count(RoutingRule)
    response = add_rule(client, team, conditions, **changes)
    assert response.status_code == 400
    assert message in response.text
    assert count(RoutingRule) == before and audit("routing_rule.create") == []


@pytest.mark.parametrize(
    ("kind", "field", "attr", "message"),
    [
        ("team", "pool_id", "their_pool", "Choose a team from the list."),
        ("host", "host_id", "stranger", "Choose a host from the list."),
        ("event_type", "event_type_id", "theirs", "Choose an event type from the list."),
    ],
)
def test_targets_of_another_organisation_are_refused(client, team, kind, field, attr, message):
    # The id is posted by hand (it is not offered), and refused by the server.
    response = add_rule(client, team, action_kind=kind, **{field: str(getattr(team, attr).id)})
    assert response.status_code == 400 and message in response.text
    assert count(RoutingRule) == 3


def test_edit_a_rule(client, team):
    enterprise = team.form.rules[0]
    page = client.get(url(team, f"/rules/{enterprise.id}"))
    assert page.status_code == 200
    assert '<option selected value="score">' in page.text
    assert '<option selected value="greater_than">' in page.text
    assert 'name="conditions-0-value" type="text" value="25"' in page.text
    assert page.text.count('name="conditions-') == 12  # the condition and two blank rows
    response = post_form(
        client,
        url(team, f"/rules/{enterprise.id}"),
        rule_data(
            team,
            [("score", "greater_than", "40")],
            name="Enterprise",
            action_kind="host",
            host_id=str(team.anna.id),
        ),
    )
    assert response.status_code == 303, response.text
    rule = fresh(RoutingRule, enterprise.id)
    assert (rule.action_kind, rule.target_id) == ("host", team.anna.id)
    assert rule.conditions[0]["value"] == 40
    changes = audit("routing_rule.update")[-1].changes
    assert changes["conditions"][0][0]["value"] == 25 and changes["conditions"][1][0]["value"] == 40
    assert changes["action_kind"] == ["team", "host"]


def test_rules_turn_off_and_on_move_and_delete(client, team):
    small = team.form.rules[1]
    base = url(team, f"/rules/{small.id}")
    assert post_form(client, f"{base}/deactivate", {}, url(team)).status_code == 303
    assert fresh(RoutingRule, small.id).active is False
    assert "Too small is off: it is skipped." in client.get(url(team)).text
    post_form(client, f"{base}/activate", {}, url(team))
    assert fresh(RoutingRule, small.id).active is True
    assert [e.action for e in audit("routing_rule.deactivate") + audit("routing_rule.activate")]
    post_form(client, f"{base}/move", {"direction": "up"}, url(team))
    assert rules_in_order(team.form.id) == ["Too small", "Enterprise"]
    junk = post_form(client, f"{base}/move", {"direction": "left"}, url(team))
    assert junk.status_code == 400 and "Move the row up or down." in junk.text
    assert audit("routing_rule.move")[-1].changes["order"] == [
        ["Enterprise", "Too small"],
        ["Too small", "Enterprise"],
    ]
    assert post_form(client, f"{base}/delete", {}, url(team)).status_code == 303
    assert rules_in_order(team.form.id) == ["Enterprise"]
    assert audit("routing_rule.delete")[-1].changes == {"name": ["Too small", None]}


# -- the fallback --------------------------------------------------------------------------------


def test_fallback_can_disqualify_route_or_use_the_default(client, team):
    page = client.get(url(team, "/fallback"))
    assert page.status_code == 200 and 'value="default" checked' in page.text.replace(
        'checked id="action_kind-0" name="action_kind" type="radio" value="default"',
        'value="default" checked',
    )
    data = rule_data(team, action_kind="disqualify", message="Not now, sorry.")
    del data["name"], data["match"]
    response = post_form(client, url(team, "/fallback"), data)
    assert response.status_code == 303
    form = fresh(RoutingForm, team.form.id)
    assert (form.fallback_kind, form.fallback_message) == ("disqualify", "Not now, sorry.")
    assert audit("routing_form.fallback")[-1].changes["fallback_kind"] == ["default", "disqualify"]
    data.update(action_kind="host", host_id=str(team.ben.id))
    assert post_form(client, url(team, "/fallback"), data).status_code == 303
    form = fresh(RoutingForm, team.form.id)
    assert (form.fallback_kind, form.fallback_target_id, form.fallback_message) == (
        "host",
        team.ben.id,
        "",
    )
    assert "Route to host Ben Berger" in client.get(url(team)).text
    data.update(action_kind="default")
    assert post_form(client, url(team, "/fallback"), data).status_code == 303
    assert fresh(RoutingForm, team.form.id).fallback_target_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"action_kind": "disqualify", "message": ""}, "Write the message that disqualified"),
        ({"action_kind": "host", "host_id": ""}, "Choose a host to send these leads to."),
        ({"action_kind": "nothing"}, "Choose what happens."),
    ],
)
def test_bad_fallbacks_are_refused(client, team, changes, message):
    data = {**rule_data(team), **changes}
    response = post_form(client, url(team, "/fallback"), data)
    assert response.status_code == 400 and message in response.text
    assert fresh(RoutingForm, team.form.id).fallback_kind == "default"


def test_fallback_refuses_a_team_of_another_organisation(client, team):
    data = rule_data(team, pool_id=str(team.their_pool.id))
    response = post_form(client, url(team, "/fallback"), data)
    assert response.status_code == 400 and "Choose a team from the list." in response.text


# -- the test page -------------------------------------------------------------------------------


def test_the_test_page_shows_the_rule_that_fired_and_stores_nothing(client, team):
    page = client.get(url(team, "/test"))
    assert page.status_code == 200
    assert 'name="q_company_size"' in page.text and 'name="q_budget"' in page.text
    assert "Only asked if has_project equals “yes”." in page.text
    audits_before = count(AuditEntry)
    response = post_form(
        client,
        url(team, "/test"),
        {"q_company_size": "200_plus", "q_has_project": "yes", "q_budget": "5000"},
    )
    assert response.status_code == 200
    text = response.text
    assert "Route to team Closers" in text and "Rule Enterprise" in text
    assert "Rule &#39;Enterprise&#39; matched: score greater_than 25 was true (score: 35)" in text
    assert re.search(r"<dt>Lead score</dt>\s*<dd>35</dd>", text)
    assert "More than 200" not in text.split("Answers as the rules see them")[0]
    assert '<td data-label="Answer">200_plus</td>' in text
    assert '<td data-label="Answer">5000</td>' in text and ">Yes</td>" in text
    assert count(Lead) == 0 and count(AuditEntry) == audits_before


def test_the_test_page_shows_a_disqualification_and_the_fallback(client, team):
    small = post_form(client, url(team, "/test"), {"q_company_size": "1_10"})
    assert small.status_code == 200
    assert "Disqualify with the message “We only serve teams above 10.”" in small.text
    assert "Rule &#39;Enterprise&#39; did not match" in small.text
    assert "Rule &#39;Too small&#39; matched" in small.text
    middle = post_form(client, url(team, "/test"), {"q_company_size": "11_200"})
    assert "No rule matched: the fallback" in middle.text
    assert "No rule matched: fallback" in middle.text  # the trace line
    assert "Book the event type's own hosts or team" in middle.text
    assert count(Lead) == 0


def test_the_test_page_reports_invalid_answers(client, team):
    response = post_form(client, url(team, "/test"), {"q_has_project": "yes", "q_budget": "-3"})
    assert response.status_code == 400
    assert "This question needs an answer." in response.text  # company_size is required
    assert "Enter a number of at least 0." in response.text
    assert 'aria-invalid="true"' in response.text
    assert '<h2 id="result-title">' not in response.text
    assert count(Lead) == 0


def test_the_test_page_of_a_form_without_questions(client, team):
    form = make_form(team.org, name="Empty")
    page = client.get(f"/admin/routing/{form.id}/test")
    assert "This form has no questions yet" in page.text
    response = post_form(client, f"/admin/routing/{form.id}/test", {})
    assert response.status_code == 200 and "No rule matched: the fallback" in response.text


# -- who may do what -----------------------------------------------------------------------------


def every_route(form_id: int, question_id: int, rule_id: int) -> tuple[list, list]:
    base = f"/admin/routing/{form_id}"
    gets = [
        base,
        f"{base}/questions/new",
        f"{base}/questions/{question_id}",
        f"{base}/rules/new",
        f"{base}/rules/{rule_id}",
        f"{base}/fallback",
        f"{base}/test",
    ]
    posts = [
        f"{base}/rename",
        f"{base}/delete",
        f"{base}/questions/new",
        f"{base}/questions/{question_id}",
        f"{base}/questions/{question_id}/delete",
        f"{base}/questions/{question_id}/move",
        f"{base}/rules/new",
        f"{base}/rules/{rule_id}",
        f"{base}/rules/{rule_id}/delete",
        f"{base}/rules/{rule_id}/move",
        f"{base}/rules/{rule_id}/activate",
        f"{base}/rules/{rule_id}/deactivate",
        f"{base}/fallback",
        f"{base}/test",
    ]
    return gets, posts


def assert_nothing_changed(team):
    db.session.expire_all()
    assert count(RoutingForm) == 2 and count(Question) == 4 and count(RoutingRule) == 3
    routing_audit = select(func.count()).where(
        AuditEntry.object_type.in_(("routing_form", "question", "routing_rule"))
    )
    assert db.session.scalar(routing_audit) == 0


def test_rep_gets_403_on_every_routing_route(client, team):
    sign_out(client)
    rep = team.make_user(role="rep", host=team.anna)
    assert login(client, rep.email).status_code == 302
    gets, posts = every_route(team.form.id, team.form.questions[0].id, team.form.rules[0].id)
    for path in ["/admin/routing", *gets]:
        assert client.get(path).status_code == 403, path
    for path in ["/admin/routing/new", *posts]:
        data = {"name": "Rep form", "direction": "up", **question_data()}
        response = post_form(client, path, data, page_url="/admin/")
        assert response.status_code == 403, path
    assert "Routing" not in client.get("/admin/").text
    assert_nothing_changed(team)


def test_another_organisations_forms_answer_404(client, team):
    theirs = team.their_form
    gets, posts = every_route(theirs.id, theirs.questions[0].id, theirs.rules[0].id)
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        data = {"name": "Hijack", "direction": "up", **question_data()}
        response = post_form(client, path, data, page_url="/admin/routing")
        assert response.status_code == 404, path
    assert_nothing_changed(team)


def test_guessed_ids_answer_404(client, team):
    their_question = team.their_form.questions[0].id
    their_rule = team.their_form.rules[0].id
    # Their question and rule under our own form, and ids that do not exist at all.
    gets, posts = every_route(team.form.id, their_question, their_rule)
    for path in gets[2:3] + gets[4:5]:
        assert client.get(path).status_code == 404, path
    for path in posts[3:6] + posts[7:12]:
        response = post_form(client, path, {"direction": "up"}, page_url="/admin/routing")
        assert response.status_code == 404, path
    for path in every_route(999999, 999999, 999999)[0]:
        assert client.get(path).status_code == 404, path
    assert_nothing_changed(team)


def test_admins_may_edit_routing_too(client, team):
    sign_out(client)
    admin = team.make_user(role="admin", org=team.org)
    assert login(client, admin.email).status_code == 302
    assert client.get("/admin/routing").status_code == 200
    response = post_form(client, "/admin/routing/new", {"name": "By admin"}, "/admin/routing")
    assert response.status_code == 303
