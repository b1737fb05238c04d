"""The audit trail: one entry per change, in the same transaction as the change."""

from datetime import datetime

from scheduling.extensions import db
from scheduling.models import AuditEntry, User


def record(
    organisation_id: int,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str,
    now: datetime,
    changes: dict | None = None,
) -> AuditEntry:
    """Add an audit entry; `changes` maps field names to [old, new] (JSON-safe values)."""
    entry = AuditEntry(
        organisation_id=organisation_id,
        actor=actor,
        actor_label=f"{actor.name} <{actor.email}>" if actor else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        changes=changes or {},
        created_at=now,
    )
    db.session.add(entry)
    return entry


def diff(obj, values: dict) -> dict:
    """Apply `values` to obj's attributes; return {field: [old, new]} for what changed."""
    changes = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
            setattr(obj, field, new)
    return changes


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
