"""Privacy (admins only): find everything about one person by email, export it (JSON and a
readable HTML page), correct it, erase it; and the erasure requests invitees sent.

The address travels in POST bodies, never in a URL, so it stays out of logs and history.
Every action writes an audit entry that holds counts and a keyed hash, not the address.
"""

import json

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.delivery.mail import mail_folder
from scheduling.errors import NotFound
from scheduling.extensions import db
from scheduling.models import PrivacyRequest, User
from scheduling.operations import privacy_requests as requests_ops
from scheduling.operations.subject_export import export_subject
from scheduling.operations.subject_requests import (
    audit_request,
    erase_subject,
    find_subject,
    open_requests_for,
    rectify_subject,
)
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .privacy_forms import EraseForm, RectifyForm, SearchForm, SubjectForm

EXPORT_KINDS = ("json", "html")


def _mail_dir():
    return mail_folder(current_app.instance_path)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _request_of(admin: User, raw: str | None) -> PrivacyRequest | None:
    """The request a form names (of the admin's organisation), or None; another's: 404."""
    if not raw:
        return None
    try:
        request_id = int(raw)
    except ValueError:
        raise NotFound("No such privacy request.") from None
    return requests_ops.get_request(admin.organisation_id, request_id)


def _index(admin: User, search: SearchForm, status: int = 200):
    rows = requests_ops.list_requests(admin.organisation_id)
    return render_template(
        "admin/privacy/index.html",
        search=search,
        requests=rows,
        now=clock.utcnow(),
    ), status


def _person(
    admin: User,
    email: str,
    privacy_request: PrivacyRequest | None = None,
    rectify: RectifyForm | None = None,
    erase: EraseForm | None = None,
    status: int = 200,
):
    found = find_subject(admin.organisation_id, email, _mail_dir())
    data = export_subject(found, admin.organisation, clock.utcnow())
    request_id = str(privacy_request.id) if privacy_request is not None else ""
    hidden = {"email": found.email, "request_id": request_id}
    if rectify is None:
        rectify = RectifyForm(formdata=None, data=hidden)
    if erase is None:
        erase = EraseForm(formdata=None, data=hidden)
    return render_template(
        "admin/privacy/person.html",
        found=found,
        data=data,
        privacy_request=privacy_request,
        export_form=SubjectForm(formdata=None, data=hidden),
        rectify=rectify,
        erase=erase,
        now=clock.utcnow(),
    ), status


@bp.get("/privacy")
@roles_required("admin")
def privacy():
    return _index(current_user(), SearchForm(formdata=None))


@bp.post("/privacy/search")
@roles_required("admin")
def privacy_search():
    admin = current_user()
    form = SearchForm()
    if not form.validate():
        return _index(admin, form, 400)
    return _person(admin, form.email.data)


@bp.get("/privacy/requests/<int:request_id>")
@roles_required("admin")
def privacy_request(request_id: int):
    admin = current_user()
    row = requests_ops.get_request(admin.organisation_id, request_id)
    if not row.is_open:
        flash(_("This request is closed; the address it named is no longer stored."), "ok")
        return redirect(url_for(".privacy"))
    return _person(admin, row.subject_email, row)


@bp.post("/privacy/requests/<int:request_id>/reject")
@roles_required("admin")
def privacy_request_reject(request_id: int):
    admin = current_user()
    row = requests_ops.get_request(admin.organisation_id, request_id)
    if row.is_open:
        requests_ops.reject_request(row, admin, clock.utcnow())
        db.session.commit()
        flash(_("The request was rejected and its address forgotten."), "ok")
    return redirect(url_for(".privacy"))


@bp.post("/privacy/export/<kind>")
@roles_required("admin")
def privacy_export(kind: str):
    if kind not in EXPORT_KINDS:
        raise NotFound("No such export format.")
    admin = current_user()
    form = SubjectForm()
    if not form.validate():
        return _index(admin, SearchForm(formdata=None), 400)
    privacy_request = _request_of(admin, form.request_id.data)
    now = clock.utcnow()
    found = find_subject(admin.organisation_id, form.email.data, _mail_dir())
    data = export_subject(found, admin.organisation, now)
    audit_request(
        admin.organisation_id,
        admin,
        "privacy.export",
        found.counts(),
        _secret(),
        found.email,
        now,
        privacy_request.id if privacy_request else None,
    )
    db.session.commit()
    name = f"personal-data-{now:%Y%m%d-%H%M%S}"
    if kind == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
        mimetype = "application/json"
    else:
        body = render_template("admin/privacy/export.html", data=data)
        mimetype = "text/html"
    return current_app.response_class(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )


@bp.post("/privacy/rectify")
@roles_required("admin")
def privacy_rectify():
    admin = current_user()
    form = RectifyForm()
    privacy_request = _request_of(admin, form.request_id.data)
    if not form.validate():
        return _person(admin, form.email.data or "", privacy_request, rectify=form, status=400)
    now = clock.utcnow()
    changed = rectify_subject(
        admin.organisation_id,
        form.email.data,
        now,
        name=form.name.data or "",
        new_email=form.new_email.data or "",
        phone=form.phone.data or "",
    )
    audit_request(
        admin.organisation_id,
        admin,
        "privacy.rectify",
        changed,
        _secret(),
        form.email.data,
        now,
        privacy_request.id if privacy_request else None,
        verb="Corrected",
    )
    db.session.commit()
    flash(
        _(
            "Corrected %(bookings)s bookings and %(leads)s leads.",
            bookings=changed["bookings"],
            leads=changed["leads"],
        ),
        "ok",
    )
    return _person(admin, form.new_email.data or form.email.data, privacy_request)


@bp.post("/privacy/erase")
@roles_required("admin")
def privacy_erase():
    admin = current_user()
    form = EraseForm()
    privacy_request = _request_of(admin, form.request_id.data)
    if not form.validate():
        return _person(admin, form.email.data or "", privacy_request, erase=form, status=400)
    now = clock.utcnow()
    email = form.email.data
    closing = open_requests_for(admin.organisation_id, email)
    if privacy_request is not None and privacy_request.is_open and privacy_request not in closing:
        closing.append(privacy_request)
    counts = erase_subject(admin.organisation_id, email, now, _mail_dir())
    for row in closing:
        requests_ops.close_request(row, "done", admin, now)
    audit_request(
        admin.organisation_id,
        admin,
        "privacy.erase",
        counts,
        _secret(),
        email,
        now,
        closing[0].id if closing else None,
        verb="Erased",
    )
    db.session.commit()
    flash(
        _("Erased: %(n)s records pseudonymised or deleted.", n=sum(counts.values()))
        + (" " + _("The request is closed.") if closing else ""),
        "ok",
    )
    return redirect(url_for(".privacy"), code=303)
