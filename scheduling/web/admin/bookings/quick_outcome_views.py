"""One-click outcomes from the bookings list and the calendar, and the no-show's undo."""

import re
from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from scheduling import clock
from scheduling.errors import N_, InvalidRequest
from scheduling.extensions import db
from scheduling.models import OUTCOMES
from scheduling.operations.outcomes import OutcomeInput, record_outcome, undo_no_show
from scheduling.web.admin.access import current_user, get_booking, login_required
from scheduling.web.admin.blueprint import bp

_AMOUNT_RE = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,2})?")
# Where a one-click form may send the browser back to: the admin's own list or calendar.
_BACK_RE = re.compile(r"/admin/(bookings|calendar)(\?[A-Za-z0-9_=&%.:+-]*)?")


def _back() -> str:
    target = request.form.get("next", "")
    return target if _BACK_RE.fullmatch(target) else url_for(".bookings")


def _quick_input(booking) -> OutcomeInput:
    """The one-click form's values; a won deal needs its value, a lost one its reason."""
    status = request.form.get("status", "")
    if status not in OUTCOMES:
        raise InvalidRequest(N_("Choose what happened on the call."))
    value = (request.form.get("deal_value") or "").strip()
    if status == "won" and not _AMOUNT_RE.fullmatch(value):
        raise InvalidRequest(N_("Enter the deal value of a won deal, e.g. 1500 or 1500.50."))
    reason = (request.form.get("lost_reason_id") or "").strip()
    if status == "lost" and not (reason.isascii() and reason.isdigit()):
        raise InvalidRequest(N_("Choose why the deal was lost."))
    note = booking.outcome.note if booking.outcome else ""
    return OutcomeInput(
        status=status,
        deal_value=Decimal(value.replace(",", ".")) if status == "won" else None,
        currency=booking.organisation.default_currency if status == "won" else None,
        lost_reason_id=int(reason) if status == "lost" else None,
        note=note,
    )


@bp.post("/bookings/<int:booking_id>/outcome/quick")
@login_required
def outcome_quick(booking_id: int):
    user = current_user()
    booking = get_booking(user, booking_id)
    back = _back()
    if not FlaskForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return redirect(back)
    now = clock.utcnow()
    try:
        changes = record_outcome(booking, _quick_input(booking), user, now)
    except InvalidRequest as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
        return redirect(back)
    if changes and booking.outcome.status == "no_show":
        flash(
            {
                "text": _("%(name)s marked as a no-show.", name=booking.invitee_name),
                "undo": url_for(".outcome_undo", booking_id=booking.id),
                "next": back,
            },
            "undo",
        )
    elif changes:
        flash(_("Outcome saved for %(name)s.", name=booking.invitee_name), "ok")
    else:
        flash(_("Nothing changed."), "ok")
    db.session.commit()
    return redirect(back)


@bp.post("/bookings/<int:booking_id>/outcome/undo")
@login_required
def outcome_undo(booking_id: int):
    user = current_user()
    booking = get_booking(user, booking_id)
    back = _back()
    if not FlaskForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return redirect(back)
    if undo_no_show(booking, user, clock.utcnow()):
        flash(_("No-show taken back; no email goes out."), "ok")
    else:
        flash(_("Nothing to undo: this call is not marked as a no-show."), "error")
    db.session.commit()
    return redirect(back)
