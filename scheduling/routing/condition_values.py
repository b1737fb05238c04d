"""Whether a condition's value fits its question. Pure: no Flask, no DB, no clock.

A rule compares an answer with a value; a value the answer can never take (a choice's label
instead of its value, a renamed choice, "lots" for a number, "Germany" for a country code)
makes the rule silently never match. These checks name such values, for the rule editor when
saving and for the routing pages and dashboard when a question changed under a stored rule.
Messages are marked N_ and carry their values (Message), so pages show them translated.
"""

from collections.abc import Mapping

from scheduling.errors import N_, Message

from .countries import COUNTRIES
from .operators import OPERATORS, to_bool, to_number
from .questions import Question
from .rules import SCORE_FIELD, Condition

CHOICE_KINDS = ("single_choice", "multiple_choice")
# Comparisons whose value must be an answer the question can give.
_ANSWER_OPERATORS = ("equals", "not_equals", "one_of", "contains")
_ORDER_OPERATORS = ("greater_than", "less_than")
MAX_LISTED_CHOICES = 20


def _items(value: object) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _choice_list(question: Question) -> str:
    shown = [
        c.value if c.label == c.value else f"{c.value} ({c.label})"
        for c in question.choices[:MAX_LISTED_CHOICES]
    ]
    if len(question.choices) > MAX_LISTED_CHOICES:
        shown.append("...")
    return ", ".join(shown)


def _choice_value(question: Question, item: object) -> str | None:
    """The stored choice value an item names (case and spaces aside), else None."""
    if not isinstance(item, str):
        return None
    wanted = item.strip().casefold()
    for choice in question.choices:
        if choice.value.strip().casefold() == wanted:
            return choice.value
    return None


def _label_of(question: Question, item: object) -> str | None:
    """The choice value whose label the item is (people type what visitors see)."""
    if not isinstance(item, str):
        return None
    wanted = item.strip().casefold()
    for choice in question.choices:
        if choice.label.strip().casefold() == wanted:
            return choice.value
    return None


def _choice_problems(number: int, question: Question, value: object) -> list[Message]:
    problems: list[Message] = []
    if not question.choices:
        return [
            Message(
                N_("Condition %(n)s: %(key)s has no choices yet, so no answer can match."),
                n=number,
                key=question.key,
            )
        ]
    for item in _items(value):
        if _choice_value(question, item) is not None:
            continue
        meant = _label_of(question, item)
        if meant is not None:
            problems.append(
                Message(
                    N_(
                        "Condition %(n)s: “%(item)s” is the label visitors see; the rule needs "
                        "the choice's value “%(value)s”. Valid choices of %(key)s: %(choices)s."
                    ),
                    n=number,
                    item=str(item),
                    value=meant,
                    key=question.key,
                    choices=_choice_list(question),
                )
            )
        else:
            problems.append(
                Message(
                    N_(
                        "Condition %(n)s: “%(item)s” is not a choice of %(key)s. "
                        "Valid choices: %(choices)s."
                    ),
                    n=number,
                    item=str(item),
                    key=question.key,
                    choices=_choice_list(question),
                )
            )
    return problems


def _number_problems(number: int, what: str, value: object) -> list[Message]:
    return [
        Message(
            N_(
                "Condition %(n)s: %(what)s is a number, so compare it with a number, "
                "not “%(item)s”."
            ),
            n=number,
            what=what,
            item=str(item),
        )
        for item in _items(value)
        if to_number(item) is None
    ]


def _country_problems(number: int, question: Question, value: object) -> list[Message]:
    return [
        Message(
            N_(
                "Condition %(n)s: “%(item)s” is not a country code. %(key)s stores two-letter "
                "ISO codes, e.g. DE for Germany or FR for France."
            ),
            n=number,
            item=str(item),
            key=question.key,
        )
        for item in _items(value)
        if not isinstance(item, str) or item.strip().upper() not in COUNTRIES
    ]


def _yes_no_problems(number: int, question: Question, value: object) -> list[Message]:
    return [
        Message(
            N_("Condition %(n)s: %(key)s is answered yes or no, so compare it with yes or no."),
            n=number,
            key=question.key,
        )
        for item in _items(value)
        if to_bool(item) is None
    ]


def value_problems(
    number: int, cond: Condition, questions: Mapping[str, Question]
) -> list[Message]:
    """Say why condition `number`'s value can never be what its question answers; [] if fine.

    Unknown fields, unknown operators and missing values are validate_rule's to report.
    """
    if cond.operator not in OPERATORS or cond.value is None or cond.value == "":
        return []
    if cond.field == SCORE_FIELD:
        if cond.operator in _ANSWER_OPERATORS and cond.operator != "contains":
            return _number_problems(number, "the lead score", cond.value)
        return []
    question = questions.get(cond.field)
    if question is None:
        return []
    if question.kind in CHOICE_KINDS and cond.operator in _ANSWER_OPERATORS:
        return _choice_problems(number, question, cond.value)
    if question.kind == "number" and (
        cond.operator in _ORDER_OPERATORS or cond.operator in ("equals", "not_equals", "one_of")
    ):
        return _number_problems(number, question.key, cond.value)
    if question.kind == "country" and cond.operator in ("equals", "not_equals", "one_of"):
        return _country_problems(number, question, cond.value)
    if question.kind == "yes_no" and cond.operator in ("equals", "not_equals", "one_of"):
        return _yes_no_problems(number, question, cond.value)
    return []


def normal_value(cond: Condition, questions: Mapping[str, Question]) -> object:
    """The value as stored: choice values spelled as the question spells them, codes uppercase."""
    question = questions.get(cond.field)
    if question is None or cond.value is None:
        return cond.value

    def one(item: object) -> object:
        if question.kind in CHOICE_KINDS and cond.operator in _ANSWER_OPERATORS:
            return _choice_value(question, item) or item
        if question.kind == "country" and isinstance(item, str):
            return item.strip().upper()
        return item

    if isinstance(cond.value, list | tuple):
        return [one(item) for item in cond.value]
    return one(cond.value)


def stale_conditions(
    conditions: list[Condition], questions: Mapping[str, Question]
) -> list[Message]:
    """Problems of stored conditions: a question gone, or a value it can no longer answer."""
    problems: list[Message] = []
    for number, cond in enumerate(conditions, start=1):
        if cond.field != SCORE_FIELD and cond.field not in questions:
            problems.append(
                Message(
                    N_("Condition %(n)s: the question %(key)s no longer exists."),
                    n=number,
                    key=cond.field,
                )
            )
            continue
        problems.extend(value_problems(number, cond, questions))
    return problems
