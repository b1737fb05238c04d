"""The integration API for CRMs and scripts: bookings, leads, hosts, event types (API keys).

Lists are ordered and paged with an opaque cursor (the last row's sort key), so a client can
walk a large table while rows are added. Every lookup is scoped to the key's organisation.
"""

import base64
import binascii
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app, g, jsonify, request
from sqlalchemy import and_, or_, select

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import OUTCOMES, STATUSES, Booking, EventType, Host, Lead
from scheduling.operations.bookings import cancel_booking, reschedule_booking
from scheduling.operations.outcomes import NOTE_MAX, OutcomeInput, record_outcome
from scheduling.operations.payloads import booking_json, event_type_json, host_json, lead_json

from .auth import api_key_required
from .blueprint import bp
from .schemas import parse_instant

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_INT = 2**31 - 1
LEAD_STATUSES = ("qualified", "booked", "disqualified")
REASON_MAX = 500


@bp.before_request
def _refuse_nul_characters():
    """NUL cannot be stored (PostgreSQL refuses it): a clear 400 instead of a database error."""
    args = request.args.items(multi=True)
    if (
        "\x00" in request.path
        or any("\x00" in k or "\x00" in v for k, v in args)
        or b"\x00" in request.get_data()
        or b"\\u0000" in request.get_data()
    ):
        raise InvalidRequest("Text may not contain NUL characters.")


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT


def _org_id() -> int:
    return g.api_key.organisation_id


def _instant(name: str, fields: dict) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fields[name] = "not an ISO 8601 date and time"
        return None
    if moment.tzinfo is None:
        fields[name] = "needs a UTC offset, e.g. 2030-01-08T09:00:00Z"
        return None
    if not 1970 <= moment.year <= 2200:
        fields[name] = "out of range"
        return None
    return moment


