"""Settings -> Single sign-on (admins only): the organisation's OpenID Connect issuer.

Saving fetches the issuer's discovery document (short timeout, public addresses only unless the
installation allows private ones) and refuses settings it cannot check.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import SsoConfig, User
from scheduling.operations import sso_settings as ops
from scheduling.remote.oidc_types import OidcError
from scheduling.web.admin.access import current_user, roles_required, secret_key
from scheduling.web.admin.blueprint import bp
from scheduling.web.urls import public_url

from .sso_forms import RemoveSsoForm, SsoForm


def _form(admin: User, config: SsoConfig | None, formdata=None) -> SsoForm:
    data = {}
    if config is not None:
        data = {
            "issuer": config.issuer,
            "client_id": config.client_id,
            "allowed_domains": "\n".join(config.allowed_domains or []),
            "jit_enabled": config.jit_enabled,
            "jit_role": config.jit_role,
            "password_login_disabled": config.password_login_disabled,
            "break_glass_user_id": config.break_glass_user_id,
        }
    form = SsoForm(formdata=formdata, data=data)
    form.break_glass_user_id.choices = [
        SelectChoice("", _("— nobody —")),
        *(
            SelectChoice(str(user.id), f"{user.name} <{user.email}>")
            for user in ops.break_glass_candidates(admin.organisation_id)
        ),
    ]
    return form


def _page(admin: User, form: SsoForm, config: SsoConfig | None, status: int = 200, error=None):
    org = admin.organisation
    return render_template(
        "admin/settings/sso.html",
        form=form,
        config=config,
        error=error,
        redirect_uri=public_url("admin.sso_callback"),
        org_link=public_url("admin.sso_org", slug=org.slug),
        break_glass=config.break_glass_user if config else None,
        remove_form=RemoveSsoForm(formdata=None),
    ), status


@bp.get("/settings/sso")
@roles_required("admin")
def settings_sso():
    admin = current_user()
    config = ops.sso_config(admin.organisation_id)
    return _page(admin, _form(admin, config), config)


@bp.post("/settings/sso")
@roles_required("admin")
def settings_sso_save():
    admin = current_user()
    config = ops.sso_config(admin.organisation_id)
    form = _form(admin, config, request.form)
    if not form.validate():
        return _page(admin, form, config, 400)
    try:
        from scheduling.remote.oidc import discover  # httpx and joserfc: loaded on use

        provider = discover(form.issuer.data, ops.net_policy())
    except OidcError as exc:
        form.issuer.errors.append(exc.message)
        return _page(admin, form, config, 400)
    data = ops.SsoInput(
        issuer=form.issuer.data,
        client_id=form.client_id.data,
        client_secret=form.client_secret.data or "",
        allowed_domains=form.allowed_domains.domains,
        jit_enabled=form.jit_enabled.data,
        jit_role=form.jit_role.data,
        password_login_disabled=form.password_login_disabled.data,
        break_glass_user_id=form.break_glass_user_id.data,
    )
    try:
        ops.save_sso(admin.organisation, data, provider, secret_key(), admin, clock.utcnow())
    except InvalidRequest as exc:
        db.session.rollback()
        for name in exc.fields or {}:
            getattr(form, name).errors.append(_(exc.template))
        return _page(admin, form, config, 400, error=None if exc.fields else _(exc.template))
    db.session.commit()
    flash(_("Single sign-on saved. The issuer %(issuer)s answered.", issuer=provider.issuer), "ok")
    return redirect(url_for(".settings_sso"))


@bp.post("/settings/sso/remove")
@roles_required("admin")
def settings_sso_remove():
    admin = current_user()
    form = RemoveSsoForm()
    if form.validate() and ops.remove_sso(admin.organisation, admin, clock.utcnow()):
        db.session.commit()
        flash(_("Single sign-on removed: everybody signs in with a password again."), "ok")
    return redirect(url_for(".settings_sso"))
