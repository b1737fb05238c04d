"""Qualification questions: cleaning every kind, visibility chains, lead scoring."""

import pytest

from scheduling.routing import (
    COUNTRIES,
    QUESTION_KINDS,
    REQUIRED_MESSAGE,
    Choice,
    Question,
    ShowIf,
    clean_answers,
    score,
    visible_questions,
)

SIZES = (Choice("small", "1-10", 0), Choice("mid", "11-200", 5), Choice("large", "200+", 20))
TOOLS = (Choice("crm", "CRM", 1), Choice("erp", "ERP", 2), Choice("bi", "BI", 4))


def question(kind: str, **kw) -> Question:
    if kind == "single_choice":
        kw.setdefault("choices", SIZES)
    if kind == "multiple_choice":
        kw.setdefault("choices", TOOLS)
    return Question(key="q", label="Q", kind=kind, **kw)


def clean_one(kind: str, raw: object, **kw):
    clean, errors = clean_answers([question(kind, **kw)], {"q": raw})
    return clean.get("q"), errors.get("q")


VALID = [
    ("short_text", "  Acme GmbH ", "Acme GmbH"),
    ("short_text", ["Acme"], "Acme"),
    ("short_text", "x" * 200, "x" * 200),
    ("long_text", "line one\nline two", "line one\nline two"),
    ("long_text", "y" * 5000, "y" * 5000),
    ("email", " Jane.Doe+sales@Example.CO.uk ", "jane.doe+sales@example.co.uk"),
    ("phone", " +49 (30) 1234-5678 ", "+49 (30) 1234-5678"),
    ("phone", "123456", "123456"),
    ("single_choice", "mid", "mid"),
    ("single_choice", [" large "], "large"),
    ("multiple_choice", ["bi", "crm"], ["crm", "bi"]),
    ("multiple_choice", "erp", ["erp"]),
    ("number", "42", 42),
    ("number", "3.50", 3.5),
    ("number", "-7", -7),
    ("number", 12.0, 12),
    ("number", 2.25, 2.25),
    ("number", "1e3", 1000),
    ("yes_no", True, True),
    ("yes_no", False, False),
    ("yes_no", "Yes", True),
    ("yes_no", "no", False),
    ("yes_no", "true", True),
    ("yes_no", "FALSE", False),
    ("yes_no", "1", True),
    ("yes_no", "0", False),
    ("yes_no", "on", True),
    ("country", "de", "DE"),
    ("country", " GB ", "GB"),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), VALID)
def test_valid_answers_are_cleaned_to_one_type_per_kind(kind, raw, expected):
    value, error = clean_one(kind, raw)
    assert error is None
    assert value == expected
    assert type(value) is type(expected)


INVALID = [
    ("short_text", "x" * 201, "too long"),
    ("short_text", "two\nlines", "not allowed"),
    ("short_text", {"a": 1}, "must be text"),
    ("short_text", ["a", "b"], "one answer only"),
    ("long_text", "y" * 5001, "at most 5000"),
    ("long_text", "bell\x07", "not allowed"),
    ("email", "jane", "valid email"),
    ("email", "jane@example", "valid email"),
    ("email", "ja ne@example.com", "valid email"),
    ("email", "a@@example.com", "valid email"),
    ("email", "a@example..com", "valid email"),
    ("email", "a@.example.com", "valid email"),
    ("email", "a" * 250 + "@x.de", "valid email"),
    ("phone", "12345", "at least 6 digits"),
    ("phone", "call me maybe", "at least 6 digits"),
    ("phone", "1" * 41, "at most 40"),
    ("single_choice", "huge", "offered answers"),
    ("single_choice", "Mid", "offered answers"),
    ("single_choice", True, "offered answers"),
    ("multiple_choice", ["crm", "cobol"], "offered answers"),
    ("multiple_choice", [1.5], "offered answers"),
    ("number", "forty", "Enter a number"),
    ("number", "1_000", "Enter a number"),
    ("number", "nan", "Enter a number"),
    ("number", "inf", "Enter a number"),
    ("number", True, "Enter a number"),
    ("number", float("inf"), "Enter a number"),
    ("yes_no", "maybe", "yes or no"),
    ("yes_no", 2, "yes or no"),
    ("country", "XX", "country from the list"),
    ("country", "DEU", "country from the list"),
    ("country", "EU", "country from the list"),
]


@pytest.mark.parametrize(("kind", "raw", "fragment"), INVALID)
def test_invalid_answers_give_a_clear_message(kind, raw, fragment):
    value, error = clean_one(kind, raw)
    assert value is None
    assert fragment in error
    assert error.endswith(".") and error[0].isupper()


@pytest.mark.parametrize(
    ("low", "high", "raw", "message"),
    [
        (1, 500, "0", "Enter a number between 1 and 500."),
        (1, 500, "501", "Enter a number between 1 and 500."),
        (0.5, None, "0.25", "Enter a number of at least 0.5."),
        (None, 10, "11", "Enter a number of at most 10."),
    ],
)
def test_number_bounds_message_names_the_bounds(low, high, raw, message):
    assert clean_one("number", raw, min_value=low, max_value=high) == (None, message)


@pytest.mark.parametrize("raw", ["1", "500", 250.5])
def test_number_bounds_are_inclusive(raw):
    assert clean_one("number", raw, min_value=1, max_value=500)[1] is None


@pytest.mark.parametrize("kind", QUESTION_KINDS)
@pytest.mark.parametrize("raw", [None, "", "   ", [], [""]])
def test_required_questions_need_an_answer(kind, raw):
    clean, errors = clean_answers([question(kind, required=True)], {"q": raw})
    assert clean == {}
    assert errors == {"q": REQUIRED_MESSAGE}


