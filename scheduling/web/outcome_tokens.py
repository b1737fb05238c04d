"""Signed links that follow a call: the host's one-click outcome ("held" / "no-show") and the
no-show's "book again", which brings back the visitor's answers.

An outcome link names the booking, its host and the outcome, and expires (OUTCOME_LINK_MAX_AGE);
a booking handed to another host no longer accepts the first host's links. A rebook link names
the booking only; it just prefills the booking questions, so it carries no other authority.
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


def _rebook_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="rebook-link-v1")


def make_rebook_token(booking: Booking) -> str:
    """The `rebook` value of a no-show's "book again" link."""
    return _rebook_serializer().dumps({"b": booking.id})


def read_rebook_token(token: str | None) -> int | None:
    """The booking id of a valid, fresh rebook token; None for anything else."""
    if not token:
        return None
    try:
        claims = _rebook_serializer().loads(
            token, max_age=current_app.config["OUTCOME_LINK_MAX_AGE"]
        )
    except BadSignature:
        return None
    booking_id = claims.get("b") if isinstance(claims, dict) else None
    return booking_id if isinstance(booking_id, int) else None
