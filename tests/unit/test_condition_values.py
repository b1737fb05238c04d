"""Condition values checked against their questions (pure)."""

import pytest

from scheduling import routing as rt
from scheduling.routing.condition_values import normal_value, stale_conditions, value_problems

SIZE = rt.Question(
    "company_size",
    "How big?",
    "single_choice",
    choices=(rt.Choice("1_10", "1 to 10 people"), rt.Choice("200_plus", "More than 200")),
)
QUESTIONS = {
    q.key: q
    for q in (
        SIZE,
        rt.Question("budget", "Budget", "number"),
        rt.Question("decider", "Do you decide?", "yes_no"),
        rt.Question("country", "Country", "country"),
        rt.Question("notes", "Notes", "long_text"),
        rt.Question("tags", "Tags", "multiple_choice"),
    )
}


def problems(field, operator, value):
    return value_problems(1, rt.Condition(field, operator, value), QUESTIONS)


@pytest.mark.parametrize(
    ("field", "operator", "value"),
    [
        ("company_size", "equals", "200_plus"),
        ("company_size", "not_equals", " 200_PLUS "),
        ("company_size", "one_of", ["1_10", "200_plus"]),
        ("company_size", "is_empty", None),
        ("budget", "greater_than", 10),
        ("budget", "equals", "2.5"),
        ("decider", "equals", "yes"),
        ("country", "one_of", ["de", "FR"]),
        ("notes", "contains", "anything"),
        ("score", "less_than", 3),
        ("score", "equals", "30"),
        ("colour", "equals", "red"),  # unknown fields are validate_rule's to report
    ],
)
def test_values_the_question_can_give_pass(field, operator, value):
    assert problems(field, operator, value) == []


@pytest.mark.parametrize(
    ("field", "operator", "value", "words"),
    [
        ("company_size", "equals", "More than 200", "the label visitors see"),
        ("company_size", "one_of", ["1_10", "huge"], "“huge” is not a choice of company_size"),
        ("company_size", "contains", "1_1", "is not a choice"),
        ("tags", "equals", "x", "has no choices yet"),
        ("budget", "less_than", "lots", "budget is a number"),
        ("budget", "one_of", ["1", "two"], "not “two”"),
        ("decider", "not_equals", "maybe", "answered yes or no"),
        ("country", "equals", "Germany", "is not a country code"),
        ("country", "one_of", ["DE", "XX"], "“XX” is not a country code"),
        ("score", "equals", "high", "the lead score is a number"),
    ],
)
def test_values_it_cannot_give_are_named(field, operator, value, words):
    found = problems(field, operator, value)
    assert len(found) == 1 and words in found[0]
    assert found[0].template  # a Message: translated where shown


def test_the_choice_message_lists_values_with_labels():
    (message,) = problems("company_size", "equals", "huge")
    assert message.endswith("Valid choices: 1_10 (1 to 10 people), 200_plus (More than 200).")


def test_values_are_stored_as_the_question_spells_them():
    def normal(field, operator, value):
        return normal_value(rt.Condition(field, operator, value), QUESTIONS)

    assert normal("company_size", "equals", " 200_PLUS ") == "200_plus"
    assert normal("company_size", "one_of", ["1_10", "200_Plus"]) == ["1_10", "200_plus"]
    assert normal("country", "one_of", [" de", "fr"]) == ["DE", "FR"]
    assert normal("budget", "greater_than", 10) == 10
    assert normal("colour", "equals", "Red") == "Red"


def test_stale_conditions_name_removed_questions_and_choices():
    found = stale_conditions(
        [
            rt.Condition("company_size", "equals", "200_plus"),
            rt.Condition("company_size", "equals", "201_plus"),
            rt.Condition("former", "equals", "x"),
            rt.Condition("score", "greater_than", 5),
        ],
        QUESTIONS,
    )
    assert [m.params["n"] for m in found] == [2, 3]
    assert "the question former no longer exists" in found[1]
