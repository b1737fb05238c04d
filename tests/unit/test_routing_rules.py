"""Routing rules: every operator, all/any, score, first match, fallback, trace and validation."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.routing import (
    OPERATORS,
    Action,
    Condition,
    Rule,
    check_condition,
    evaluate,
    validate_action,
    validate_rule,
)

ANSWERS = {
    "company": "Acme Holdings",
    "industry": "SaaS",
    "size": 50,
    "revenue": 2.5,
    "budget": True,
    "urgent": False,
    "tools": ["crm", "erp"],
    "numeric_text": "120",
    "blank": "",
    "none": None,
    "nothing": [],
}


def check(field, operator, value=None, score=0):
    return check_condition(Condition(field, operator, value), ANSWERS, score)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("industry", "saas", True),  # strings: case-insensitive
        ("industry", " SaaS ", True),
        ("industry", "fintech", False),
        ("size", 50, True),
        ("size", "50", True),  # numeric string against a number answer
        ("size", 50.0, True),
        ("size", "fifty", False),
        ("revenue", "2.50", True),
        ("budget", True, True),
        ("budget", "yes", True),
        ("budget", "no", False),
        ("urgent", False, True),
        ("urgent", "no", True),
        ("urgent", "false", True),
        ("urgent", "yes", False),
        ("budget", "maybe", False),
        ("budget", 1, True),
        ("tools", "erp", True),  # lists: contains the value
        ("tools", "ERP", True),
        ("tools", "bi", False),
        ("numeric_text", 120, True),
        ("missing", "x", False),
        ("none", None, False),
        ("blank", "", True),
    ],
)
def test_equals(field, value, expected):
    assert check(field, "equals", value) is expected
    assert check(field, "not_equals", value) is (not expected)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("industry", ["fintech", "saas"], True),
        ("industry", ["fintech"], False),
        ("industry", "saas", True),  # a single value is a one-item list
        ("size", [10, "50"], True),
        ("size", [10, 20], False),
        ("budget", ["yes"], True),
        ("tools", ["bi", "erp"], True),  # any selected value in the list
        ("tools", ["bi"], False),
        ("tools", [], False),
        ("missing", ["a"], False),
        ("nothing", ["a"], False),
    ],
)
def test_one_of(field, value, expected):
    assert check(field, "one_of", value) is expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("company", "holdings", True),  # substring, case-insensitive
        ("company", "ACME", True),
        ("company", "corp", False),
        ("numeric_text", 12, True),
        ("tools", "crm", True),  # membership for lists
        ("tools", "cr", False),
        ("size", 5, False),  # numbers are not text
        ("budget", "true", False),
        ("missing", "a", False),
        ("company", None, False),
        ("company", True, False),
    ],
)
def test_contains(field, value, expected):
    assert check(field, "contains", value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("size", "greater_than", 49, True),
        ("size", "greater_than", 50, False),
        ("size", "greater_than", "10", True),
        ("size", "less_than", 50.5, True),
        ("size", "less_than", 50, False),
        ("revenue", "greater_than", 2, True),
        ("numeric_text", "greater_than", 100, True),
        ("industry", "greater_than", 1, False),  # non-numeric answer
        ("size", "greater_than", "many", False),  # non-numeric value
        ("size", "greater_than", None, False),
        ("budget", "greater_than", 0, False),  # booleans are not numbers
        ("tools", "less_than", 5, False),
        ("missing", "greater_than", 0, False),
        ("missing", "less_than", 0, False),
    ],
)
def test_greater_and_less_than_are_numeric_only(field, operator, value, expected):
    assert check(field, operator, value) is expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("missing", True),
        ("none", True),
        ("blank", True),
        ("nothing", True),
        ("industry", False),
        ("urgent", False),  # an answered "no" is an answer
        ("size", False),
        ("tools", False),
    ],
)
def test_is_empty_and_is_not_empty(field, expected):
    assert check(field, "is_empty") is expected
    assert check(field, "is_not_empty") is (not expected)


def test_unknown_operator_is_false():
    assert check("industry", "resembles", "saas") is False


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [("greater_than", 10, True), ("less_than", 10, False), ("equals", "15", True)],
)
def test_score_is_a_field(operator, value, expected):
    assert check("score", operator, value, score=15) is expected


def test_score_field_beats_an_answer_named_score():
    cond = Condition("score", "equals", 3)
    assert check_condition(cond, {"score": 99}, 3) is True


# --- evaluate ------------------------------------------------------------------------------

FALLBACK = Action("team", target_id=1)
ENTERPRISE = Rule(
    10, "Enterprise", (Condition("size", "greater_than", 200),), action=Action("team", 2)
)
SAAS_OR_HOT = Rule(
    11,
    "SaaS or hot",
    (Condition("industry", "equals", "saas"), Condition("score", "greater_than", 50)),
    match="any",
    action=Action("host", 7),
)
STUDENTS = Rule(
    12,
    "Students",
    (Condition("role", "equals", "student"), Condition("size", "less_than", 2)),
    match="all",
    action=Action(
        "disqualify", message="We only work with companies.", redirect_url="https://x.org"
    ),
)


def test_first_matching_rule_wins():
    rules = [ENTERPRISE, SAAS_OR_HOT, Rule(13, "Everyone", (), action=Action("team", 9))]
    decision = evaluate(rules, FALLBACK, {"size": 500, "industry": "saas"}, 0)
    assert (decision.rule_id, decision.rule_name, decision.action) == (
        10,
        "Enterprise",
        Action("team", 2),
    )
    assert len(decision.trace) == 1


def test_later_rule_matches_when_earlier_do_not():
    decision = evaluate([ENTERPRISE, SAAS_OR_HOT], FALLBACK, {"size": 50, "industry": "SaaS"}, 0)
    assert decision.rule_id == 11
    assert decision.action == Action("host", 7)
    assert decision.trace == (
        "Rule 'Enterprise' did not match: size greater_than 200 was false (answer: 50)",
        "Rule 'SaaS or hot' matched: industry equals 'saas' was true (answer: 'SaaS')",
    )


def test_any_matches_on_score_alone():
    decision = evaluate([SAAS_OR_HOT], FALLBACK, {"industry": "retail"}, 80)
    assert decision.rule_id == 11
    assert decision.score == 80
    assert decision.trace[-1].endswith("score greater_than 50 was true (score: 80)")


def test_all_needs_every_condition():
    answers = {"role": "Student", "size": 1}
    assert evaluate([STUDENTS], FALLBACK, answers, 0).action.kind == "disqualify"
    decision = evaluate([STUDENTS], FALLBACK, {"role": "student", "size": 30}, 0)
    assert decision.rule_id is None
    assert decision.trace == (
        "Rule 'Students' did not match: size less_than 2 was false (answer: 30)",
        "No rule matched: fallback",
    )


def test_any_lists_every_false_condition():
    decision = evaluate([SAAS_OR_HOT], FALLBACK, {}, 3)
    assert decision.trace[0] == (
        "Rule 'SaaS or hot' did not match: industry equals 'saas' was false (no answer); "
        "score greater_than 50 was false (score: 3)"
    )


def test_all_matched_trace_lists_every_condition():
    decision = evaluate([STUDENTS], FALLBACK, {"role": "student", "size": 1}, 0)
    assert decision.trace == (
        "Rule 'Students' matched: role equals 'student' was true (answer: 'student'); "
        "size less_than 2 was true (answer: 1)",
    )


def test_fallback_when_nothing_matches():
    decision = evaluate([ENTERPRISE], FALLBACK, {"size": 10}, 4)
    assert decision.action == FALLBACK
    assert decision.rule_id is None
    assert decision.rule_name == "Fallback"
    assert decision.score == 4
    assert decision.trace[-1] == "No rule matched: fallback"


def test_no_rules_goes_to_fallback():
    assert evaluate([], FALLBACK, {}, 0).trace == ("No rule matched: fallback",)


def test_rule_without_conditions_always_matches():
    decision = evaluate([Rule(None, "Catch all", (), action=Action("team", 3))], FALLBACK, {}, 0)
    assert decision.action == Action("team", 3)
    assert decision.trace == ("Rule 'Catch all' matched: it has no conditions",)


def test_unknown_operator_shows_in_trace():
    rule = Rule(1, "Odd", (Condition("size", "roughly", 5),), action=Action("team", 2))
    decision = evaluate([rule], FALLBACK, {"size": 5}, 0)
    assert decision.rule_id is None
    assert decision.trace[0] == (
        "Rule 'Odd' did not match: size roughly 5 was false (unknown operator 'roughly')"
    )


def test_unknown_match_mode_never_matches():
    rule = Rule(1, "Typo", (), match="every", action=Action("team", 2))
    decision = evaluate([rule], FALLBACK, {}, 0)
    assert decision.rule_id is None
    assert "unknown match mode 'every'" in decision.trace[0]


def test_trace_of_is_empty_has_no_value():
    rule = Rule(1, "No phone", (Condition("phone", "is_empty"),), action=Action("team", 2))
    assert evaluate([rule], FALLBACK, {}, 0).trace == (
        "Rule 'No phone' matched: phone is_empty was true (no answer)",
    )


def test_long_answers_are_shortened_in_the_trace():
    rule = Rule(1, "Long", (Condition("notes", "equals", "x"),), action=Action("team", 2))
    line = evaluate([rule], FALLBACK, {"notes": "word " * 500}, 0).trace[0]
    assert len(line) < 200
    assert line.endswith("...)")


# --- validation ----------------------------------------------------------------------------

KEYS = {"size", "industry", "tools"}


def test_valid_rule_has_no_problems():
    assert validate_rule(ENTERPRISE, KEYS) == []
    assert validate_rule(SAAS_OR_HOT, KEYS) == []
    assert validate_rule(Rule(1, "All", (), action=Action("event_type", 4)), KEYS) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            Rule(1, "X", (Condition("colour", "equals", "red"),), action=Action("team", 1)),
            "Condition 1 uses 'colour', which is not one of the questions.",
        ),
        (
            Rule(1, "X", (Condition("size", "bigger", 1),), action=Action("team", 1)),
            "Condition 1 has an unknown comparison 'bigger'.",
        ),
        (
            Rule(1, "X", (Condition("size", "equals"),), action=Action("team", 1)),
            "Condition 1 needs a value to compare with.",
        ),
        (
            Rule(1, "X", (Condition("size", "greater_than", "big"),), action=Action("team", 1)),
            "Condition 1 compares with 'big', which is not a number.",
        ),
        (Rule(1, " ", (), action=Action("team", 1)), "Give the rule a name."),
        (
            Rule(1, "X", (), match="most", action=Action("team", 1)),
            "Choose whether all or any of the conditions must hold.",
        ),
        (Rule(1, "X", (), action=Action("team")), "Choose a team to send these leads to."),
        (Rule(1, "X", (), action=Action("host")), "Choose a host to send these leads to."),
        (
            Rule(1, "X", (), action=Action("event_type")),
            "Choose an event type to send these leads to.",
        ),
        (Rule(1, "X", ()), "Write the message that disqualified leads will see."),
        (
            Rule(1, "X", (), action=Action("panic")),
            "Choose what happens: 'panic' is not a known action.",
        ),
        (
            Rule(1, "X", (), action=Action("disqualify", message="Sorry", redirect_url="x.org")),
            "The redirect address must start with https:// or http://.",
        ),
        (
            Rule(1, "X", (), action=Action("disqualify", message="m", redirect_url="javascript:1")),
            "The redirect address must start with https:// or http://.",
        ),
        (
            Rule(1, "X", (), action=Action("disqualify", message="m", redirect_seconds=61)),
            "The redirect delay must be between 0 and 60 seconds.",
        ),
        (
            Rule(1, "X", (), action=Action("disqualify", message="m", redirect_seconds=-1)),
            "The redirect delay must be between 0 and 60 seconds.",
        ),
    ],
)
def test_validate_rule_messages(rule, message):
    assert message in validate_rule(rule, KEYS)


def test_validate_rule_accepts_score_and_valueless_operators():
    rule = Rule(
        1,
        "Hot",
        (Condition("score", "greater_than", "30"), Condition("tools", "is_not_empty")),
        action=Action(
            "disqualify", message="Thanks!", redirect_url="http://x.org/a", redirect_seconds=0
        ),
    )
    assert validate_rule(rule, KEYS) == []


def test_validate_action_for_the_fallback():
    assert validate_action(Action("team", 3)) == []
    assert validate_action(Action("disqualify", message="Bye", redirect_seconds=60)) == []


# --- evaluate never raises -----------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=6,
)
fields = st.sampled_from(["a", "b", "c", "score"])
conditions = st.builds(
    Condition,
    fields,
    st.sampled_from([*OPERATORS, "bogus"]) | st.text(max_size=8),
    json_values,
)
rules = st.builds(
    Rule,
    st.none() | st.integers(0, 100),
    st.text(max_size=10),
    st.lists(conditions, max_size=4).map(tuple),
    st.sampled_from(["all", "any", "nope"]),
    st.builds(Action, st.sampled_from(["team", "host", "event_type", "disqualify"])),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(rules, max_size=5),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), json_values, max_size=4),
    st.integers(-1000, 1000),
)
def test_evaluate_never_raises(rule_list, answers, lead_score):
    decision = evaluate(rule_list, Action("team", 1), answers, lead_score)
    assert all(isinstance(line, str) for line in decision.trace)
    if decision.trace[-1] == "No rule matched: fallback":
        assert len(decision.trace) == len(rule_list) + 1
        assert decision.action == Action("team", 1)
    else:
        winner = rule_list[len(decision.trace) - 1]
        assert (decision.rule_id, decision.action) == (winner.id, winner.action)
        assert " matched" in decision.trace[-1]
    json.dumps(list(decision.trace))
    for rule in rule_list:
        assert isinstance(validate_rule(rule, {"a", "b"}), list)
