"""Call outcomes: record how a held call went (attended, no-show, won with a value, lost)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import list_currencies
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import OUTCOMES, Booking, LostReason, Outcome, User

from . import notifications
from .audit import diff, record

NOTE_MAX = 2000
# Numeric(14, 2): twelve digits before the decimal point.
MAX_DEAL_VALUE = Decimal("999999999999.99")


@dataclass(frozen=True)
class OutcomeInput:
    """What the form sends, shape-checked already."""

    status: str
    deal_value: Decimal | None = None
    currency: str | None = None
    lost_reason_id: int | None = None
    note: str = ""


def outcome_blocker(booking: Booking, now: datetime) -> str | None:
    """Why this booking cannot get an outcome yet, or None when it can."""
    if booking.status != "confirmed":
        return "Only confirmed bookings get an outcome; this one was cancelled or moved."
    if booking.start_at > now:
        return "An outcome can be recorded once the call has started."
    return None


def is_currency(code: str) -> bool:
    """True for ISO 4217 codes (as Babel knows them)."""
    return code in list_currencies()


def lost_reason_choices(booking: Booking) -> list[LostReason]:
    """The organisation's active reasons, plus the one the outcome has now if it went inactive."""
    reasons = list(
        db.session.scalars(
            select(LostReason)
            .where(LostReason.organisation_id == booking.organisation_id)
            .order_by(LostReason.position, LostReason.id)
        )
    )
    current = booking.outcome.lost_reason_id if booking.outcome else None
    return [reason for reason in reasons if reason.active or reason.id == current]


def _check(booking: Booking, data: OutcomeInput) -> None:
    if data.status not in OUTCOMES:
        raise InvalidRequest("Choose what happened on the call.", {"status": "unknown"})
    if data.status == "won":
        if data.deal_value is None:
            raise InvalidRequest("Enter the deal value of a won deal.", {"deal_value": "required"})
        if data.deal_value < 0 or data.deal_value > MAX_DEAL_VALUE:
            raise InvalidRequest(
                "The deal value must be between 0 and 999,999,999,999.99.",
                {"deal_value": "out of range"},
            )
        if data.deal_value != data.deal_value.quantize(Decimal("0.01")):
            raise InvalidRequest(
                "The deal value may have at most 2 decimal places.", {"deal_value": "precision"}
            )
        if not data.currency or not is_currency(data.currency):
            raise InvalidRequest(
                "Enter an ISO 4217 currency code such as EUR, CHF or GBP.", {"currency": "unknown"}
            )
    if data.status == "lost":
        allowed = {reason.id for reason in lost_reason_choices(booking)}
        if data.lost_reason_id is None:
            raise InvalidRequest("Choose why the deal was lost.", {"lost_reason_id": "required"})
        if data.lost_reason_id not in allowed:
            raise InvalidRequest(
                "Choose one of the listed reasons.", {"lost_reason_id": "not an active reason"}
            )
    if len(data.note) > NOTE_MAX:
        raise InvalidRequest(
            f"The note may have at most {NOTE_MAX} characters.", {"note": "too long"}
        )


def _label(reason_id: int | None) -> str | None:
    if reason_id is None:
        return None
    reason = db.session.get(LostReason, reason_id)
    return reason.label if reason else None


def record_outcome(booking: Booking, data: OutcomeInput, actor: User | None, now: datetime) -> dict:
    """Create or update the booking's outcome in place; return the changes (empty: none).

    The caller has checked that the actor may act on this booking (actor None: the host,
    through a signed link from their email).
    """
    blocker = outcome_blocker(booking, now)
    if blocker:
        raise InvalidRequest(blocker)
    _check(booking, data)
    won, lost = data.status == "won", data.status == "lost"
    values = {
        "status": data.status,
        "deal_value": data.deal_value.quantize(Decimal("0.01")) if won else None,
        "currency": data.currency if won else None,
        "lost_reason_id": data.lost_reason_id if lost else None,
        "note": data.note,
    }
    outcome = booking.outcome
    created = outcome is None
    if created:
        outcome = Outcome(note="")  # attached to the booking only once it is complete
    changes = diff(outcome, values)
    if "lost_reason_id" in changes:
        old_id, new_id = changes.pop("lost_reason_id")
        changes["lost_reason"] = [_label(old_id), _label(new_id)]
    if not changes:
        return changes
    outcome.recorded_by = actor
    outcome.recorded_at = now
    if created:
        try:
            with db.session.begin_nested():
                outcome.booking = booking
                db.session.add(outcome)
        except IntegrityError:
            # One outcome per booking: someone saved the first one a moment ago.
            raise InvalidRequest(
                "Someone recorded an outcome for this call at the same time. "
                "Please reload the page and check it."
            ) from None
    db.session.flush()
    when = booking.start_at.strftime("%Y-%m-%d %H:%M UTC")
    record(
        booking.organisation_id,
        actor,
        "outcome.create" if created else "outcome.update",
        "booking",
        booking.id,
        f"Outcome '{data.status}' for the call with {booking.invitee_name} on {when}",
        now,
        changes,
    )
    notifications.outcome_recorded(booking, now)
    return changes


def undo_no_show(booking: Booking, actor: User, now: datetime) -> bool:
    """Take back a no-show marking: the outcome goes, its waiting email is dropped.

    Returns False (and changes nothing) when the booking's outcome is not a no-show (any more).
    The caller has checked that the actor may act on this booking.
    """
    outcome = booking.outcome
    if outcome is None or outcome.status != "no_show":
        return False
    db.session.delete(outcome)
    db.session.flush()
    db.session.expire(booking, ["outcome"])
    when = booking.start_at.strftime("%Y-%m-%d %H:%M UTC")
    record(
        booking.organisation_id,
        actor,
        "outcome.undo",
        "booking",
        booking.id,
        f"No-show taken back for the call with {booking.invitee_name} on {when}",
        now,
        {"status": ["no_show", None]},
    )
    notifications.outcome_recorded(booking, now)
    return True