@pytest.mark.parametrize("kind", QUESTION_KINDS)
def test_optional_unanswered_questions_are_left_out(kind):
    assert clean_answers([question(kind)], {}) == ({}, {})
    assert clean_answers([question(kind)], {"q": ""}) == ({}, {})


def test_required_yes_no_accepts_no():
    assert clean_one("yes_no", "no", required=True) == (False, None)


def test_required_number_accepts_zero():
    assert clean_one("number", "0", required=True) == (0, None)


def test_unknown_keys_are_ignored():
    clean, errors = clean_answers([question("short_text")], {"q": "hi", "evil": "x", "csrf": "y"})
    assert clean == {"q": "hi"}
    assert errors == {}


def test_multiple_choice_follows_choice_order_and_drops_duplicates():
    value, error = clean_one("multiple_choice", ["bi", "crm", "bi", " crm", ""])
    assert error is None
    assert value == ["crm", "bi"]


def test_unknown_kind_is_an_error_not_a_crash():
    assert (
        clean_one("colour", "red")[1] == "This question cannot be answered: its kind is not known."
    )


def test_countries_hold_all_249_codes():
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isupper() and code.isalpha() for code in COUNTRIES)
    assert COUNTRIES["DE"] == "Germany"
    assert COUNTRIES["US"] == "United States"
    assert "XK" not in COUNTRIES  # user-assigned, not an official ISO code
    for code in ("AX", "BQ", "CW", "SS", "SX", "TL"):
        assert code in COUNTRIES


# --- show_if -------------------------------------------------------------------------------

CHAIN = [
    Question("has_budget", "Budget?", "yes_no", required=True),
    Question(
        "budget",
        "How much?",
        "number",
        required=True,
        show_if=ShowIf("has_budget", "equals", "yes"),
    ),
    Question(
        "approver",
        "Who signs?",
        "short_text",
        required=True,
        show_if=ShowIf("budget", "greater_than", 10000),
    ),
    Question("notes", "Notes", "long_text"),
]


def keys(questions):
    return [q.key for q in questions]


def test_show_if_chain_all_visible():
    answers = {"has_budget": True, "budget": 50000}
    assert keys(visible_questions(CHAIN, answers)) == ["has_budget", "budget", "approver", "notes"]


def test_hidden_question_hides_its_dependants_even_with_stale_answers():
    answers = {"has_budget": False, "budget": 50000}
    assert keys(visible_questions(CHAIN, answers)) == ["has_budget", "notes"]


def test_hidden_questions_are_dropped_and_not_required():
    raw = {"has_budget": "no", "budget": "50000", "approver": "CFO"}
    clean, errors = clean_answers(CHAIN, raw)
    assert clean == {"has_budget": False}
    assert errors == {}


def test_chain_requires_visible_questions_only():
    clean, errors = clean_answers(CHAIN, {"has_budget": "yes", "budget": "500"})
    assert clean == {"has_budget": True, "budget": 500}
    assert errors == {}
    clean, errors = clean_answers(CHAIN, {"has_budget": "yes", "budget": "50000"})
    assert errors == {"approver": REQUIRED_MESSAGE}


def test_invalid_answer_hides_dependants():
    clean, errors = clean_answers(CHAIN, {"has_budget": "yes", "budget": "lots", "approver": "x"})
    assert clean == {"has_budget": True}
    assert set(errors) == {"budget"}


def test_show_if_only_sees_earlier_questions():
    later = [
        Question("a", "A", "short_text", show_if=ShowIf("b", "equals", "x")),
        Question("b", "B", "short_text"),
    ]
    assert keys(visible_questions(later, {"b": "x"})) == ["b"]
    assert clean_answers(later, {"a": "hello", "b": "x"}) == ({"b": "x"}, {})


def test_show_if_on_multiple_choice_and_is_empty():
    qs = [
        Question("tools", "Tools", "multiple_choice", choices=TOOLS),
        Question("why_none", "Why none?", "short_text", show_if=ShowIf("tools", "is_empty", None)),
        Question("erp_name", "Which ERP?", "short_text", show_if=ShowIf("tools", "equals", "erp")),
    ]
    assert keys(visible_questions(qs, {})) == ["tools", "why_none"]
    assert keys(visible_questions(qs, {"tools": ["crm", "erp"]})) == ["tools", "erp_name"]


# --- score ---------------------------------------------------------------------------------

SCORED = [
    Question("size", "Size", "single_choice", choices=SIZES),
    Question("tools", "Tools", "multiple_choice", choices=TOOLS),
    Question("budget", "Budget?", "yes_no", points_yes=10, points_no=-5),
    Question("name", "Name", "short_text"),
]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, 0),
        ({"size": "large"}, 20),
        ({"tools": ["crm", "bi"]}, 5),
        ({"budget": True}, 10),
        ({"budget": False}, -5),
        ({"size": "mid", "tools": ["crm", "erp", "bi"], "budget": True, "name": "x"}, 22),
        (
            {"size": "nope", "tools": "erp", "budget": "yes"},
            2,
        ),  # uncleaned values count only if exact
    ],
)
def test_score_adds_choice_and_yes_no_points(answers, expected):
    assert score(SCORED, answers) == expected


def test_score_of_cleaned_answers():
    clean, errors = clean_answers(SCORED, {"size": "mid", "tools": ["bi", "bi"], "budget": "no"})
    assert errors == {}
    assert score(SCORED, clean) == 5 + 4 - 5
