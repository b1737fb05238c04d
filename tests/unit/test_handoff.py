"""The CRM hand-off's pure parts: displayed answers and the routing sentence."""

import pytest

from scheduling.routing import Choice, Question
from scheduling.routing.handoff import displayed_answers, routing_sentence

QUESTIONS = [
    Question(
        "size", "Team size", "single_choice", choices=(Choice("s", "1-10"), Choice("m", "11-50"))
    ),
    Question(
        "tools", "Tools", "multiple_choice", choices=(Choice("crm", "A CRM"), Choice("erp", "ERP"))
    ),
    Question("eu", "In the EU?", "yes_no"),
    Question("country", "Country", "country"),
    Question("seats", "Seats", "number"),
]


def test_answers_in_question_order_with_labels_and_displayed_values():
    answers = {"seats": 12, "eu": True, "tools": ["erp", "crm"], "size": "m", "country": "AT"}
    assert displayed_answers(QUESTIONS, answers) == [
        {"key": "size", "label": "Team size", "value": "m", "display": "11-50"},
        {"key": "tools", "label": "Tools", "value": ["erp", "crm"], "display": "ERP, A CRM"},
        {"key": "eu", "label": "In the EU?", "value": True, "display": "Yes"},
        {"key": "country", "label": "Country", "value": "AT", "display": "Austria"},
        {"key": "seats", "label": "Seats", "value": 12, "display": "12"},
    ]


@pytest.mark.parametrize(
    ("answers", "display"),
    [
        ({"size": "gone"}, "gone"),  # a choice removed since: its value
        ({"eu": False}, "No"),
        ({"old": ["a", "b"]}, "a, b"),  # a question deleted since: key as label, raw value
        ({"size": None}, ""),
    ],
)
def test_answers_whose_question_or_choice_changed_still_read(answers, display):
    (row,) = displayed_answers(QUESTIONS, answers)
    assert row["display"] == display
    assert row["label"] == ("old" if "old" in answers else row["label"])


def test_routing_sentence_for_a_team_and_for_one_host():
    standing = {"assigned": 2.0, "expected": 3.5, "today": 1}
    text = routing_sentence(
        rule="Mid-market",
        team="Closers",
        host="Anna",
        decided_by="deficit",
        standing=standing,
        period="week",
    )
    assert text == (
        'Rule "Mid-market" sent the booking to the team "Closers". Anna was furthest below '
        "their fair share: 2 booked against a fair share of 3.50 this week, 1 today."
    )
    assert routing_sentence(rule="Big fish", team=None, host="Anna") == (
        'Rule "Big fish" sent the booking to Anna.'
    )
    assert routing_sentence(rule=None, team=None, host="Ben").startswith("No rule matched")
