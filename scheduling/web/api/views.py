"""API v1 public endpoints: event types, slots, qualification and booking.

Errors come out in one JSON shape (web/errors.py).
"""

from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request

from scheduling import clock
from scheduling.availability import local_day_range
from scheduling.availability.zones import local_isoformats
from scheduling.errors import InvalidRequest, SchedulingError
from scheduling.extensions import db
from scheduling.models import Booking, Lead
from scheduling.operations.bookings import get_event_type
from scheduling.operations.durations import booking_minutes, resolve_duration
from scheduling.operations.locking import acquire_booking_lock
from scheduling.operations.payloads import locations_json, meeting_hosts
from scheduling.operations.routing import (
    book_for_route,
    bookable_host_ids,
    evaluate_answers,
    lead_for_event_type,
    qualify,
    reload_event_type,
)
from scheduling.operations.slots import compute_event_type_slots
from scheduling.web.urls import booking_link
from scheduling.web.write_lock import locks_itself

from .blueprint import bp
from .schemas import parse_answers_arg, parse_booking_request, parse_date_arg, parse_zone_arg


def _iso(moment, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).isoformat()


@bp.get("/event-types/<slug>")
def event_type_detail(slug: str):
    event_type = get_event_type(slug)
    return jsonify(
        {
            "slug": event_type.slug,
            "title": event_type.title,
            "description": event_type.description,
            "duration": event_type.duration,
            "durations": list(event_type.offered_durations),
            **locations_json(event_type),
            "default_locale": event_type.default_locale,
        }
    )


@bp.get("/event-types/<slug>/slots")
def slots(slug: str):
    fields: dict[str, str] = {}
    first = parse_date_arg("start", request.args.get("start"), fields)
    last = parse_date_arg("end", request.args.get("end"), fields)
    tz = parse_zone_arg("timezone", request.args.get("timezone"), fields)
    max_days = current_app.config["MAX_RANGE_DAYS"]
    if first and last:
        if last < first:
            fields["end"] = "must not be before start"
        elif (last - first).days + 1 > max_days:
            fields["end"] = f"the range may cover at most {max_days} days"
    answers = parse_answers_arg(request.args.get("answers"), fields)
    if fields:
        raise InvalidRequest("The query is invalid.", fields)
    event_type = get_event_type(slug)
    minutes = resolve_duration(event_type, request.args.get("duration"))
    now = clock.utcnow()
    host_ids = _routed_host_ids(event_type, answers, request.args.get("lead"), now)
    start, end = local_day_range(tz, first, last)
    found = compute_event_type_slots(
        event_type, start, end, now, host_ids=host_ids, duration=minutes
    )
    return jsonify(
        {
            "event_type": event_type.slug,
            "timezone": tz,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "duration": minutes,
            "slots": local_isoformats(found, tz),
        }
    )


class Disqualified(SchedulingError):
    """The answers rule the visitor out: 422 with the organisation's message."""

    code = "disqualified"
    status = 422


def _routed_host_ids(event_type, answers: dict | None, lead_uid: str | None, now) -> list[int]:
    """Hosts a visitor with these answers (or this lead) may book, without storing anything."""
    if event_type.routing_form is None:
        return bookable_host_ids(event_type, None, now)
    if lead_uid:
        lead = lead_for_event_type(event_type, lead_uid)
        if lead.status == "disqualified":
            raise Disqualified(lead.decision.get("message") or "These answers do not qualify.")
        return bookable_host_ids(event_type, lead, now)
    if answers is None:
        raise InvalidRequest(
            "This event type asks qualification questions: pass `answers` or `lead`.",
            {"answers": "required"},
        )
    result = evaluate_answers(event_type.routing_form, answers)
    action = result.decision.action
    if action.kind == "disqualify":
        raise Disqualified(action.message or "These answers do not qualify for a call.")
    preview = Lead(
        decision={"kind": action.kind, "target_id": action.target_id},
        rule_name=result.decision.rule_name,
    )
    return bookable_host_ids(event_type, preview, now)


def booking_json(booking: Booking) -> dict:
    tz = booking.invitee_tz
    return {
        "id": booking.uid,
        "status": booking.status,
        "event_type": booking.event_type.slug,
        "host": {"name": booking.host.name},
        "hosts": [{"name": host.name} for host in meeting_hosts(booking)],
        "start": _iso(booking.start_at, tz),
        "end": _iso(booking.end_at, tz),
        "duration": booking_minutes(booking),
        "timezone": tz,
        "locale": booking.invitee_locale,
        "name": booking.invitee_name,
        "email": booking.invitee_email,
        "location_kind": booking.location_kind,
        "location": booking.location,
        "url": booking_link(booking, "view"),
        "cancel_url": booking_link(booking, "cancel"),
        "reschedule_url": booking_link(booking, "reschedule"),
    }


@bp.post("/bookings")
@locks_itself  # book_for_route locks after its "taken" read; qualify's lead is a write
def create():
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidRequest("Send a JSON object with Content-Type: application/json.")
    request_data = parse_booking_request(body)
    event_type = get_event_type(request_data.event_type)
    now = clock.utcnow()
    lead = None
    if event_type.routing_form is not None:
        if request_data.lead:
            lead = lead_for_event_type(event_type, request_data.lead)
            if lead.status == "disqualified":
                raise Disqualified(lead.decision.get("message") or "These answers do not qualify.")
        elif request_data.answers is not None:
            if acquire_booking_lock(db.session):  # qualify stores the lead
                reload_event_type(event_type)
            lead = qualify(
                event_type, request_data.answers, now, visitor_email=request_data.invitee.email
            )
            if lead.status == "disqualified":
                db.session.commit()  # the answers are kept: the funnel counts disqualified leads
                raise Disqualified(lead.decision.get("message") or "These answers do not qualify.")
            # A qualified lead is committed with its booking only: a failed attempt leaves none.
            event_type = lead.event_type
        else:
            raise InvalidRequest(
                "This event type asks qualification questions: send `answers` or `lead`.",
                {"answers": "required"},
            )
    booking = book_for_route(
        event_type,
        request_data.start,
        request_data.invitee,
        now,
        lead=lead,
        video_base_url=current_app.config["JITSI_BASE_URL"],
        source="api",
    )
    # Everything that can fail (links are signed with SECRET_KEY) runs before the commit: an
    # answer that breaks after it would hide a booking that exists.
    body = booking_json(booking)
    if lead is not None:
        body["lead"] = lead.uid
    response = jsonify(body)
    response.status_code = 201
    db.session.commit()
    return response
