"""User management (admins only): list, edit, turn off two-factor; new users are invited."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Host, User
from scheduling.operations import accounts
from scheduling.operations.users import update_user
from scheduling.web.admin.access import current_user, get_user, roles_required
from scheduling.web.admin.blueprint import bp

from .auth_forms import ConfirmForm
from .user_forms import NO_HOST, UserEditForm


def _org_hosts(organisation_id: int) -> list[Host]:
    return list(
        db.session.scalars(
            select(Host).where(Host.organisation_id == organisation_id).order_by(Host.name)
        )
    )


def _host_choices(organisation_id: int, editing: User | None = None) -> list[SelectChoice]:
    """Every host of the organisation, saying which ones already have a login."""
    owners = dict(
        db.session.execute(
            select(User.host_id, User.name).where(
                User.organisation_id == organisation_id, User.host_id.is_not(None)
            )
        ).all()
    )
    choices = [SelectChoice(NO_HOST, _("— no host —"))]
    for host in _org_hosts(organisation_id):
        label = host.name if host.active else _("%(name)s (inactive)", name=host.name)
        owner = owners.get(host.id)
        if owner and (editing is None or editing.host_id != host.id):
            label = _("%(host)s — linked to %(owner)s", host=label, owner=owner)
        choices.append(SelectChoice(str(host.id), label))
    return choices


def _field_errors(form, exc: InvalidRequest) -> str | None:
    """Show a domain error next to its field; return it when no field of the form matches."""
    shown = False
    for name in exc.fields:
        field = getattr(form, name, None)
        if field is not None:
            field.errors.append(exc.message)
            shown = True
    return None if shown else exc.message


def _host(host_id: int | None) -> Host | None:
    """The chosen host; the operations check it belongs to the organisation."""
    return db.session.get(Host, host_id) if host_id is not None else None


@bp.get("/users")
@roles_required("admin")
def users():
    admin = current_user()
    people = db.session.scalars(
        select(User).where(User.organisation_id == admin.organisation_id).order_by(User.name)
    ).all()
    return render_template("admin/users/index.html", people=people, admin=admin)


@bp.get("/users/new")
@roles_required("admin")
def users_create():
    """Accounts are made by invitation now: the person chooses their own password."""
    return redirect(url_for(".invitations_create"))


def _edit_page(admin: User, person: User, **forms):
    edit_form = forms.get("edit_form")
    if edit_form is None:
        edit_form = UserEditForm(
            data={
                "name": person.name,
                "role": person.role,
                "host_id": str(person.host_id or NO_HOST),
                "active": person.active,
            }
        )
    edit_form.host_id.choices = _host_choices(admin.organisation_id, person)
    return render_template(
        "admin/users/edit.html",
        person=person,
        admin=admin,
        edit_form=edit_form,
        confirm_form=ConfirmForm(formdata=None),
        error=forms.get("error"),
    )


@bp.route("/users/<int:id>", methods=["GET", "POST"])
@roles_required("admin")
def users_edit(id: int):
    admin = current_user()
    person = get_user(admin, id)
    if request.method == "GET":
        return _edit_page(admin, person)
    form = UserEditForm()
    form.host_id.choices = _host_choices(admin.organisation_id, person)
    error = None
    if form.validate():
        try:
            changes = update_user(
                person,
                name=form.name.data,
                role=form.role.data,
                host=_host(form.chosen_host_id()),
                active=form.active.data,
                actor=admin,
                now=clock.utcnow(),
            )
        except InvalidRequest as exc:
            db.session.rollback()
            error = _field_errors(form, exc)
        else:
            db.session.commit()
            flash(_("User saved.") if changes else _("Nothing changed."), "ok")
            return redirect(url_for(".users_edit", id=person.id))
    return _edit_page(admin, person, edit_form=form, error=error), 400


@bp.post("/users/<int:id>/two-factor-off")
@roles_required("admin")
def users_totp_off(id: int):
    admin = current_user()
    person = get_user(admin, id)
    # The form is only a button: CSRFProtect has checked its token before this view runs.
    if not person.totp_enabled:
        flash(_("Two-factor login was already off for %(name)s.", name=person.name), "ok")
    else:
        accounts.disable_totp(person, admin, clock.utcnow())
        db.session.commit()
        flash(_("Two-factor login is off for %(name)s.", name=person.name), "ok")
    return redirect(url_for(".users_edit", id=person.id))
