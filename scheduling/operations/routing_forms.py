"""Routing forms on the admin side, and what their questions and rules share.

Each change flushes (never commits) and writes one audit entry in the same transaction. The
admin forms check shape; the rules here, in routing_questions and in routing_rules are the
domain's.
"""

from datetime import datetime

from sqlalchemy import select

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import EventType, Organisation, RoutingForm, User
from scheduling.routing.operators import to_number

from .audit import diff, record
from .problems import Problems

VALUELESS = ("is_empty", "is_not_empty")
NUMERIC = ("greater_than", "less_than")


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


# -- rows of a form: questions and rules -------------------------------------------------------


def diff_json(obj, values: dict) -> dict:
    """Like audit.diff, but JSON columns (choices, show-if, conditions) stay data, not text."""
    old = {name: getattr(obj, name) for name in values}
    changes = diff(obj, values)
    for name in changes:
        if isinstance(values[name], list | dict) or isinstance(old[name], list | dict):
            changes[name] = [old[name], values[name]]
    return changes


def neighbour(rows: list, index: int, direction: str) -> int | None:
    """The index an item at `index` swaps with when moved up or down; None at either end."""
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(rows):
        return None
    return other


def renumber(rows: list) -> None:
    """Store the list order as positions, writing only the rows whose position changed."""
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
