"""The audit log (admins only): who changed what and when, newest first, with filters."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from scheduling.attribution.dashboard import parse_day
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import AuditEntry, User
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

PER_PAGE = 50
MAX_PAGE = 100_000
_ACTION_RE = re.compile(r"[a-z_]+(?:\.[a-z_]*)*")


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    first: datetime | None = None  # inclusive, UTC midnight
    end: datetime | None = None  # exclusive: midnight after the 'to' day
    page: int = 1


def _number(raw: str, message: str, field: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise InvalidRequest(message, {field: "not a number"})
    return int(raw)


def _filters(args, actor_ids: set[int]) -> AuditFilters:
    """Read the query string, or raise InvalidRequest with a message people understand."""
    action = args.get("action", "").strip()
    if action and (len(action) > 60 or not _ACTION_RE.fullmatch(action)):
        raise InvalidRequest(
            _(
                "The action filter takes lower-case letters, dots and underscores, "
                "e.g. booking or user.update."
            ),
            {"action": "format"},
        )
    actor_id = None
    raw_actor = args.get("actor", "").strip()
    if raw_actor:
        actor_id = _number(raw_actor, _("Choose the person from the list."), "actor")
        if actor_id not in actor_ids:
            raise InvalidRequest(_("There is no such user in your organisation."), {"actor": "?"})
    first_day = parse_day(args["from"], "from") if args.get("from", "").strip() else None
    last_day = parse_day(args["to"], "to") if args.get("to", "").strip() else None
    if first_day and last_day and last_day < first_day:
        raise InvalidRequest(_("The 'to' date must not be before the 'from' date."), {"to": "<"})
    raw_page = args.get("page", "").strip() or "1"
    page = _number(raw_page, _("The page must be a whole number."), "page")
    if not 1 <= page <= MAX_PAGE:
        raise InvalidRequest(_("The page must be a whole number from 1 on."), {"page": "range"})
    return AuditFilters(
        action=action,
        actor_id=actor_id,
        first=datetime.combine(first_day, time(), tzinfo=UTC) if first_day else None,
        end=datetime.combine(last_day, time(), tzinfo=UTC) + timedelta(days=1)
        if last_day
        else None,
        page=page,
    )


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def change_rows(changes) -> list[tuple[str, str, str]]:
    """(field, old, new) for the table; a value that is not an [old, new] pair shows as new."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for name, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            rows.append((str(name), _shown(value[0]), _shown(value[1])))
        else:
            rows.append((str(name), "—", _shown(value)))
    return rows


def _action_choices(organisation_id: int, chosen: str) -> list[str]:
    """Every action in the log and each family before its first dot (user, booking ...)."""
    actions = set(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.organisation_id == organisation_id)
            .distinct()
        )
    )
    choices = actions | {action.split(".")[0] for action in actions}
    if chosen:
        choices.add(chosen)
    return sorted(choices)


@bp.get("/audit")
@roles_required("admin")
def audit():
    admin = current_user()
    org_id = admin.organisation_id
    people = db.session.scalars(
        select(User).where(User.organisation_id == org_id).order_by(User.name)
    ).all()
    values = {key: request.args.get(key, "").strip() for key in ("action", "actor", "from", "to")}
    context = {
        "people": people,
        "values": values,
        "actions": _action_choices(org_id, ""),
        "entries": [],
        "change_rows": change_rows,
        "error": None,
    }
    try:
        filters = _filters(request.args, {person.id for person in people})
    except InvalidRequest as exc:
        context["error"] = exc.message
        return render_template("admin/audit/index.html", **context), 400
    context["actions"] = _action_choices(org_id, filters.action)
    conditions = [AuditEntry.organisation_id == org_id]
    if filters.action:
        conditions.append(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.actor_id is not None:
        conditions.append(AuditEntry.actor_id == filters.actor_id)
    if filters.first is not None:
        conditions.append(AuditEntry.created_at >= filters.first)
    if filters.end is not None:
        conditions.append(AuditEntry.created_at < filters.end)
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    pages = max(1, -(-total // PER_PAGE))
    if filters.page > pages:
        context["error"] = _(
            "Page %(page)s does not exist: there are %(pages)s.", page=filters.page, pages=pages
        )
        return render_template("admin/audit/index.html", **context), 400
    context["entries"] = db.session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((filters.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    kept = {key: value for key, value in values.items() if value}

    def page_url(number: int) -> str:
        return url_for("admin.audit", **kept, page=number)

    context.update(
        total=total,
        page=filters.page,
        pages=pages,
        page_url=page_url,
        filtered=bool(kept),
    )
    return render_template("admin/audit/index.html", **context)
