"""Qualification questions: visibility, cleaning, scoring. Pure: no Flask, no DB, no clock.

Raw answers come from HTML forms (strings, lists) or JSON (str, int, float, bool, list); cleaning
turns them into one type per kind so rules can compare them without guessing.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scheduling.errors import N_, Message

from .countries import COUNTRIES
from .operators import is_empty, matches, to_bool, to_number

QUESTION_KINDS = (
    "short_text",
    "long_text",
    "email",
    "phone",
    "single_choice",
    "multiple_choice",
    "number",
    "yes_no",
    "country",
)
# Answers typed freely: they can reveal special category data (GDPR Art. 9) nobody asked for.
FREE_TEXT_KINDS = ("short_text", "long_text")

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
EMAIL_MAX = 254
PHONE_MAX = 40
PHONE_MIN_DIGITS = 6

REQUIRED_MESSAGE = N_("This question needs an answer.")

# One @, a dot in the domain, no spaces, no characters mail headers choke on.
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\.]+(?:\.[^@\s<>()\[\],;:\"\\.]+)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Choice:
    """One offered answer of a choice question, with the points it adds to the lead score."""

    value: str
    label: str
    points: int = 0


@dataclass(frozen=True)
class ShowIf:
    """Show a question only when an earlier answer matches (same operators as rule conditions)."""

    question: str
    operator: str
    value: object


@dataclass(frozen=True)
class Question:
    """A question asked before the calendar; `purpose` tells the visitor why we ask."""

    key: str
    label: str
    kind: str
    required: bool = False
    help_text: str = ""
    choices: tuple[Choice, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    points_yes: int = 0
    points_no: int = 0
    show_if: ShowIf | None = None
    purpose: str = ""


class _Invalid(ValueError):
    """An answer that cannot be cleaned; the message is shown to the visitor."""


def _is_visible(question: Question, earlier: Mapping[str, object]) -> bool:
    rule = question.show_if
    if rule is None:
        return True
    return matches(earlier.get(rule.question), rule.operator, rule.value)


def visible_questions(
    questions: Sequence[Question], answers: Mapping[str, object]
) -> list[Question]:
    """List the questions to show, in order; show-if only sees answers of earlier visible ones.

    Answers to hidden or later questions are ignored, so a hidden question also hides every
    question that depends on it.
    """
    shown: list[Question] = []
    earlier: dict[str, object] = {}
    for question in questions:
        if _is_visible(question, earlier):
            shown.append(question)
            if question.key in answers:
                earlier[question.key] = answers[question.key]
    return shown


def _single(raw: object) -> object:
    # Forms read with getlist() give one-element lists for ordinary fields.
    if isinstance(raw, list | tuple):
        if len(raw) == 1:
            return raw[0]
        raise _Invalid(N_("Give one answer only."))
    return raw


def _text(raw: object) -> str:
    raw = _single(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) < 10**40:
        return str(raw)
    if not isinstance(raw, str):
        raise _Invalid(N_("This answer must be text."))
    return raw.strip()


def _clean_text(raw: object, limit: int, *, multiline: bool) -> str:
    text = _text(raw)
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\r" in text)):
        raise _Invalid(N_("This answer contains characters that are not allowed."))
    if len(text) > limit:
        raise _Invalid(
            Message(
                N_("This answer is too long: at most %(limit)s characters, please."), limit=limit
            )
        )
    return text


def _clean_email(raw: object) -> str:
    text = _text(raw).lower()
    if len(text) > EMAIL_MAX or not _EMAIL.fullmatch(text):
        raise _Invalid(N_("Enter a valid email address, like name@example.com."))
    return text


def _clean_phone(raw: object) -> str:
    text = _text(raw)
    if len(text) > PHONE_MAX:
        raise _Invalid(
            Message(
                N_("This phone number is too long: at most %(limit)s characters, please."),
                limit=PHONE_MAX,
            )
        )
    if _CONTROL.search(text) or "\n" in text or "\r" in text:
        raise _Invalid(N_("This phone number contains characters that are not allowed."))
    if sum(ch in "0123456789" for ch in text) < PHONE_MIN_DIGITS:
        raise _Invalid(
            Message(N_("Enter a phone number with at least %(n)s digits."), n=PHONE_MIN_DIGITS)
        )
    return text


def _clean_single_choice(question: Question, raw: object) -> str:
    raw = _single(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) < 10**40:
        raw = str(raw)
    if isinstance(raw, str):
        value = raw.strip()
        if any(choice.value == value for choice in question.choices):
            return value
    raise _Invalid(N_("Choose one of the offered answers."))


def _clean_multiple_choice(question: Question, raw: object) -> list[str]:
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    picked: set[str] = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) < 10**40:
            item = str(item)
        if not isinstance(item, str):
            raise _Invalid(N_("Choose from the offered answers."))
        if not item.strip():
            continue
        if not any(choice.value == item.strip() for choice in question.choices):
            raise _Invalid(N_("Choose only from the offered answers."))
        picked.add(item.strip())
    return [choice.value for choice in question.choices if choice.value in picked]


def _format_bound(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _clean_number(question: Question, raw: object) -> int | float:
    raw = _single(raw)
    number = to_number(raw) if isinstance(raw, str | int | float) else None
    if number is None or (isinstance(number, float) and math.isinf(number)):
        raise _Invalid(N_("Enter a number, like 42 or 3.5."))
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    low, high = question.min_value, question.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            message = Message(
                N_("Enter a number between %(low)s and %(high)s."),
                low=_format_bound(low),
                high=_format_bound(high),
            )
        elif low is not None:
            message = Message(N_("Enter a number of at least %(low)s."), low=_format_bound(low))
        else:
            message = Message(N_("Enter a number of at most %(high)s."), high=_format_bound(high))
        raise _Invalid(message)
    return number


def _clean_yes_no(raw: object) -> bool:
    answer = to_bool(_single(raw))
    if answer is None:
        raise _Invalid(N_("Answer yes or no."))
    return answer


def _clean_country(raw: object) -> str:
    code = _text(raw).upper()
    if code not in COUNTRIES:
        raise _Invalid(N_("Choose a country from the list."))
    return code


def _clean(question: Question, raw: object) -> object:
    kind = question.kind
    if kind == "short_text":
        return _clean_text(raw, SHORT_TEXT_MAX, multiline=False)
    if kind == "long_text":
        return _clean_text(raw, LONG_TEXT_MAX, multiline=True)
    if kind == "email":
        return _clean_email(raw)
    if kind == "phone":
        return _clean_phone(raw)
    if kind == "single_choice":
        return _clean_single_choice(question, raw)
    if kind == "multiple_choice":
        return _clean_multiple_choice(question, raw)
    if kind == "number":
        return _clean_number(question, raw)
    if kind == "yes_no":
        return _clean_yes_no(raw)
    if kind == "country":
        return _clean_country(raw)
    raise _Invalid(N_("This question cannot be answered: its kind is not known."))


def _unanswered(raw: object) -> bool:
    if isinstance(raw, list | tuple):
        return all(is_empty(item) for item in raw)
    return is_empty(raw)


def clean_answers(
    questions: Sequence[Question], raw: Mapping[str, object | list[str]]
) -> tuple[dict[str, object], dict[str, str]]:
    """Clean raw answers into typed ones and collect a message per invalid field.

    Only visible questions count: a hidden one is dropped even if sent and is never required,
    and visibility is judged on the cleaned answers of earlier questions. Unknown keys are
    ignored; unanswered optional questions are left out of the result.
    """
    clean: dict[str, object] = {}
    errors: dict[str, str] = {}
    for question in questions:
        if not _is_visible(question, clean):
            continue
        value = raw.get(question.key)
        if _unanswered(value):
            if question.required:
                errors[question.key] = REQUIRED_MESSAGE
            continue
        try:
            answer = _clean(question, value)
        except _Invalid as problem:
            errors[question.key] = problem.args[0]  # a Message keeps its msgid for the page
            continue
        if question.kind == "multiple_choice" and not answer:
            if question.required:
                errors[question.key] = REQUIRED_MESSAGE
            continue
        clean[question.key] = answer
    return clean, errors


def score(questions: Sequence[Question], answers: Mapping[str, object]) -> int:
    """Add up the lead score: points of chosen choices and of yes/no answers."""
    total = 0
    for question in questions:
        answer = answers.get(question.key)
        if answer is None:
            continue
        if question.kind == "yes_no":
            if answer is True:
                total += question.points_yes
            elif answer is False:
                total += question.points_no
        elif question.kind in ("single_choice", "multiple_choice"):
            picked = answer if isinstance(answer, list | tuple) else [answer]
            chosen = {item for item in picked if isinstance(item, str)}
            total += sum(c.points for c in question.choices if c.value in chosen)
    return total
