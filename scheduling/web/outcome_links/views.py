"""Confirm a "held" or "no-show" from the host's email, then record it."""

from flask import Blueprint, render_template
from flask_babel import gettext as _

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Booking
from scheduling.operations.outcomes import OutcomeInput, outcome_blocker, record_outcome
from scheduling.web.outcome_tokens import read_outcome_token
from scheduling.web.security import check_same_origin_post

bp = Blueprint("outcome_links", __name__)

LABELS = {"attended": "held", "no_show": "a no-show"}


def _booking(token: str) -> tuple[Booking, str]:
    booking_id, host_id, status = read_outcome_token(token)
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.host_id != host_id:
        # Deleted, or handed to another host since the email: this link no longer applies.
        raise InvalidRequest("This link is not valid.")
    return booking, status


def _page(booking, status, token, *, error=None, done=False, code=200):
    return render_template(
        "outcome_links/confirm.html",
        booking=booking,
        status=status,
        token=token,
        error=error,
        done=done,
    ), code


@bp.get("/outcome/<token>")
def confirm(token: str):
    """Show what the link would record; nothing changes on GET."""
    booking, status = _booking(token)
    blocker = outcome_blocker(booking, clock.utcnow())
    return _page(booking, status, token, error=_(blocker) if blocker else None)


@bp.post("/outcome/<token>")
def record(token: str):
    check_same_origin_post()
    booking, status = _booking(token)
    now = clock.utcnow()
    note = booking.outcome.note if booking.outcome else ""
    try:
        record_outcome(booking, OutcomeInput(status=status, note=note), None, now)
    except InvalidRequest as exc:
        db.session.rollback()
        return _page(booking, status, token, error=_(exc.message), code=400)
    response = _page(booking, status, token, done=True)
    db.session.commit()
    return response
