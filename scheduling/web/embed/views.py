"""The widget's own endpoint: the consent log, written from the embedded frame (same origin)."""

from flask import Blueprint, jsonify, request

from scheduling import clock
from scheduling.attribution import clean_decision, clean_touch, loads_bounded
from scheduling.errors import InvalidRequest, PermissionDenied
from scheduling.extensions import db
from scheduling.operations.ab_tests import parse_assignment, variant_for
from scheduling.operations.bookings import get_event_type
from scheduling.operations.consent_grants import log_widget_consent
from scheduling.operations.widget_funnel import credit_views

bp = Blueprint("embed", __name__, url_prefix="/embed")
# A consent notice is at most 20000 characters.
MAX_CONSENT_BODY = 32_000


def _check_same_origin() -> None:
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        raise PermissionDenied("Only the widget itself may send this.")
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise PermissionDenied("Only the widget itself may send this.")


def _json_body():
    """The request's JSON if it is a small, readable JSON body; else None (never a 500)."""
    length = request.content_length
    if not request.is_json:
        raise InvalidRequest("Send JSON with Content-Type: application/json.", {"_": "type"})
    if length is None or length > MAX_CONSENT_BODY:
        raise InvalidRequest(
            f"Send the decision with a length of at most {MAX_CONSENT_BODY} bytes.", {"_": "size"}
        )
    return loads_bounded(request.get_data(as_text=True), MAX_CONSENT_BODY)


@bp.post("/consent")
def consent():
    """Log a consent decision the widget received from its host page; returns the consent id.

    A withdrawal names the grant it ends (`ends`); an unknown, foreign or already withdrawn
    grant is refused and nothing is logged.
    """
    _check_same_origin()
    raw = _json_body()
    decision, errors = clean_decision(raw)
    if decision is None:
        raise InvalidRequest("The consent decision could not be read.", errors)
    event_type = get_event_type(str(raw.get("slug") or ""))
    row = log_widget_consent(event_type.organisation_id, decision, clock.utcnow())
    answer = {"consent": row.consent_id, "decision": row.decision}
    if decision.ends:
        answer["ends"] = decision.ends
    db.session.commit()
    return jsonify(answer), 201


@bp.post("/view-credit")
def view_credit():
    """Credit this visit's views, counted before consent, to its campaign (see credit_views)."""
    _check_same_origin()
    raw = _json_body()
    if not isinstance(raw, dict):
        raise InvalidRequest("Send a JSON object.", {"_": "type"})
    event_type = get_event_type(str(raw.get("slug") or ""))
    views = raw.get("views")
    if isinstance(views, bool) or not isinstance(views, int):
        raise InvalidRequest("Send the number of views.", {"views": "invalid"})
    ab = raw.get("ab")
    credited = credit_views(
        event_type,
        variant_for(event_type, parse_assignment(ab if isinstance(ab, str) else None)),
        str(raw.get("consent") or ""),
        clean_touch(raw.get("first")),
        clean_touch(raw.get("last")),
        views,
        clock.utcnow(),
    )
    db.session.commit()
    return jsonify({"credited": credited})
