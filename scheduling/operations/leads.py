"""Leads on the admin side, read only: the filtered list, its export, the state people read."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from scheduling.extensions import db
from scheduling.models import Booking, Lead

LEAD_STATUSES = ("qualified", "booked", "disqualified")
# A qualified lead with no booking this long after answering left at the calendar.
ABANDONED_AFTER = timedelta(minutes=30)


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


def answers_of_booking(booking_id: int) -> dict:
    """The answers the visitor gave before this booking ({} when it came without questions)."""
    lead = db.session.scalar(
        select(Lead).where(Lead.booking_id == booking_id).order_by(Lead.id.desc()).limit(1)
    )
    return dict(lead.answers or {}) if lead is not None else {}
