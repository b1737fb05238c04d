"""Leads: every answered qualification form, with filters, a detail page and a CSV export.

All roles. Managers and admins see every lead of their organisation. A rep sees only leads
booked with their own host: qualified and disqualified leads have no host yet, so reps do not
see them (the list page says so). Another organisation's leads answer 404, guessed ids included.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from flask import current_app, render_template, request
from sqlalchemy import select

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, Lead, User
from scheduling.operations import leads as ops
from scheduling.operations.routing_rules import targets_of
from scheduling.routing import COUNTRIES
from scheduling.web.admin.access import current_user, is_manager, login_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.csvsafe import csv_chunks
from scheduling.web.security import csv_download

from .booking_forms import parse_day_range, parse_id_arg, parse_page

PER_PAGE = 50
SEARCH_MAX = 200
FILTER_KEYS = ("status", "event_type", "from", "to", "q")
CSV_HEADER = (
    "created (UTC)",
    "lead",
    "status",
    "name",
    "email",
    "score",
    "rule",
    "event type",
    "booking",
    "booking start (UTC)",
    "booking host",
)


@dataclass
class LeadFilters:
    """The list's filters as typed (to refill the form and build links) and as a query."""

    values: dict[str, str]
    spec: ops.LeadFilter | None
    errors: list[str] = field(default_factory=list)

    @property
    def link_args(self) -> dict[str, str]:
        return {key: value for key, value in self.values.items() if value}


def _viewer_spec(user: User) -> dict:
    if is_manager(user):
        return {"organisation_id": user.organisation_id}
    return {
        "organisation_id": user.organisation_id,
        "rep_view": True,
        "booked_by_host_id": user.host_id,
    }


def parse_lead_filters(
    args: Mapping[str, str], user: User, event_types: Sequence[EventType]
) -> LeadFilters:
    """Read the list's filters; dates are UTC calendar days of when the form was answered."""
    values = {key: (args.get(key) or "").strip()[:300] for key in FILTER_KEYS}
    errors: list[str] = []
    first, last = parse_day_range(values["from"], values["to"], errors)
    if values["status"] and values["status"] not in ops.LEAD_STATUSES:
        errors.append("The status must be one of: " + ", ".join(ops.LEAD_STATUSES) + ".")
    try:
        event_type_id = parse_id_arg(values["event_type"])
    except ValueError:
        event_type_id = -1
    if event_type_id is not None and event_type_id not in {et.id for et in event_types}:
        errors.append("Choose an event type from the list.")
    if len(values["q"]) > SEARCH_MAX:
        errors.append(f"The search text may be at most {SEARCH_MAX} characters.")
    if errors:
        return LeadFilters(values, None, errors)
    spec = ops.LeadFilter(
        **_viewer_spec(user),
        status=values["status"] or None,
        event_type_id=event_type_id,
        created_from=datetime.combine(first, time(0), UTC) if first else None,
        created_before=(datetime.combine(last + timedelta(days=1), time(0), UTC) if last else None),
        search=values["q"],
    )
    return LeadFilters(values, spec)


def _event_types(user: User) -> list[EventType]:
    return list(
        db.session.scalars(
            select(EventType)
            .where(EventType.organisation_id == user.organisation_id)
            .order_by(EventType.title, EventType.id)
        )
    )


def _booking_pages() -> bool:
    return "admin.bookings_detail" in current_app.view_functions


@bp.get("/leads")
@login_required
def leads():
    user = current_user()
    event_types = _event_types(user)
    filters = parse_lead_filters(request.args, user, event_types)
    try:
        page = parse_page(request.args.get("page"))
    except ValueError as exc:
        filters.errors.append(str(exc))
    context = {
        "filters": filters,
        "event_types": event_types,
        "statuses": ops.LEAD_STATUSES,
        "rep_view": not is_manager(user),
        "booking_pages": _booking_pages(),
        "now": clock.utcnow(),
        "lead_state": ops.lead_state,
    }
    if filters.errors:
        return render_template(
            "admin/leads/list.html", rows=[], total=0, page=1, pages=1, **context
        ), 400
    total = ops.count_leads(filters.spec)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    return render_template(
        "admin/leads/list.html",
        rows=ops.list_leads(filters.spec, page, PER_PAGE),
        total=total,
        page=page,
        pages=pages,
        **context,
    )


def get_lead_for(user: User, lead_id: int) -> Lead:
    """A lead the user may see, or NotFound (the same answer whether it exists or not)."""
    lead = db.session.get(Lead, lead_id)
    if lead is None or lead.organisation_id != user.organisation_id:
        raise NotFound("No such lead.")
    if not is_manager(user) and (lead.booking is None or lead.booking.host_id != user.host_id):
        raise NotFound("No such lead.")
    return lead


def _answer_rows(lead: Lead) -> list[dict]:
    """The lead's answers in question order, labelled by the form's current questions."""
    questions = {q.key: q for q in lead.routing_form.questions} if lead.routing_form else {}
    keys = [key for key in questions if key in (lead.answers or {})]
    keys += [key for key in lead.answers or {} if key not in questions]
    rows = []
    for key in keys:
        question = questions.get(key)
        value = lead.answers[key]
        if question is not None and question.kind == "country":
            value = COUNTRIES.get(str(value), value)
        rows.append({"key": key, "label": question.label if question else key, "value": value})
    return rows


@bp.get("/leads/<int:lead_id>")
@login_required
def leads_detail(lead_id: int):
    user = current_user()
    lead = get_lead_for(user, lead_id)
    decision = lead.decision or {}
    return render_template(
        "admin/leads/detail.html",
        lead=lead,
        state=ops.lead_state(lead, clock.utcnow()),
        answers=_answer_rows(lead),
        decision=decision,
        trace=[str(line) for line in decision.get("trace") or []],
        targets=targets_of(user.organisation_id),
        booking_pages=_booking_pages(),
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return str(value)


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


@bp.get("/leads/export.csv")
@login_required
def leads_export():
    """Every lead the list's filters match (all pages), one column per answer key."""
    user = current_user()
    filters = parse_lead_filters(request.args, user, _event_types(user))
    if filters.errors:
        raise InvalidRequest(" ".join(filters.errors))
    spec = filters.spec
    keys = ops.answer_keys(spec)
    now = clock.utcnow()

    def rows():
        for lead in ops.iter_leads(spec):
            booking = lead.booking
            answers = lead.answers or {}
            yield [
                _iso(lead.created_at),
                lead.uid,
                ops.lead_state(lead, now),
                lead.name,
                lead.email,
                lead.score,
                lead.rule_name,
                lead.event_type.title,
                booking.uid if booking else "",
                _iso(booking.start_at) if booking else "",
                booking.host.name if booking else "",
                *(_cell(answers.get(key)) for key in keys),
            ]

    header = [*CSV_HEADER, *(f"answer:{key}" for key in keys)]
    return csv_download(csv_chunks(header, rows()), f"leads-{now.date().isoformat()}.csv")
