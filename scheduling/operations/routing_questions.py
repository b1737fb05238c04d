"""Questions of routing forms on the admin side: checked, audited changes.

The domain's rules for them: keys unique in a form, show-if only on earlier questions, and no
question removed or moved away from what a rule or a show-if reads.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from scheduling import routing as rt
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Question, RoutingForm, User
from scheduling.routing.operators import to_number

from .audit import record
from .hosts import flush_unique
from .problems import refuse_if
from .routing_forms import NUMERIC, VALUELESS, diff_json, neighbour, renumber

KEY_RE = re.compile(r"[a-z0-9_]{1,60}")
SCORE_FIELD = "score"
CHOICE_KINDS = ("single_choice", "multiple_choice")
MIN_CHOICES = 2
MAX_CHOICES = 50
KEY_TAKEN = "Another question of this form already uses this key."


@dataclass(frozen=True)
class QuestionData:
    """A question as the admin form gives it, shape-checked."""

    key: str
    label: str
    kind: str
    required: bool
    help_text: str
    purpose: str
    choices: tuple[rt.Choice, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    points_yes: int = 0
    points_no: int = 0
    show_if: rt.ShowIf | None = None


def _earlier_keys(form: RoutingForm, question: Question | None) -> list[str]:
    keys = []
    for other in form.questions:
        if other is question:
            break
        keys.append(other.key)
    return keys


def _check_show_if(show_if: rt.ShowIf | None, earlier: list[str]) -> tuple[dict | None, list]:
    if show_if is None:
        return None, []
    problems = []
    if show_if.question not in earlier:
        problems.append(
            (
                "show_if_question",
                "Pick an earlier question: a question can only depend on answers given before it.",
            )
        )
    value = show_if.value
    if show_if.operator not in rt.OPERATORS:
        problems.append(("show_if_operator", "Choose a comparison from the list."))
    elif show_if.operator in VALUELESS:
        value = None
    elif value is None or value == "":
        problems.append(("show_if_value", "Enter the answer that shows this question, e.g. yes."))
    elif show_if.operator in NUMERIC and to_number(value) is None:
        problems.append(("show_if_value", "Enter a number to compare with, e.g. 50."))
    stored = {"question": show_if.question, "operator": show_if.operator, "value": value}
    return stored, problems


def _check_choices(choices: tuple[rt.Choice, ...]) -> tuple[list[dict], list]:
    problems = []
    if len(choices) < MIN_CHOICES:
        problems.append(("choices", "Give at least two choices, one per line."))
    elif len(choices) > MAX_CHOICES:
        problems.append(("choices", f"Give at most {MAX_CHOICES} choices."))
    seen: set[str] = set()
    for choice in choices:
        if choice.value in seen:
            problems.append(
                ("choices", f"Each choice needs its own value: {choice.value!r} is used twice.")
            )
            break
        seen.add(choice.value)
    stored = [{"value": c.value, "label": c.label, "points": c.points} for c in choices]
    return stored, problems


def _question_values(form: RoutingForm, data: QuestionData, question: Question | None) -> dict:
    """The column values to store, or Problems naming each field that is wrong."""
    problems: list[tuple[str, str]] = []
    key = data.key.strip()
    if not KEY_RE.fullmatch(key):
        problems.append(
            ("key", "Use 1 to 60 lowercase letters, digits and underscores, e.g. company_size.")
        )
    elif key == SCORE_FIELD:
        problems.append(("key", "The key score is kept for the lead score; choose another one."))
    elif any(other.key == key and other is not question for other in form.questions):
        problems.append(("key", KEY_TAKEN))
    label = data.label.strip()
    if not label:
        problems.append(("label", "Enter the question as visitors will read it."))
    if data.kind not in rt.QUESTION_KINDS:
        problems.append(("kind", "Choose a kind of answer from the list."))
    purpose = data.purpose.strip()
    if not purpose:
        problems.append(
            (
                "purpose",
                "Say why you ask: visitors read it as “Why we ask”, and the privacy "
                "documents list it.",
            )
        )
    choices: list[dict] = []
    if data.kind in CHOICE_KINDS:
        choices, found = _check_choices(data.choices)
        problems.extend(found)
    low = high = None
    if data.kind == "number":
        low, high = data.min_value, data.max_value
        if low is not None and high is not None and low > high:
            problems.append(("max_value", "The maximum must not be below the minimum."))
    yes, no = (data.points_yes, data.points_no) if data.kind == "yes_no" else (0, 0)
    show_if, found = _check_show_if(data.show_if, _earlier_keys(form, question))
    problems.extend(found)
    refuse_if(problems)
    return {
        "key": key,
        "label": label,
        "kind": data.kind,
        "required": data.required,
        "help_text": data.help_text.strip(),
        "purpose": purpose,
        "choices": choices,
        "min_value": low,
        "max_value": high,
        "points_yes": yes,
        "points_no": no,
        "show_if": show_if,
    }


def create_question(form: RoutingForm, data: QuestionData, now: datetime, actor: User) -> Question:
    """Add a question at the end of the form."""
    values = _question_values(form, data, None)
    position = max((other.position for other in form.questions), default=-1) + 1
    question = Question(position=position, **values)
    form.questions.append(question)
    flush_unique(KEY_TAKEN, {"key": KEY_TAKEN})
    record(
        form.organisation_id,
        actor,
        "question.create",
        "question",
        question.id,
        f"Added question {question.key} to routing form {form.name}",
        now,
        {name: [None, value] for name, value in values.items()},
    )
    return question


def _users_of_key(form: RoutingForm, key: str, question: Question) -> tuple[list, list]:
    """Rules whose conditions and questions whose show-if refer to this key."""
    rules = [
        rule
        for rule in form.rules
        if any(cond.get("field") == key for cond in rule.conditions or [])
    ]
    questions = [
        other
        for other in form.questions
        if other is not question and (other.show_if or {}).get("question") == key
    ]
    return rules, questions


def update_question(question: Question, data: QuestionData, now: datetime, actor: User) -> dict:
    """Apply the new values; a new key is carried into the rules and show-ifs that use it."""
    form = question.form
    values = _question_values(form, data, question)
    old_key = question.key
    rules, dependants = _users_of_key(form, old_key, question)
    changes = diff_json(question, values)
    if "key" in changes and (rules or dependants):
        new_key = question.key
        for rule in rules:
            rule.conditions = [
                {**cond, "field": new_key} if cond.get("field") == old_key else cond
                for cond in rule.conditions
            ]
        for other in dependants:
            other.show_if = {**other.show_if, "question": new_key}
        changes["references"] = [
            None,
            [f"rule {rule.name}" for rule in rules] + [f"question {q.key}" for q in dependants],
        ]
    if changes:
        flush_unique(KEY_TAKEN, {"key": KEY_TAKEN})
        record(
            form.organisation_id,
            actor,
            "question.update",
            "question",
            question.id,
            f"Edited question {question.key} of routing form {form.name}",
            now,
            changes,
        )
    return changes


def delete_question(question: Question, now: datetime, actor: User) -> None:
    """Remove a question; refused while a rule or another question's show-if uses it."""
    form = question.form
    rules, dependants = _users_of_key(form, question.key, question)
    if rules:
        raise InvalidRequest(
            f"The rule “{rules[0].name}” uses this question. Change or delete that rule first.",
            {"question": "in use"},
        )
    if dependants:
        raise InvalidRequest(
            f"The question “{dependants[0].label}” is shown depending on this one. "
            "Change its show-if first.",
            {"question": "in use"},
        )
    record(
        form.organisation_id,
        actor,
        "question.delete",
        "question",
        question.id,
        f"Deleted question {question.key} of routing form {form.name}",
        now,
        {"key": [question.key, None], "label": [question.label, None]},
    )
    form.questions.remove(question)
    renumber(form.questions)
    db.session.flush()


def move_question(question: Question, direction: str, now: datetime, actor: User) -> bool:
    """Swap a question with its neighbour; a show-if must stay below the question it reads."""
    form = question.form
    rows = list(form.questions)
    index = rows.index(question)
    other_index = neighbour(rows, index, direction)
    if other_index is None:
        return False
    before = [row.key for row in rows]
    other = rows[other_index]
    upper, lower = (other, question) if direction == "up" else (question, other)
    if (lower.show_if or {}).get("question") == upper.key:
        raise InvalidRequest(
            f"“{lower.label}” is shown depending on “{upper.label}”, so it must stay below it.",
            {"question": "order"},
        )
    rows[index], rows[other_index] = other, question
    renumber(rows)
    db.session.flush()
    record(
        form.organisation_id,
        actor,
        "question.move",
        "question",
        question.id,
        f"Moved question {question.key} {direction} in routing form {form.name}",
        now,
        {"order": [before, [row.key for row in rows]]},
    )
    return True
