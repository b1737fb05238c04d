"""Routing forms, questions, rules, teams and leads on the admin side: checked, audited changes.

Each change flushes (never commits) and writes one audit entry in the same transaction. The
admin forms check shape; the rules here are the domain's (keys unique in a form, show-if only on
earlier questions, targets of the same organisation, members not twice ...).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from scheduling import routing as rt
from scheduling.availability.timezones import is_valid_zone
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import (
    Assignment,
    Booking,
    CreditAdjustment,
    EventType,
    Host,
    Lead,
    Organisation,
    Pool,
    PoolMember,
    Question,
    RoutingForm,
    RoutingRule,
    User,
)
from scheduling.routing.operators import to_number

from .audit import diff, record
from .hosts import flush_unique
from .routing import member_stats

KEY_RE = re.compile(r"[a-z0-9_]{1,60}")
SCORE_FIELD = "score"
CHOICE_KINDS = ("single_choice", "multiple_choice")
VALUELESS = ("is_empty", "is_not_empty")
NUMERIC = ("greater_than", "less_than")
MAX_CONDITIONS = 10
MIN_CHOICES = 2
MAX_CHOICES = 50
KEY_TAKEN = "Another question of this form already uses this key."
DEFAULT_REDIRECT_SECONDS = 5
FALLBACK_KINDS = ("default", *rt.ACTION_KINDS)
TARGET_MODELS = {"team": Pool, "host": Host, "event_type": EventType}
TARGET_MESSAGES = {
    "team": "Choose a team from the list.",
    "host": "Choose a host from the list.",
    "event_type": "Choose an event type from the list.",
}
MEMBER_LIMITS = {"weight": (0, 100), "priority": (-100, 100)}
ADJUST_LIMIT = 10
LEAD_STATUSES = ("qualified", "booked", "disqualified")
# A qualified lead with no booking this long after answering left at the calendar.
ABANDONED_AFTER = timedelta(minutes=30)


class Problems(InvalidRequest):
    """Several things wrong at once, each with the form field it belongs to ("" for none)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(
            " ".join(message for _, message in problems),
            {name: message for name, message in problems if name},
        )
        self.problems = list(problems)


