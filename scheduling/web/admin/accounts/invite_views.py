"""Invitations (admins: any role; managers: reps only), set-password links, and the link page.

The person invited, or sent a set-password link, opens the emailed link and chooses their own
password; a used, expired, revoked or replaced link shows a page saying so.
"""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from scheduling import clock
from scheduling.errors import N_, InvalidRequest, PermissionDenied
from scheduling.extensions import db
from scheduling.operations import account_links, accounts
from scheduling.operations.sso_settings import password_login_refusal
from scheduling.web.admin.access import (
    current_user,
    get_user,
    login_user,
    roles_required,
    secret_key,
)
from scheduling.web.admin.blueprint import bp

from .auth_forms import ConfirmForm
from .invite_forms import NEW_HOST, InviteForm, SetPasswordForm
from .user_views import _field_errors, _host, _host_choices

# Per reason a link does not work: status, title and explanation (msgids, translated when shown).
UNUSABLE = {
    "unknown": (
        404,
        N_("This link does not work"),
        N_(
            "The link is not valid. It may be incomplete, or a newer email replaced it. "
            "Ask the person who sent it for a new one."
        ),
    ),
    "used": (
        410,
        N_("This link was used already"),
        N_(
            "Each link works once. If you set your password, log in with it; "
            "otherwise ask for a new link."
        ),
    ),
    "revoked": (
        410,
        N_("This link was withdrawn"),
        N_(
            "The link no longer works. Ask the person who sent it for a new one "
            "if you still need access."
        ),
    ),
    "expired": (
        410,
        N_("This link has expired"),
        N_(
            "The link was valid for a limited time only. "
            "Ask the person who sent it to send it again."
        ),
    ),
}


def _invite_form(actor) -> InviteForm:
    form = InviteForm()
    form.limit_roles(account_links.roles_for(actor))
    form.host_id.choices = [
        SelectChoice(NEW_HOST, _("— create a new host with this name and email —")),
        *_host_choices(actor.organisation_id),
    ]
    return form


@bp.get("/invitations")
@roles_required("admin", "manager")
def invitations():
    actor = current_user()
    return render_template(
        "admin/users/invitations.html",
        links=account_links.open_invitations(actor),
        now=clock.utcnow(),
        actor=actor,
        button_form=ConfirmForm(formdata=None),
    )


@bp.route("/invitations/new", methods=["GET", "POST"])
@roles_required("admin", "manager")
def invitations_create():
    actor = current_user()
    form = _invite_form(actor)
    error = None
    status = 200
    if request.method == "GET" and request.args.get("host_id") in {
        choice.value for choice in form.host_id.choices
    }:
        form.host_id.data = request.args["host_id"]  # "Invite a rep" for a chosen host
    if form.validate_on_submit():
        try:
            link = account_links.invite_user(
                actor,
                form.name.data,
                form.email.data,
                form.role.data,
                _host(form.chosen_host_id()),
                clock.utcnow(),
                new_host=form.wants_new_host(),
            )
        except PermissionDenied as exc:
            db.session.rollback()
            error, status = exc.message, 403
        except InvalidRequest as exc:
            db.session.rollback()
            error, status = _field_errors(form, exc), 400
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=link.email), "ok")
            return redirect(url_for(".invitations"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/users/invite.html", form=form, error=error, actor=actor), status


def _act_on_invitation(id: int, action, done):
    """Resend or revoke; `done(email)` is the message on success."""
    actor = current_user()
    link = account_links.get_invitation(actor, id)
    try:
        action(actor, link, clock.utcnow())
    except InvalidRequest as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    else:
        db.session.commit()
        flash(done(link.email), "ok")
    return redirect(url_for(".invitations"))


@bp.post("/invitations/<int:id>/resend")
@roles_required("admin", "manager")
def invitations_resend(id: int):
    # CSRFProtect has checked the button form's token before this view runs.
    return _act_on_invitation(
        id,
        account_links.resend_invitation,
        lambda email: _(
            "Sent a new link to %(email)s; the earlier link no longer works.", email=email
        ),
    )


@bp.post("/invitations/<int:id>/revoke")
@roles_required("admin", "manager")
def invitations_revoke(id: int):
    return _act_on_invitation(
        id,
        account_links.revoke_invitation,
        lambda email: _(
            "The invitation to %(email)s is revoked; its link no longer works.", email=email
        ),
    )


@bp.post("/users/<int:id>/password-link")
@roles_required("admin")
def users_password_link(id: int):
    admin = current_user()
    person = get_user(admin, id)
    if not person.active:
        flash(_("%(name)s is deactivated: activate them first.", name=person.name), "warning")
        return redirect(url_for(".users_edit", id=person.id))
    account_links.send_password_link(admin, person, clock.utcnow())
    db.session.commit()
    flash(
        _(
            "Sent a set-password link to %(email)s. "
            "Their current password works until they use it.",
            email=person.email,
        ),
        "ok",
    )
    return redirect(url_for(".users_edit", id=person.id))


def _unusable_page(reason: str):
    status, title, text = UNUSABLE[reason]
    page = render_template("admin/users/link_unusable.html", title=_(title), text=_(text))
    return page, status


@bp.route("/link/<int:link_id>/<token>", methods=["GET", "POST"])
def account_link(link_id: int, token: str):
    now = clock.utcnow()
    try:
        link = account_links.find_link(secret_key(), link_id, token, now)
    except account_links.LinkUnusable as exc:
        return _unusable_page(exc.reason)
    form = SetPasswordForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = account_links.use_link(link, form.password.data, now)
        except InvalidRequest as exc:
            db.session.rollback()
            error, status = _field_errors(form, exc), 400
        except account_links.LinkUnusable as exc:
            db.session.rollback()
            return _unusable_page(exc.reason)
        else:
            refusal = password_login_refusal(user)
            if link.purpose == "invite" and refusal is not None:
                # Password login is off for the organisation: the account exists now, and
                # its owner signs in through the identity provider, not with this password.
                db.session.commit()
                flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "ok")
                flash(_(refusal), "info")
                return redirect(url_for(".login"))
            if link.purpose == "invite":
                accounts.finish_login(user, now)
                db.session.commit()
                login_user(user)
                flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "ok")
                return redirect(url_for(".home"))
            db.session.commit()
            session.clear()
            flash(_("Your new password is set. Log in with it."), "ok")
            return redirect(url_for(".login"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/users/set_password.html", form=form, link=link, error=error
    ), status
