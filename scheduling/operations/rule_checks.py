"""Stored routing rules whose values no longer fit their questions (a choice renamed or removed).

Such a rule never matches and says nothing; the routing pages and the admin dashboard list them
with a link to fix them (the pure checks are in routing/condition_values.py).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduling import routing as rt
from scheduling.errors import Message
from scheduling.extensions import db
from scheduling.models import RoutingForm, RoutingRule
from scheduling.routing.condition_values import stale_conditions

from .routing import questions_of


@dataclass(frozen=True)
class StaleRule:
    """A rule that cannot match as written, and why (one message per bad condition value)."""

    form: RoutingForm
    rule: RoutingRule
    problems: list[Message]


def questions_by_key(form: RoutingForm) -> dict[str, rt.Question]:
    return {question.key: question for question in questions_of(form)}


def stored_conditions(rule: RoutingRule) -> list[rt.Condition]:
    return [
        rt.Condition(c.get("field", ""), c.get("operator", ""), c.get("value"))
        for c in rule.conditions or []
    ]


def stale_rules_of_form(form: RoutingForm) -> dict[int, list[Message]]:
    """{rule id: problems} for the form's rules that need fixing."""
    questions = questions_by_key(form)
    result = {}
    for rule in form.rules:
        problems = stale_conditions(stored_conditions(rule), questions)
        if problems:
            result[rule.id] = problems
    return result


def stale_rules(organisation_id: int) -> list[StaleRule]:
    """Every rule of the organisation that needs fixing, form by form, in rule order."""
    forms = db.session.scalars(
        select(RoutingForm)
        .where(RoutingForm.organisation_id == organisation_id)
        .options(selectinload(RoutingForm.questions), selectinload(RoutingForm.rules))
        .order_by(RoutingForm.name, RoutingForm.id)
    )
    result = []
    for form in forms:
        stale = stale_rules_of_form(form)
        result.extend(
            StaleRule(form, rule, stale[rule.id]) for rule in form.rules if rule.id in stale
        )
    return result