def _refuse_if(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise Problems(problems)


def parse_value(operator: str, text: str) -> object:
    """The stored comparison value for text typed in a condition or show-if.

    Numbers for greater/less than (text kept when it is no number, so the check can say so),
    a list for one_of (comma-separated), nothing for the empty tests, else the trimmed text.
    """
    text = (text or "").strip()
    if operator in VALUELESS:
        return None
    if operator in NUMERIC:
        number = to_number(text)
        return text if number is None else number
    if operator == "one_of":
        items = [item.strip() for item in text.split(",") if item.strip()]
        return items or ""
    return text


def value_text(value: object) -> str:
    """The stored comparison value as people type it (the inverse of parse_value)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Problems([("name", f"Name the {what}.")])
    if len(name) > 200:
        raise Problems([("name", "The name may be at most 200 characters.")])
    return name


# -- routing forms -----------------------------------------------------------------------------


def event_types_using_form(form: RoutingForm) -> list[EventType]:
    return list(
        db.session.scalars(
            select(EventType)
            .where(EventType.routing_form_id == form.id)
            .order_by(EventType.title, EventType.id)
        )
    )


def create_routing_form(
    organisation: Organisation, name: str, now: datetime, actor: User
) -> RoutingForm:
    """A new, empty form; with no rules every lead gets the fallback (the event type's hosts)."""
    name = _clean_name(name, "form")
    form = RoutingForm(
        organisation=organisation, name=name, fallback_kind="default", created_at=now
    )
    db.session.add(form)
    db.session.flush()
    record(
        organisation.id,
        actor,
        "routing_form.create",
        "routing_form",
        form.id,
        f"Created routing form {name}",
        now,
        {"name": [None, name]},
    )
    return form


def rename_routing_form(form: RoutingForm, name: str, now: datetime, actor: User) -> dict:
    changes = diff(form, {"name": _clean_name(name, "form")})
    if changes:
        db.session.flush()
        record(
            form.organisation_id,
            actor,
            "routing_form.update",
            "routing_form",
            form.id,
            f"Renamed routing form to {form.name}",
            now,
            changes,
        )
    return changes


def delete_routing_form(form: RoutingForm, now: datetime, actor: User) -> None:
    """Delete a form with its questions and rules; refused while an event type asks it."""
    users = event_types_using_form(form)
    if users:
        titles = ", ".join(event_type.title for event_type in users)
        raise InvalidRequest(
            f"This form is still asked by: {titles}. Choose another form (or none) for "
            "those event types first.",
            {"form": "in use"},
        )
    record(
        form.organisation_id,
        actor,
        "routing_form.delete",
        "routing_form",
        form.id,
        f"Deleted routing form {form.name}",
        now,
        {
            "name": [form.name, None],
            "questions": [[q.key for q in form.questions], None],
            "rules": [[r.name for r in form.rules], None],
        },
    )
    db.session.delete(form)
    db.session.flush()


# -- questions ---------------------------------------------------------------------------------


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
    _refuse_if(problems)
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


def _diff(obj, values: dict) -> dict:
    """Like audit.diff, but JSON columns (choices, show-if, conditions) stay data, not text."""
    old = {name: getattr(obj, name) for name in values}
    changes = diff(obj, values)
    for name in changes:
        if isinstance(values[name], list | dict) or isinstance(old[name], list | dict):
            changes[name] = [old[name], values[name]]
    return changes


def _neighbour(rows: list, index: int, direction: str) -> int | None:
    """The index an item at `index` swaps with when moved up or down; None at either end."""
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(rows):
        return None
    return other


def _renumber(rows: list) -> None:
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position


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
    changes = _diff(question, values)
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
    _renumber(form.questions)
    db.session.flush()


def move_question(question: Question, direction: str, now: datetime, actor: User) -> bool:
    """Swap a question with its neighbour; a show-if must stay below the question it reads."""
    form = question.form
    rows = list(form.questions)
    index = rows.index(question)
    other_index = _neighbour(rows, index, direction)
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
    _renumber(rows)
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


# -- rules and the fallback --------------------------------------------------------------------


@dataclass(frozen=True)
class RuleData:
    """A rule as the admin form gives it; blank condition rows already dropped."""

    name: str
    match: str
    conditions: tuple[rt.Condition, ...]
    action: rt.Action


def normal_action(action: rt.Action) -> rt.Action:
    """Keep only what the action kind uses: a target, or a message and redirect."""
    if action.kind == "disqualify":
        return rt.Action(
            kind="disqualify",
            target_id=None,
            message=action.message.strip(),
            redirect_url=action.redirect_url.strip(),
            redirect_seconds=action.redirect_seconds,
        )
    target = action.target_id if action.kind in TARGET_MODELS else None
    return rt.Action(kind=action.kind, target_id=target, redirect_seconds=DEFAULT_REDIRECT_SECONDS)


def _target_problems(organisation_id: int, action: rt.Action) -> list[tuple[str, str]]:
    model = TARGET_MODELS.get(action.kind)
    if model is None or action.target_id is None:
        return []
    row = db.session.get(model, action.target_id)
    if row is None or row.organisation_id != organisation_id:
        return [("target", TARGET_MESSAGES[action.kind])]
    return []


def _action_values(action: rt.Action) -> dict:
    return {
        "action_kind": action.kind,
        "target_id": action.target_id,
        "message": action.message,
        "redirect_url": action.redirect_url,
        "redirect_seconds": action.redirect_seconds,
    }


def _rule_values(form: RoutingForm, data: RuleData) -> dict:
    action = normal_action(data.action)
    name = data.name.strip()
    problems: list[tuple[str, str]] = []
    if len(data.conditions) > MAX_CONDITIONS:
        problems.append(("conditions", f"A rule can have at most {MAX_CONDITIONS} conditions."))
    rule = rt.Rule(None, name, data.conditions, data.match, action)
    problems.extend(("", problem) for problem in rt.validate_rule(rule, _keys(form)))
    problems.extend(_target_problems(form.organisation_id, action))
    if len(name) > 200:
        problems.append(("name", "The name may be at most 200 characters."))
    _refuse_if(problems)
    conditions = [
        {"field": c.field, "operator": c.operator, "value": c.value} for c in data.conditions
    ]
    return {"name": name, "match": data.match, "conditions": conditions, **_action_values(action)}


def _keys(form: RoutingForm) -> list[str]:
    return [question.key for question in form.questions]


def create_rule(form: RoutingForm, data: RuleData, now: datetime, actor: User) -> RoutingRule:
    """Add an active rule at the end (rules run top to bottom; the first match decides)."""
    values = _rule_values(form, data)
    position = max((other.position for other in form.rules), default=-1) + 1
    rule = RoutingRule(position=position, active=True, **values)
    form.rules.append(rule)
    db.session.flush()
    record(
        form.organisation_id,
        actor,
        "routing_rule.create",
        "routing_rule",
        rule.id,
        f"Added rule {rule.name} to routing form {form.name}",
        now,
        {name: [None, value] for name, value in values.items()},
    )
    return rule


def update_rule(rule: RoutingRule, data: RuleData, now: datetime, actor: User) -> dict:
    form = rule.form
    changes = _diff(rule, _rule_values(form, data))
    if changes:
        db.session.flush()
        record(
            form.organisation_id,
            actor,
            "routing_rule.update",
            "routing_rule",
            rule.id,
            f"Edited rule {rule.name} of routing form {form.name}",
            now,
            changes,
        )
    return changes


def delete_rule(rule: RoutingRule, now: datetime, actor: User) -> None:
    form = rule.form
    record(
        form.organisation_id,
        actor,
        "routing_rule.delete",
        "routing_rule",
        rule.id,
        f"Deleted rule {rule.name} of routing form {form.name}",
        now,
        {"name": [rule.name, None]},
    )
    form.rules.remove(rule)
    _renumber(form.rules)
    db.session.flush()


def move_rule(rule: RoutingRule, direction: str, now: datetime, actor: User) -> bool:
    """Swap a rule with its neighbour; False at either end."""
    form = rule.form
    rows = list(form.rules)
    index = rows.index(rule)
    other_index = _neighbour(rows, index, direction)
    if other_index is None:
        return False
    before = [row.name for row in rows]
    rows[index], rows[other_index] = rows[other_index], rule
    _renumber(rows)
    db.session.flush()
    record(
        form.organisation_id,
        actor,
        "routing_rule.move",
        "routing_rule",
        rule.id,
        f"Moved rule {rule.name} {direction} in routing form {form.name}",
        now,
        {"order": [before, [row.name for row in rows]]},
    )
    return True


def set_rule_active(rule: RoutingRule, active: bool, now: datetime, actor: User) -> bool:
    """Switch a rule on or off (off rules are skipped); False when it already was so."""
    changes = diff(rule, {"active": active})
    if not changes:
        return False
    db.session.flush()
    verb = "activate" if active else "deactivate"
    record(
        rule.form.organisation_id,
        actor,
        f"routing_rule.{verb}",
        "routing_rule",
        rule.id,
        f"{'Activated' if active else 'Deactivated'} rule {rule.name}",
        now,
        changes,
    )
    return True


def update_fallback(form: RoutingForm, action: rt.Action, now: datetime, actor: User) -> dict:
    """Set what happens when no rule matches; "default" books the event type's hosts or team."""
    if action.kind == "default":
        action = rt.Action(kind="default", redirect_seconds=DEFAULT_REDIRECT_SECONDS)
    else:
        action = normal_action(action)
        problems = [("", problem) for problem in rt.validate_action(action)]
        problems.extend(_target_problems(form.organisation_id, action))
        _refuse_if(problems)
    values = {
        "fallback_kind": action.kind,
        "fallback_target_id": action.target_id,
        "fallback_message": action.message,
        "fallback_redirect_url": action.redirect_url,
        "fallback_redirect_seconds": action.redirect_seconds,
    }
    changes = diff(form, values)
    if changes:
        db.session.flush()
        record(
            form.organisation_id,
            actor,
            "routing_form.fallback",
            "routing_form",
            form.id,
            f"Changed what happens when no rule matches in routing form {form.name}",
            now,
            changes,
        )
    return changes


@dataclass(frozen=True)
class Targets:
    """Names of the organisation's teams, hosts and event types, to show actions in words."""

    team: dict[int, str]
    host: dict[int, str]
    event_type: dict[int, str]


def targets_of(organisation_id: int) -> Targets:
    def names(model, column) -> dict[int, str]:
        return dict(
            db.session.execute(
                select(model.id, column).where(model.organisation_id == organisation_id)
            ).all()
        )

    return Targets(
        team=names(Pool, Pool.name),
        host=names(Host, Host.name),
        event_type=names(EventType, EventType.title),
    )


# -- teams -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolData:
    name: str
    period: str
    tz: str
    credit_no_shows: bool
    equal_distribution_gap: int | None


def _pool_values(data: PoolData) -> dict:
    problems: list[tuple[str, str]] = []
    name = data.name.strip()
    if not name:
        problems.append(("name", "Name the team, e.g. Closers DACH."))
    elif len(name) > 200:
        problems.append(("name", "The name may be at most 200 characters."))
    if data.period not in rt.PERIODS:
        problems.append(("period", "Choose a day, a week or a month."))
    if not is_valid_zone(data.tz):
        problems.append(("tz", "Pick a time zone from the list."))
    gap = data.equal_distribution_gap
    if gap is not None and gap < 0:
        problems.append(("equal_distribution_gap", "Leave empty for off, or enter 0 or more."))
    _refuse_if(problems)
    return {
        "name": name,
        "period": data.period,
        "tz": data.tz,
        "credit_no_shows": data.credit_no_shows,
        "equal_distribution_gap": gap,
    }


def create_pool(organisation: Organisation, data: PoolData, now: datetime, actor: User) -> Pool:
    values = _pool_values(data)
    pool = Pool(organisation=organisation, created_at=now, **values)
    db.session.add(pool)
    db.session.flush()
    record(
        organisation.id,
        actor,
        "pool.create",
        "pool",
        pool.id,
        f"Created team {pool.name}",
        now,
        {name: [None, value] for name, value in values.items()},
    )
    return pool


def update_pool(pool: Pool, data: PoolData, now: datetime, actor: User) -> dict:
    changes = diff(pool, _pool_values(data))
    if changes:
        db.session.flush()
        record(
            pool.organisation_id,
            actor,
            "pool.update",
            "pool",
            pool.id,
            f"Edited team {pool.name}",
            now,
            changes,
        )
    return changes


def pool_users(pool: Pool) -> list[str]:
    """What routes calls to this team: event types, rules and form fallbacks, in words."""
    titles = db.session.scalars(
        select(EventType.title).where(EventType.pool_id == pool.id).order_by(EventType.title)
    )
    users = [f"event type “{title}”" for title in titles]
    forms = db.session.scalars(
        select(RoutingForm)
        .where(RoutingForm.organisation_id == pool.organisation_id)
        .options(selectinload(RoutingForm.rules))
    )
    for form in forms:
        if form.fallback_kind == "team" and form.fallback_target_id == pool.id:
            users.append(f"the fallback of form “{form.name}”")
        users.extend(
            f"rule “{rule.name}” of form “{form.name}”"
            for rule in form.rules
            if rule.action_kind == "team" and rule.target_id == pool.id
        )
    return users


def delete_pool(pool: Pool, now: datetime, actor: User) -> None:
    """Delete a team nobody routes to any more (its assignments keep their history)."""
    users = pool_users(pool)
    if users:
        raise InvalidRequest(
            f"Calls are still routed to this team by {', '.join(users)}. Change those first.",
            {"pool": "in use"},
        )
    record(
        pool.organisation_id,
        actor,
        "pool.delete",
        "pool",
        pool.id,
        f"Deleted team {pool.name}",
        now,
        {"name": [pool.name, None], "members": [[m.host.name for m in pool.members], None]},
    )
    db.session.delete(pool)
    db.session.flush()


@dataclass(frozen=True)
class MemberData:
    weight: int
    priority: int
    daily_cap: int | None
    weekly_cap: int | None
    active: bool


def _member_values(data: MemberData) -> dict:
    problems = []
    low, high = MEMBER_LIMITS["weight"]
    if not low <= data.weight <= high:
        problems.append(("weight", "Enter a weight from 0 to 100 (0 takes no calls)."))
    low, high = MEMBER_LIMITS["priority"]
    if not low <= data.priority <= high:
        problems.append(("priority", "Enter a priority from -100 to 100."))
    for name in ("daily_cap", "weekly_cap"):
        cap = getattr(data, name)
        if cap is not None and cap < 1:
            problems.append((name, "Leave the cap empty for no cap, or enter 1 or more."))
    _refuse_if(problems)
    return {
        "weight": data.weight,
        "priority": data.priority,
        "daily_cap": data.daily_cap,
        "weekly_cap": data.weekly_cap,
        "active": data.active,
    }


def add_member(
    pool: Pool, host_id: int | None, data: MemberData, now: datetime, actor: User
) -> PoolMember:
    """Put a host of the organisation in the team; they start level (see round_robin)."""
    host = db.session.get(Host, host_id) if host_id is not None else None
    if host is None or host.organisation_id != pool.organisation_id:
        raise Problems([("host", "Choose a host of your organisation from the list.")])
    if any(member.host_id == host.id for member in pool.members):
        raise Problems([("host", f"{host.name} is already in this team.")])
    values = _member_values(data)
    member = PoolMember(host=host, joined_at=now, **values)
    pool.members.append(member)
    flush_unique(f"{host.name} is already in this team.", {"host": "taken"})
    record(
        pool.organisation_id,
        actor,
        "pool_member.add",
        "pool",
        pool.id,
        f"Added {host.name} to team {pool.name}",
        now,
        {"host": [None, f"{host.name} (#{host.id})"], **{k: [None, v] for k, v in values.items()}},
    )
    return member


def update_member(member: PoolMember, data: MemberData, now: datetime, actor: User) -> dict:
    changes = diff(member, _member_values(data))
    if changes:
        db.session.flush()
        record(
            member.pool.organisation_id,
            actor,
            "pool_member.update",
            "pool",
            member.pool_id,
            f"Changed {member.host.name}'s settings in team {member.pool.name}",
            now,
            changes,
        )
    return changes


def remove_member(member: PoolMember, now: datetime, actor: User) -> None:
    pool = member.pool
    record(
        pool.organisation_id,
        actor,
        "pool_member.remove",
        "pool",
        pool.id,
        f"Removed {member.host.name} from team {pool.name}",
        now,
        {"host": [f"{member.host.name} (#{member.host_id})", None]},
    )
    pool.members.remove(member)
    db.session.flush()


def adjust_credit(
    pool: Pool, host_id: int | None, amount: int, reason: str, now: datetime, actor: User
) -> CreditAdjustment:
    """Credit (+) or debit (-) a member's count for this period, with the reason why."""
    problems = []
    member = next((m for m in pool.members if m.host_id == host_id), None)
    if member is None:
        problems.append(("member", "Choose a member of this team."))
    if not -ADJUST_LIMIT <= amount <= ADJUST_LIMIT or amount == 0:
        problems.append(("amount", "Enter a whole number from -10 to 10, not 0."))
    reason = (reason or "").strip()
    if not reason:
        problems.append(("reason", "Say why, e.g. took over a call for a colleague."))
    elif len(reason) > 300:
        problems.append(("reason", "The reason may be at most 300 characters."))
    _refuse_if(problems)
    row = CreditAdjustment(
        pool_id=pool.id,
        host_id=member.host_id,
        amount=amount,
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    record(
        pool.organisation_id,
        actor,
        "pool.adjust",
        "pool",
        pool.id,
        f"Adjusted {member.host.name}'s count in team {pool.name} by {amount:+d}: {reason}",
        now,
        {"host": [None, member.host.name], "amount": [None, amount], "reason": [None, reason]},
    )
    return row


@dataclass(frozen=True)
class Standing:
    """One member's place in the current period (None figures for inactive members)."""

    member: PoolMember
    stats: rt.MemberStats | None

    @property
    def deficit(self) -> float | None:
        return None if self.stats is None else self.stats.expected - self.stats.assigned


def pool_standing(pool: Pool, now: datetime) -> tuple[datetime, datetime, list[Standing]]:
    """The period containing `now` and each member's assigned, expected and deficit in it."""
    start, end = rt.period_bounds(pool.period, now, pool.tz)
    active = [member for member in pool.members if member.active]
    stats = member_stats(pool, active, now)
    rows = [Standing(member, stats.get(member.host_id)) for member in pool.members]
    return start, end, rows


def recent_assignments(pool: Pool, limit: int = 20) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.pool_id == pool.id)
            .options(selectinload(Assignment.booking).selectinload(Booking.host))
            .order_by(Assignment.created_at.desc(), Assignment.id.desc())
            .limit(limit)
        )
    )


