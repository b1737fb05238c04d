"""Settings > Calendar connections: the organisation's Google and Microsoft apps (admins only).

The secret is stored encrypted and never rendered back; the page shows the redirect address to
register at the provider and the scopes the app will ask for.
"""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import PROVIDERS
from scheduling.operations import calendar_connections as ops
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .calendar_app_forms import ProviderAppForm


def _page(forms: dict | None = None, status: int = 200):
    org_id = current_user().organisation_id
    rows = []
    for name in PROVIDERS:
        app = ops.provider_app(org_id, name)
        form = (forms or {}).get(name)
        if form is None:
            form = ProviderAppForm(formdata=None, prefix=name)
            form.client_id.data = app.client_id if app else ""
        rows.append(
            {
                "name": name,
                "label": ops.PROVIDER_NAMES[name],
                "app": app,
                "form": form,
                "redirect_uri": ops.redirect_uri(name),
                "scopes": ops.provider(name).scopes,
            }
        )
    return render_template("admin/settings/calendar_apps.html", rows=rows), status


@bp.get("/settings/calendar-apps")
@roles_required("admin")
def settings_calendar_apps():
    return _page()


@bp.post("/settings/calendar-apps/<provider>")
@roles_required("admin")
def settings_calendar_app_save(provider: str):
    if provider not in PROVIDERS:
        raise NotFound("No such calendar provider.")
    user = current_user()
    form = ProviderAppForm(prefix=provider)
    if not form.validate_on_submit():
        return _page({provider: form}, 400)
    try:
        ops.save_provider_app(
            user.organisation,
            provider,
            form.client_id.data or "",
            form.client_secret.data or "",
            clock.utcnow(),
        )
    except InvalidRequest as exc:
        db.session.rollback()
        for name, message in exc.fields.items():
            getattr(form, name).errors = [message]
        return _page({provider: form}, 400)
    db.session.commit()
    flash(_("%(provider)s settings saved.", provider=ops.PROVIDER_NAMES[provider]), "ok")
    return redirect(url_for("admin.settings_calendar_apps"))


@bp.post("/settings/calendar-apps/<provider>/remove")
@roles_required("admin")
def settings_calendar_app_remove(provider: str):
    if provider not in PROVIDERS:
        raise NotFound("No such calendar provider.")
    removed = ops.remove_provider_app(current_user().organisation, provider)
    db.session.commit()
    if removed:
        flash(
            _(
                "%(provider)s settings removed; its connections stop syncing.",
                provider=ops.PROVIDER_NAMES[provider],
            ),
            "ok",
        )
    return redirect(url_for("admin.settings_calendar_apps"))
