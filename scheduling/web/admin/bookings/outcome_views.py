"""Recording call outcomes: a rep for their own host's calls, managers and admins for any."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.operations.outcomes import lost_reason_choices, outcome_blocker, record_outcome
from scheduling.web.admin.access import current_user, get_booking, login_required
from scheduling.web.admin.blueprint import bp

from .outcome_forms import OutcomeForm

BOOKING_DETAIL = "admin.bookings_detail"


def booking_page_url(booking_id: int) -> str | None:
    """The booking's detail page, when that page exists (whatever its id parameter is called)."""
    if BOOKING_DETAIL not in current_app.view_functions:
        return None
    for rule in current_app.url_map.iter_rules(BOOKING_DETAIL):
        if len(rule.arguments) == 1:
            (name,) = rule.arguments
            return url_for(BOOKING_DETAIL, **{name: booking_id})
    return None


def _initial(booking) -> dict:
    outcome = booking.outcome
    if outcome is None:
        return {"currency": booking.organisation.default_currency}
    return {
        "status": outcome.status,
        "deal_value": f"{outcome.deal_value:.2f}" if outcome.deal_value is not None else "",
        "currency": outcome.currency or booking.organisation.default_currency,
        "lost_reason_id": str(outcome.lost_reason_id or ""),
        "note": outcome.note,
    }


def _reason_label(reason) -> str:
    return reason.label if reason.active else _("%(label)s (inactive)", label=reason.label)


# Also buildable as url_for("admin.outcome_edit", booking_id=...), the booking pages' naming;
# build_only: requests always match the rule above, so the view only ever receives `id`.
bp.add_url_rule("/bookings/<int:booking_id>/outcome", "outcome_edit", build_only=True)


@bp.route("/bookings/<int:id>/outcome", methods=["GET", "POST"])
@login_required
def outcome_edit(id: int):
    user = current_user()
    booking = get_booking(user, id)
    now = clock.utcnow()
    form = OutcomeForm(data=_initial(booking) if request.method == "GET" else None)
    form.lost_reason_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(reason.id), _reason_label(reason))
        for reason in lost_reason_choices(booking)
    ]
    blocker = outcome_blocker(booking, now)
    error = None
    status = 200
    if request.method == "POST":
        status = 400
        if blocker:
            error = blocker
        elif form.validate_on_submit():
            try:
                changes = record_outcome(booking, form.to_input(), user, now)
            except InvalidRequest as exc:
                db.session.rollback()
                error = exc.message
                for name in exc.fields:
                    field = getattr(form, name, None)
                    if field is not None:
                        field.errors.append(exc.message)
                        error = None
            else:
                target = booking_page_url(booking.id) or url_for(".outcome_edit", id=id)
                flash(_("Outcome saved.") if changes else _("Nothing changed."), "ok")
                db.session.commit()  # last: the answer was built before it
                return redirect(target)
    return render_template(
        "admin/outcomes/edit.html",
        booking=booking,
        form=form,
        blocker=blocker,
        error=error,
        booking_url=booking_page_url(booking.id),
    ), status