def recent_adjustments(pool: Pool, limit: int = 20) -> list[CreditAdjustment]:
    return list(
        db.session.scalars(
            select(CreditAdjustment)
            .where(CreditAdjustment.pool_id == pool.id)
            .options(selectinload(CreditAdjustment.host), selectinload(CreditAdjustment.created_by))
            .order_by(CreditAdjustment.created_at.desc(), CreditAdjustment.id.desc())
            .limit(limit)
        )
    )


# -- leads (read only) -------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFilter:
    """What the lead list shows. `booked_by_host_id` set: only leads booked with that host."""

    organisation_id: int
    booked_by_host_id: int | None = None
    rep_view: bool = False
    status: str | None = None
    event_type_id: int | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    search: str = ""


def _lead_query(spec: LeadFilter) -> Select:
    query = select(Lead).where(Lead.organisation_id == spec.organisation_id)
    if spec.rep_view:
        # A rep sees a lead only through its booking with them; other leads have no host yet.
        query = query.join(Booking, Booking.id == Lead.booking_id).where(
            Booking.host_id == spec.booked_by_host_id
        )
    if spec.status is not None:
        query = query.where(Lead.status == spec.status)
    if spec.event_type_id is not None:
        query = query.where(Lead.event_type_id == spec.event_type_id)
    if spec.created_from is not None:
        query = query.where(Lead.created_at >= spec.created_from)
    if spec.created_before is not None:
        query = query.where(Lead.created_at < spec.created_before)
    if spec.search:
        term = spec.search.lower()
        query = query.where(
            func.lower(Lead.name).contains(term, autoescape=True)
            | func.lower(Lead.email).contains(term, autoescape=True)
        )
    return query


