"""User management by admins: edit name, role, host link and active flag, keeping an admin."""

from datetime import datetime

from sqlalchemy import select

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import ROLES, Host, User

from .audit import diff, record


def _other_active_admins(user: User) -> int:
    """Active admins of the user's organisation besides them, rows locked where the DB can.

    On PostgreSQL FOR UPDATE makes two admins demoting each other at once wait for one another,
    so the second sees the first's change and the organisation keeps an admin.
    """
    admins = db.session.scalars(
        select(User.id)
        .where(
            User.organisation_id == user.organisation_id,
            User.role == "admin",
            User.active.is_(True),
        )
        .with_for_update()
    ).all()
    return len([admin_id for admin_id in admins if admin_id != user.id])


def check_host_link(user: User | None, host: Host | None, organisation_id: int) -> None:
    """A linked host belongs to the organisation and to no other user."""
    if host is None:
        return
    if host.organisation_id != organisation_id:
        raise InvalidRequest("Choose a host from the list.", {"host_id": "other organisation"})
    owner = db.session.scalar(select(User).where(User.host_id == host.id))
    if owner is not None and (user is None or owner.id != user.id):
        raise InvalidRequest(
            f"{host.name} is already linked to {owner.name}. Unlink it there first.",
            {"host_id": "taken"},
        )


def update_user(
    user: User,
    *,
    name: str,
    role: str,
    host: Host | None,
    active: bool,
    actor: User,
    now: datetime,
) -> dict:
    """Apply an admin's edit; return the changes (empty when nothing changed)."""
    if role not in ROLES:
        raise InvalidRequest("Choose a role from the list.", {"role": "unknown"})
    losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
    field = "role" if role != "admin" else "active"
    # The organisation rule first: for the last admin it is the more useful answer.
    if losing_admin and _other_active_admins(user) == 0:
        raise InvalidRequest(
            f"{user.name} is the last active admin of the organisation. "
            "Make another user an admin first.",
            {field: "last admin"},
        )
    if losing_admin and user.id == actor.id:
        raise InvalidRequest(
            "You cannot remove your own admin role or deactivate yourself. "
            "Ask another admin to do it.",
            {field: "self"},
        )
    if role == "rep" and host is None:
        raise InvalidRequest("A rep must be linked to a host.", {"host_id": "required for reps"})
    check_host_link(user, host, user.organisation_id)
    old_host, new_host = user.host, host
    changes = diff(user, {"name": name.strip(), "role": role, "active": active})
    if (old_host.id if old_host else None) != (new_host.id if new_host else None):
        user.host = new_host
        changes["host"] = [old_host.name if old_host else None, new_host.name if new_host else None]
    if not changes:
        return changes
    db.session.flush()
    record(
        user.organisation_id,
        actor,
        "user.update",
        "user",
        user.id,
        f"Updated user {user.email}",
        now,
        changes,
    )
    return changes
