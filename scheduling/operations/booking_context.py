"""The CRM hand-off blocks of a booking: lead, answers, routing explanation, consented attribution.

Shared by webhooks and the API (payloads.booking_json), so both say the same. A rescheduled
booking is the same meeting: rescheduling moves the lead and the assignment to the new row and
leaves the attribution on the first, so each is looked up over the whole chain of moves (the
booking itself first, then the ones it replaced, then the ones that replaced it).
"""

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Assignment, Booking, Lead, Pool, WidgetAttribution
from scheduling.routing.handoff import displayed_answers, routing_sentence

from .question_rows import questions_of

STANDING_FIELDS = (
    "weight",
    "priority",
    "share",
    "expected",
    "assigned",
    "deficit",
    "today",
    "this_week",
    "daily_cap",
    "weekly_cap",
    "last_booked_at",
)
CHAIN_MAX = 50  # a reschedule chain longer than this is not followed further


def booking_chain(booking: Booking) -> list[int]:
    """Ids of the booking, the ones it was rescheduled from, then the ones rescheduled from it."""
    chain = [booking]
    while chain[-1].rescheduled_from is not None and len(chain) < CHAIN_MAX:
        chain.append(chain[-1].rescheduled_from)
    ids = [row.id for row in chain]
    latest = booking.id
    while len(ids) < 2 * CHAIN_MAX:
        latest = db.session.scalar(select(Booking.id).where(Booking.rescheduled_from_id == latest))
        if latest is None or latest in ids:
            break
        ids.append(latest)
    return ids


def _first(rows: list, ids: list[int], attr: str):
    by_id = {getattr(row, attr): row for row in rows}
    return next((by_id[i] for i in ids if i in by_id), None)


def lead_of(ids: list[int]) -> Lead | None:
    rows = db.session.scalars(select(Lead).where(Lead.booking_id.in_(ids))).all()
    return _first(list(rows), ids, "booking_id")


def _answers(lead: Lead | None) -> list[dict]:
    if lead is None:
        return []
    questions = questions_of(lead.routing_form) if lead.routing_form is not None else []
    return displayed_answers(questions, lead.answers or {})


def _routing(booking: Booking, lead: Lead | None, ids: list[int]) -> dict | None:
    rows = db.session.scalars(select(Assignment).where(Assignment.booking_id.in_(ids))).all()
    assignment = _first(list(rows), ids, "booking_id")
    if lead is None and assignment is None:
        return None
    decision = (lead.decision or {}) if lead is not None else {}
    explanation = assignment.explanation if assignment is not None else {}
    rule = (lead.rule_name if lead is not None else "") or (
        assignment.rule_name if assignment is not None else ""
    )
    pool = db.session.get(Pool, assignment.pool_id) if assignment and assignment.pool_id else None
    winner = next(
        (c for c in explanation.get("candidates", []) if c.get("host_id") == booking.host_id),
        None,
    )
    standing = {field: winner.get(field) for field in STANDING_FIELDS} if winner else None
    team = {"id": pool.id, "name": pool.name} if pool is not None else None
    return {
        "rule": rule or None,
        "route": decision.get("kind") or ("team" if assignment is not None else None),
        "team": team,
        "host": {"id": booking.host.id, "name": booking.host.name},
        "decided_by": explanation.get("decided_by"),
        "period": explanation.get("period"),
        "standing": standing,
        "trace": list(decision.get("trace") or []),
        "explanation": routing_sentence(
            rule=rule or None,
            team=pool.name if pool is not None else None,
            host=booking.host.name,
            decided_by=explanation.get("decided_by"),
            standing=standing,
            period=explanation.get("period"),
        ),
    }


def _attribution(lead: Lead | None, ids: list[int]) -> dict | None:
    """First and last touch and A/B variant, only under a granted, not withdrawn consent."""
    rows = db.session.scalars(
        select(WidgetAttribution).where(WidgetAttribution.booking_id.in_(ids))
    ).all()
    row = _first(list(rows), ids, "booking_id")
    if row is None and lead is not None:
        row = db.session.scalar(
            select(WidgetAttribution).where(WidgetAttribution.lead_id == lead.id)
        )
    consent = row.consent_record if row is not None else None
    # A withdrawn grant no longer travels to the CRM, even for touches stored before.
    if (
        consent is None
        or consent.decision != "granted"
        or consent.withdrawn_at is not None
        or not row.last_touch
    ):
        return None
    variant = row.variant
    return {
        "first_touch": row.first_touch,
        "last_touch": row.last_touch,
        "variant": (
            {"id": variant.id, "name": variant.name, "test": variant.test.name}
            if variant is not None
            else None
        ),
        "consent": {
            "id": consent.consent_id,
            "decided_at": consent.decided_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }


def handoff_blocks(booking: Booking) -> dict:
    """lead, answers, routing and attribution of a booking (None or [] where there are none)."""
    ids = booking_chain(booking)
    lead = lead_of(ids)
    return {
        "lead": {"id": lead.uid, "status": lead.status} if lead is not None else None,
        "answers": _answers(lead),
        "routing": _routing(booking, lead, ids),
        "attribution": _attribution(lead, ids),
    }
