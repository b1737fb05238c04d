"""Signed one-click outcome links for a booking's host ("held" / "no-show" from an email).

A link names the booking, its host and the outcome, and expires (OUTCOME_LINK_MAX_AGE); a
booking handed to another host no longer accepts the first host's links.
"""

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from scheduling.errors import N_, InvalidRequest
from scheduling.models import Booking

LINK_OUTCOMES = ("attended", "no_show")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="host-outcome-link-v1")


def make_outcome_token(booking: Booking, status: str) -> str:
    """The token of one link: this booking, its current host, this outcome."""
    if status not in LINK_OUTCOMES:
        raise ValueError(f"no one-click link for {status!r}")
    return _serializer().dumps({"b": booking.id, "h": booking.host_id, "s": status})


def outcome_link(booking: Booking, status: str) -> str:
    """The absolute link (under PUBLIC_URL when configured) to confirm this outcome."""
    path = url_for("outcome_links.confirm", token=make_outcome_token(booking, status))
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if base:
        return f"{base}{path}"
    return url_for(
        "outcome_links.confirm", token=make_outcome_token(booking, status), _external=True
    )


def read_outcome_token(token: str) -> tuple[int, int, str]:
    """(booking id, host id, outcome) of a valid, fresh token; InvalidRequest otherwise."""
    try:
        claims = _serializer().loads(token, max_age=current_app.config["OUTCOME_LINK_MAX_AGE"])
    except SignatureExpired:
        message = N_("This link has expired. Record the outcome in Rendezvous.")
        raise InvalidRequest(message) from None
    except BadSignature:
        raise InvalidRequest(N_("This link is not valid.")) from None
    if (
        not isinstance(claims, dict)
        or not isinstance(claims.get("b"), int)
        or not isinstance(claims.get("h"), int)
        or claims.get("s") not in LINK_OUTCOMES
    ):
        raise InvalidRequest(N_("This link is not valid."))
    return claims["b"], claims["h"], claims["s"]
