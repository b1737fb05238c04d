"""API keys for admins: create (the key is shown once), list with last use, revoke."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import ApiKey
from scheduling.operations import api_keys as ops
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .integration_forms import ApiKeyForm


def _page(admin, form, status=200):
    keys = db.session.scalars(
        select(ApiKey)
        .where(ApiKey.organisation_id == admin.organisation_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
    ).all()
    return render_template("admin/api_keys/index.html", keys=keys, form=form), status


@bp.route("/api-keys", methods=["GET", "POST"])
@roles_required("admin")
def api_keys():
    admin = current_user()
    if request.method == "GET":
        return _page(admin, ApiKeyForm(formdata=None))
    form = ApiKeyForm()
    if form.validate():
        try:
            key, token = ops.create_api_key(admin, form.name.data, form.scope.data, clock.utcnow())
        except InvalidRequest as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                getattr(form, name).errors.append(message)
        else:
            db.session.commit()
            page = render_template("admin/api_keys/created.html", key=key, token=token)
            # Shown once: the browser must not keep it (back button, history, disk cache).
            return page, 201, {"Cache-Control": "no-store"}
    return _page(admin, form, 400)


@bp.post("/api-keys/<int:id>/revoke")
@roles_required("admin")
def api_keys_revoke(id: int):
    admin = current_user()
    key = db.session.get(ApiKey, id)
    if key is None or key.organisation_id != admin.organisation_id:
        raise NotFound("No such API key.")
    ops.revoke_api_key(key, admin, clock.utcnow())
    db.session.commit()
    flash(_("API key %(name)s revoked.", name=key.name), "ok")
    return redirect(url_for(".api_keys"))