def _int_arg(name: str, fields: dict, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    # isdigit() alone admits "²" (int() refuses it) and other non-ASCII digits.
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        fields[name] = f"a whole number from {low} to {high}"
        return None
    return int(value)


def _choice(name: str, allowed, fields: dict) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        fields[name] = "one of " + ", ".join(allowed)
        return None
    return value


def _cursor(fields: dict) -> tuple[datetime, int] | None:
    value = request.args.get("cursor")
    if value is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment, _, row_id = raw.partition("|")
        result = datetime.fromisoformat(moment), int(row_id)
        # A forged cursor must not reach the database: a naive or far-off time (no UTC
        # equivalent) or an id beyond the integer column would be a 500, not a 400.
        if (
            result[0].tzinfo is None
            or not 1970 <= result[0].year <= 2200
            or not (row_id.isascii() and row_id.isdigit())
            or result[1] > MAX_INT
        ):
            raise ValueError(raw)
        return result
    except (ValueError, UnicodeDecodeError, binascii.Error):
        fields["cursor"] = "not a cursor returned by this API"
        return None


def _encode_cursor(moment: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode()


def _page(query, time_column, id_column, after, limit, to_json):
    if after is not None:
        moment, row_id = after
        query = query.where(
            or_(time_column > moment, and_(time_column == moment, id_column > row_id))
        )
    rows = db.session.scalars(query.order_by(time_column, id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    body = {"data": [to_json(row) for row in rows], "next_cursor": None}
    if more:
        last = rows[-1]
        body["next_cursor"] = _encode_cursor(
            getattr(last, time_column.key), getattr(last, id_column.key)
        )
    db.session.commit()  # the key's last use
    return jsonify(body)


@bp.get("/bookings")
@api_key_required("read")
def bookings_list():
    fields: dict[str, str] = {}
    status = _choice("status", STATUSES, fields)
    host_id = _int_arg("host_id", fields, 1, MAX_INT)
    start_from = _instant("start_from", fields)
    start_to = _instant("start_to", fields)
    updated_since = _instant("updated_since", fields)
    limit = _int_arg("limit", fields, 1, MAX_LIMIT) or DEFAULT_LIMIT
    after = _cursor(fields)
    slug = request.args.get("event_type")
    if fields:
        raise InvalidRequest("The query is invalid.", fields)
    query = select(Booking).where(Booking.organisation_id == _org_id())
    if status:
        query = query.where(Booking.status == status)
    if host_id:
        query = query.where(Booking.host_id == host_id)
    else:  # a collective meeting once, as its primary row (its `hosts` lists everyone)
        query = query.where(or_(Booking.meeting_id.is_(None), Booking.meeting_id == Booking.id))
    if slug is not None:
        query = query.join(EventType, EventType.id == Booking.event_type_id).where(
            EventType.slug == slug
        )
    if start_from:
        query = query.where(Booking.start_at >= start_from)
    if start_to:
        query = query.where(Booking.start_at < start_to)
    if updated_since:
        query = query.where(Booking.updated_at >= updated_since)
    return _page(query, Booking.start_at, Booking.id, after, limit, booking_json)


def _booking(uid: str) -> Booking:
    booking = db.session.scalar(
        select(Booking).where(Booking.uid == uid, Booking.organisation_id == _org_id())
    )
    if booking is None:
        raise NotFound("This booking does not exist.")
    return booking


@bp.get("/bookings/<uid>")
@api_key_required("read")
def bookings_get(uid: str):
    body = booking_json(_booking(uid))
    db.session.commit()
    return jsonify(body)


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _text(body: dict, name: str, fields: dict, max_len: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        fields[name] = "must be a string"
        return ""
    if len(value) > max_len:
        fields[name] = f"at most {max_len} characters"
    return value.strip()


@bp.post("/bookings/<uid>/cancel")
@api_key_required("write")
def bookings_cancel(uid: str):
    body = _json_body()
    fields: dict[str, str] = {}
    reason = _text(body, "reason", fields, REASON_MAX)
    if fields:
        raise InvalidRequest("Some fields are invalid.", fields)
    booking = _booking(uid)
    cancel_booking(booking, reason, clock.utcnow(), by="user", actor=g.api_user)
    response = jsonify(booking_json(booking))  # built before the commit: nothing fails after it
    db.session.commit()
    return response


@bp.post("/bookings/<uid>/reschedule")
@api_key_required("write")
def bookings_reschedule(uid: str):
    body = _json_body()
    fields: dict[str, str] = {}
    reason = _text(body, "reason", fields, REASON_MAX)
    start = parse_instant("start", body.get("start"), fields)
    host_id = body.get("host_id")
    if host_id is not None and not _is_id(host_id):
        fields["host_id"] = "a host id (whole number)"
    duration = body.get("duration")
    if duration is not None and not _is_id(duration):
        fields["duration"] = "minutes (whole number) the event type offers"
    if fields:
        raise InvalidRequest("Some fields are missing or invalid.", fields)
    booking = _booking(uid)
    new = reschedule_booking(
        booking,
        start,
        clock.utcnow(),
        video_base_url=current_app.config["JITSI_BASE_URL"],
        host_id=host_id,
        reason=reason,
        by="user",
        actor=g.api_user,
        duration=duration,
    )
    response = jsonify(booking_json(new))
    response.status_code = 201
    db.session.commit()
    return response


def _outcome_input(body: dict) -> OutcomeInput:
    fields: dict[str, str] = {}
    status = body.get("status")
    if status not in OUTCOMES:
        fields["status"] = "one of " + ", ".join(OUTCOMES)
    value = body.get("deal_value")
    deal_value = None
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            fields["deal_value"] = 'a decimal number such as "12500.00"'
        else:
            try:
                deal_value = Decimal(str(value))
                if not deal_value.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                fields["deal_value"] = 'a decimal number such as "12500.00"'
                deal_value = None
    currency = body.get("currency")
    if currency is not None and not isinstance(currency, str):
        fields["currency"] = "an ISO 4217 code such as EUR"
        currency = None
    reason_id = body.get("lost_reason_id")
    if reason_id is not None and (
        isinstance(reason_id, bool)
        or not isinstance(reason_id, int)
        or not 1 <= reason_id <= MAX_INT
    ):
        fields["lost_reason_id"] = "the id of a lost reason"
        reason_id = None
    note = _text(body, "note", fields, NOTE_MAX)
    if fields:
        raise InvalidRequest("Some fields are missing or invalid.", fields)
    return OutcomeInput(
        status=status,
        deal_value=deal_value,
        currency=currency.strip().upper() if currency else None,
        lost_reason_id=reason_id,
        note=note,
    )


@bp.put("/bookings/<uid>/outcome")
@api_key_required("write")
def bookings_outcome(uid: str):
    data = _outcome_input(_json_body())
    booking = _booking(uid)
    record_outcome(booking, data, g.api_user, clock.utcnow())
    response = jsonify(booking_json(booking))
    db.session.commit()
    return response


@bp.get("/leads")
@api_key_required("read")
def leads_list():
    fields: dict[str, str] = {}
    status = _choice("status", LEAD_STATUSES, fields)
    created_from = _instant("created_from", fields)
    created_to = _instant("created_to", fields)
    limit = _int_arg("limit", fields, 1, MAX_LIMIT) or DEFAULT_LIMIT
    after = _cursor(fields)
    if fields:
        raise InvalidRequest("The query is invalid.", fields)
    query = select(Lead).where(Lead.organisation_id == _org_id())
    if status:
        query = query.where(Lead.status == status)
    if created_from:
        query = query.where(Lead.created_at >= created_from)
    if created_to:
        query = query.where(Lead.created_at < created_to)
    return _page(query, Lead.created_at, Lead.id, after, limit, lead_json)


@bp.get("/leads/<uid>")
@api_key_required("read")
def leads_get(uid: str):
    lead = db.session.scalar(select(Lead).where(Lead.uid == uid, Lead.organisation_id == _org_id()))
    if lead is None:
        raise NotFound("This lead does not exist.")
    body = lead_json(lead)
    db.session.commit()
    return jsonify(body)


@bp.get("/hosts")
@api_key_required("read")
def hosts_list():
    hosts = db.session.scalars(
        select(Host).where(Host.organisation_id == _org_id()).order_by(Host.id)
    ).all()
    today = clock.utcnow().date()
    body = {"data": [host_json(host, today) for host in hosts]}
    db.session.commit()
    return jsonify(body)


@bp.get("/event-types")
@api_key_required("read")
def event_types_list():
    rows = db.session.scalars(
        select(EventType).where(EventType.organisation_id == _org_id()).order_by(EventType.id)
    ).all()
    body = {"data": [event_type_json(row) for row in rows]}
    db.session.commit()
    return jsonify(body)
