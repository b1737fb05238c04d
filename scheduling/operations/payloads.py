"""JSON views of bookings, leads, hosts and event types: one shape for webhooks and the API."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Booking, EventType, Host, Lead

from .booking_context import handoff_blocks
from .locations import offered_locations


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, seconds precision."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def outcome_json(booking: Booking) -> dict | None:
    outcome = booking.outcome
    if outcome is None:
        return None
    return {
        "status": outcome.status,
        "deal_value": str(outcome.deal_value) if outcome.deal_value is not None else None,
        "currency": outcome.currency,
        "lost_reason": outcome.lost_reason.label if outcome.lost_reason else None,
        "note": outcome.note,
        "recorded_at": iso(outcome.recorded_at),
    }


def meeting_hosts(booking: Booking) -> list[Host]:
    """Everyone hosting the booking's meeting: its host, or every host of a collective meeting
    (the primary row's host first)."""
    if booking.meeting_id is None:
        return [booking.host]
    rows = db.session.scalars(
        select(Booking).where(Booking.meeting_id == booking.meeting_id).order_by(Booking.id)
    )
    return [row.host for row in rows]


def booking_json(booking: Booking) -> dict:
    """A booking as integrations see it; times in UTC; with the CRM hand-off blocks.

    `host` is the booking's own host; `hosts` everyone hosting the meeting (several for a
    collective meeting, whose primary row's host comes first).
    """
    previous = booking.rescheduled_from
    return {
        "id": booking.uid,
        "status": booking.status,
        "event_type": {"slug": booking.event_type.slug, "title": booking.event_type.title},
        "host": {"id": booking.host.id, "name": booking.host.name, "email": booking.host.email},
        "hosts": [
            {"id": host.id, "name": host.name, "email": host.email}
            for host in meeting_hosts(booking)
        ],
        "invitee": {
            "name": booking.invitee_name,
            "email": booking.invitee_email,
            "timezone": booking.invitee_tz,
            "note": booking.note,
        },
        "start": iso(booking.start_at),
        "end": iso(booking.end_at),
        "duration": booking.minutes,  # its own length, in minutes
        "location_kind": booking.location_kind,
        "location": booking.location,
        "source": booking.source,
        "rescheduled_from": previous.uid if previous is not None else None,
        "cancel_reason": booking.cancel_reason or None,
        "created_at": iso(booking.created_at),
        "updated_at": iso(booking.updated_at),
        "cancelled_at": iso(booking.cancelled_at),
        "outcome": outcome_json(booking),
        **handoff_blocks(booking),
    }


def lead_json(lead: Lead) -> dict:
    return {
        "id": lead.uid,
        "status": lead.status,
        "event_type": lead.event_type.slug,
        "name": lead.name,
        "email": lead.email,
        "answers": lead.answers or {},
        "score": lead.score,
        "rule": lead.rule_name,
        "route": (lead.decision or {}).get("kind"),
        "booking": lead.booking.uid if lead.booking is not None else None,
        "created_at": iso(lead.created_at),
        "updated_at": iso(lead.updated_at),
    }


def host_json(host: Host, today: date | None = None) -> dict:
    """A host; with `today` (host-independent UTC date) also their absences not yet over,
    dates and covering colleague only (the note stays inside the admin UI)."""
    body = {
        "id": host.id,
        "name": host.name,
        "email": host.email,
        "timezone": host.tz,
        "active": host.active,
    }
    if today is not None:
        body["out_of_office"] = [
            {
                "first_day": absence.first_day.isoformat(),
                "last_day": absence.last_day.isoformat(),
                "delegate": absence.delegate_id,
            }
            for absence in sorted(host.absences, key=lambda a: a.first_day)
            if absence.last_day >= today - timedelta(days=1)
        ]
    return body


def locations_json(event_type: EventType) -> dict:
    """The default location's kind, and every offered location with its detail."""
    offered = offered_locations(event_type)
    return {
        "location_kind": offered[0].kind,
        "locations": [{"kind": item.kind, "detail": item.detail} for item in offered],
    }


def event_type_json(event_type: EventType) -> dict:
    return {
        "slug": event_type.slug,
        "title": event_type.title,
        "description": event_type.description,
        "duration": event_type.duration,
        "durations": list(event_type.offered_durations),
        **locations_json(event_type),
        "active": event_type.active,
        "hosts": [host.id for host in event_type.hosts],
        "assignment": event_type.assignment,
        "hidden": event_type.hidden,
        "limits": {
            "per_day": event_type.daily_limit,
            "per_week": event_type.weekly_limit,
            "min_gap": event_type.min_gap,
        },
    }
