"""Rules of routing forms, their fallback, and the targets both route to, on the admin side.

A target (team, host or event type) must belong to the form's organisation.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from scheduling import routing as rt
from scheduling.extensions import db
from scheduling.models import EventType, Host, Pool, RoutingForm, RoutingRule, User
from scheduling.routing.condition_values import normal_value, value_problems

from .audit import diff, record
from .problems import refuse_if
from .routing import questions_of
from .routing_forms import diff_json, neighbour, renumber

MAX_CONDITIONS = 10
DEFAULT_REDIRECT_SECONDS = 5
FALLBACK_KINDS = ("default", *rt.ACTION_KINDS)
TARGET_MODELS = {"team": Pool, "host": Host, "event_type": EventType}
TARGET_MESSAGES = {
    "team": "Choose a team from the list.",
    "host": "Choose a host from the list.",
    "event_type": "Choose an event type from the list.",
}


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
    questions = {question.key: question for question in questions_of(form)}
    rule = rt.Rule(None, name, data.conditions, data.match, action)
    problems.extend(("", problem) for problem in rt.validate_rule(rule, _keys(form)))
    for number, cond in enumerate(data.conditions, start=1):
        problems.extend(("", problem) for problem in value_problems(number, cond, questions))
    problems.extend(_target_problems(form.organisation_id, action))
    if len(name) > 200:
        problems.append(("name", "The name may be at most 200 characters."))
    refuse_if(problems)
    conditions = [
        {"field": c.field, "operator": c.operator, "value": normal_value(c, questions)}
        for c in data.conditions
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
    changes = diff_json(rule, _rule_values(form, data))
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
    renumber(form.rules)
    db.session.flush()


def move_rule(rule: RoutingRule, direction: str, now: datetime, actor: User) -> bool:
    """Swap a rule with its neighbour; False at either end."""
    form = rule.form
    rows = list(form.rules)
    index = rows.index(rule)
    other_index = neighbour(rows, index, direction)
    if other_index is None:
        return False
    before = [row.name for row in rows]
    rows[index], rows[other_index] = rows[other_index], rule
    renumber(rows)
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
        refuse_if(problems)
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