def count_leads(spec: LeadFilter) -> int:
    return db.session.scalar(select(func.count()).select_from(_lead_query(spec).subquery()))


def _ordered_leads(spec: LeadFilter) -> Select:
    return (
        _lead_query(spec)
        .options(
            selectinload(Lead.event_type),
            selectinload(Lead.booking),
            selectinload(Lead.routing_form),
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )


def list_leads(spec: LeadFilter, page: int, per_page: int) -> list[Lead]:
    query = _ordered_leads(spec).limit(per_page).offset((page - 1) * per_page)
    return list(db.session.scalars(query))


def iter_leads(spec: LeadFilter, batch: int = 200) -> Iterator[Lead]:
    """Every matching lead, newest first, loaded in batches (for the export)."""
    page = 1
    while True:
        rows = list_leads(spec, page, batch)
        yield from rows
        if len(rows) < batch:
            return
        page += 1


def answer_keys(spec: LeadFilter) -> list[str]:
    """Every answer key of the matching leads, in the order they first appear (oldest first)."""
    keys: dict[str, None] = {}
    query = _lead_query(spec).order_by(Lead.created_at, Lead.id).with_only_columns(Lead.answers)
    for answers in db.session.scalars(query.execution_options(yield_per=500)):
        for key in answers or {}:
            keys.setdefault(str(key), None)
    return list(keys)


def lead_state(lead: Lead, now: datetime) -> str:
    """The status people read: "abandoned" for a qualified lead left at the calendar."""
    left = lead.status == "qualified" and lead.booking_id is None
    if left and lead.created_at <= now - ABANDONED_AFTER:
        return "abandoned"
    return lead.status
