"""Organisation settings (admins only): name, Jitsi, currency, privacy notice, lost reasons."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import LostReason, User
from scheduling.operations import settings as ops
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .settings_forms import MAX_POSITION, ActiveForm, MoveForm, OrganisationForm, ReasonForm


def _get_reason(admin: User, reason_id: int) -> LostReason:
    reason = db.session.get(LostReason, reason_id)
    if reason is None or reason.organisation_id != admin.organisation_id:
        raise NotFound("No such lost reason.")
    return reason


def _rename_form(reason: LostReason, formdata=None) -> ReasonForm:
    form = ReasonForm(formdata=formdata, prefix=f"reason{reason.id}", data={"label": reason.label})
    form.label.label.text = _("Text of the reason %(label)s", label=reason.label)
    return form


def _page(admin: User, status: int = 200, **parts):
    """The settings page; `parts` carries the form that failed (with its errors) or a message."""
    org = admin.organisation
    reasons = ops.lost_reasons(org.id)
    org_form = parts.get("org_form") or OrganisationForm(
        formdata=None,
        data={
            "name": org.name,
            "jitsi_base_url": org.jitsi_base_url or "",
            "default_currency": org.default_currency,
            "no_show_delay_minutes": org.no_show_delay_minutes,
            "privacy_url": org.privacy_url or "",
        },
    )
    failed_rename = parts.get("rename_form")
    rename_forms = {
        reason.id: failed_rename
        if failed_rename is not None and parts.get("reason_id") == reason.id
        else _rename_form(reason)
        for reason in reasons
    }
    return render_template(
        "admin/settings/index.html",
        org=org,
        org_form=org_form,
        add_form=parts.get("add_form") or ReasonForm(formdata=None),
        reasons=reasons,
        rename_forms=rename_forms,
        reason_error=parts.get("reason_error"),
        order_error=parts.get("order_error"),
        default_jitsi=current_app.config["JITSI_BASE_URL"],
    ), status


def _first_error(form) -> str:
    messages = [message for errors in form.errors.values() for message in errors]
    return messages[0] if messages else _("Please try again.")


def _done(message: str):
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for(".settings"))


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    admin = current_user()
    if request.method == "GET":
        return _page(admin)
    form = OrganisationForm()
    if form.validate():
        try:
            changes = ops.update_organisation(
                admin.organisation,
                name=form.name.data,
                jitsi_base_url=form.jitsi_base_url.data or "",
                default_currency=form.default_currency.data,
                no_show_delay_minutes=form.no_show_delay_minutes.data,
                privacy_url=form.privacy_url.data or "",
                actor=admin,
                now=clock.utcnow(),
            )
        except InvalidRequest as exc:
            db.session.rollback()
            for name in exc.fields:
                getattr(form, name).errors.append(_(exc.message))
        else:
            return _done(_("Settings saved.") if changes else _("Nothing changed."))
    return _page(admin, 400, org_form=form)


@bp.post("/settings/lost-reasons")
@roles_required("admin")
def settings_reason_add():
    admin = current_user()
    form = ReasonForm()
    if form.validate():
        try:
            reason = ops.add_lost_reason(admin.organisation, form.label.data, admin, clock.utcnow())
        except InvalidRequest as exc:
            db.session.rollback()
            form.label.errors.append(exc.message)
        else:
            return _done(_("Reason %(label)s added.", label=reason.label))
    return _page(admin, 400, add_form=form)


@bp.post("/settings/lost-reasons/<int:id>")
@roles_required("admin")
def settings_reason_rename(id: int):
    admin = current_user()
    reason = _get_reason(admin, id)
    form = _rename_form(reason, request.form)
    if form.validate():
        try:
            changes = ops.rename_lost_reason(reason, form.label.data, admin, clock.utcnow())
        except InvalidRequest as exc:
            db.session.rollback()
            form.label.errors.append(exc.message)
        else:
            return _done(_("Reason renamed.") if changes else _("Nothing changed."))
    return _page(admin, 400, rename_form=form, reason_id=reason.id)


@bp.post("/settings/lost-reasons/<int:id>/move")
@roles_required("admin")
def settings_reason_move(id: int):
    admin = current_user()
    reason = _get_reason(admin, id)
    form = MoveForm()
    if not form.validate():
        return _page(admin, 400, reason_error=_first_error(form), reason_id=reason.id)
    moves = ops.move_lost_reason(reason, form.direction.data, admin, clock.utcnow())
    return _done(_("Order saved.") if moves else _("Nothing changed: it is already at that end."))


@bp.post("/settings/lost-reasons/<int:id>/active")
@roles_required("admin")
def settings_reason_active(id: int):
    admin = current_user()
    reason = _get_reason(admin, id)
    form = ActiveForm()
    if not form.validate():
        return _page(admin, 400, reason_error=_first_error(form), reason_id=reason.id)
    active = form.active.data == "yes"
    ops.set_lost_reason_active(reason, active, admin, clock.utcnow())
    if active:
        return _done(_("%(label)s is offered again.", label=reason.label))
    return _done(_("%(label)s is no longer offered; past outcomes keep it.", label=reason.label))


def _positions(reasons: list[LostReason]) -> dict[int, int]:
    """Read `position-<id>` for every reason, or raise a clear InvalidRequest."""
    positions = {}
    for reason in reasons:
        raw = request.form.get(f"position-{reason.id}")
        if raw is None:
            raise InvalidRequest(
                _("The list of reasons changed meanwhile. Please reload the page and try again.")
            )
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_POSITION:
            raise InvalidRequest(
                _(
                    "Positions are whole numbers from 1 to %(max)s; check the one of %(label)s.",
                    max=MAX_POSITION,
                    label=reason.label,
                )
            )
        positions[reason.id] = int(raw)
    return positions


@bp.post("/settings/lost-reasons/order")
@roles_required("admin")
def settings_reason_order():
    admin = current_user()
    reasons = ops.lost_reasons(admin.organisation_id)
    try:
        moves = ops.reorder_lost_reasons(
            admin.organisation_id, _positions(reasons), admin, clock.utcnow()
        )
    except InvalidRequest as exc:
        db.session.rollback()
        return _page(admin, 400, order_error=exc.message)
    return _done(_("Order saved.") if moves else _("Nothing changed."))
