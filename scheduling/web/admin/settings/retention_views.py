"""Settings -> Retention (admins only): how long personal data is kept, and a dry run."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.delivery.mail import mail_folder
from scheduling.extensions import db
from scheduling.models import User
from scheduling.operations import settings as ops
from scheduling.operations.retention import count_due
from scheduling.security.retention_periods import DEFAULTS, KINDS, periods_from
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .retention_forms import LABELS, RetentionForm


def _filled_form(admin: User) -> RetentionForm:
    periods = periods_from(admin.organisation.retention_periods)
    data = {}
    for kind in KINDS:
        data[f"{kind}_amount"] = str(periods[kind].amount)
        data[f"{kind}_unit"] = periods[kind].unit
    return RetentionForm(formdata=None, data=data)


def _page(admin: User, form: RetentionForm, status: int = 200):
    counts = count_due(
        clock.utcnow(), mail_folder(current_app.instance_path), admin.organisation_id
    )
    return render_template(
        "admin/settings/retention.html",
        form=form,
        kinds=KINDS,
        labels=LABELS,
        defaults=DEFAULTS,
        due=counts.organisation(admin.organisation_id),
        installation=counts.installation,
    ), status


@bp.route("/settings/retention", methods=["GET"])
@roles_required("admin")
def settings_retention():
    admin = current_user()
    return _page(admin, _filled_form(admin))


@bp.post("/settings/retention")
@roles_required("admin")
def settings_retention_save():
    admin = current_user()
    form = RetentionForm()
    if not form.validate():
        return _page(admin, form, 400)
    try:
        periods = form.periods()
    except ValueError:
        return _page(admin, form, 400)
    changes = ops.update_retention_periods(admin.organisation, periods, admin, clock.utcnow())
    db.session.commit()
    flash(_("Retention periods saved.") if changes else _("Nothing changed."), "ok")
    return redirect(url_for(".settings_retention"))
