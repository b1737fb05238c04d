"""Login, two-factor step, logout, own account (password, two-factor)."""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for

from scheduling import clock
from scheduling.errors import InvalidRequest, PermissionDenied, RateLimited
from scheduling.extensions import db
from scheduling.models import User
from scheduling.operations import accounts
from scheduling.web.admin.access import (
    client_address,
    current_user,
    login_required,
    login_user,
    secret_key,
)
from scheduling.web.admin.blueprint import bp

from .auth_forms import ChangePasswordForm, ConfirmForm, EnableTotpForm, LoginForm, TotpForm

PENDING_2FA = "pending_2fa"
PENDING_TOTP_SECRET = "pending_totp_secret"  # noqa: S105 (a session key, not a secret)
PENDING_2FA_SECONDS = 300


def _safe_next(target: str | None) -> str:
    """Only local admin paths: never redirect off-site after login."""
    if (
        target
        and target.startswith("/admin")
        and not urlsplit(target).netloc
        and "\\" not in target
    ):
        return target
    return url_for("admin.home")


def _answer(page: str, status: int, retry_after: int | None):
    """The page with its status; a throttled attempt says when to try again (Retry-After)."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return page, status, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user():
        return redirect(url_for("admin.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    status = 200
    retry_after = None
    if form.validate_on_submit():
        now = clock.utcnow()
        try:
            result = accounts.authenticate(
                form.email.data, form.password.data, client_address(), now
            )
        except (InvalidRequest, PermissionDenied, RateLimited) as exc:
            db.session.commit()  # keep the failed attempt for the rate limit
            error, status = exc.message, exc.status
            retry_after = getattr(exc, "retry_after", None)
        else:
            if result.needs_totp:
                db.session.commit()
                session.clear()
                session[PENDING_2FA] = {
                    "uid": result.user.id,
                    "at": now.timestamp(),
                    "next": _safe_next(form.next.data),
                }
                return redirect(url_for("admin.login_totp"))
            accounts.finish_login(result.user, now)
            db.session.commit()
            login_user(result.user)
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        status = 400
    return _answer(render_template("admin/login.html", form=form, error=error), status, retry_after)


@bp.route("/login/code", methods=["GET", "POST"])
def login_totp():
    pending = session.get(PENDING_2FA)
    now = clock.utcnow()
    if not pending or now.timestamp() - pending["at"] > PENDING_2FA_SECONDS:
        session.pop(PENDING_2FA, None)
        flash("Please log in again.", "warning")
        return redirect(url_for("admin.login"))
    user = db.session.get(User, pending["uid"])
    if user is None or not user.active:
        session.clear()
        return redirect(url_for("admin.login"))
    form = TotpForm()
    error = None
    status = 200
    retry_after = None
    if form.validate_on_submit():
        try:
            accounts.verify_totp(user, form.code.data, secret_key(), client_address(), now)
        except (InvalidRequest, PermissionDenied, RateLimited) as exc:
            db.session.commit()
            error, status = exc.message, exc.status
            retry_after = getattr(exc, "retry_after", None)
        else:
            accounts.finish_login(user, now)
            db.session.commit()
            target = pending.get("next")
            login_user(user)
            return redirect(_safe_next(target))
    elif request.method == "POST":
        status = 400
    page = render_template("admin/login_totp.html", form=form, error=error)
    return _answer(page, status, retry_after)


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        session.clear()
    return redirect(url_for("admin.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user()
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user, form.current_password.data, form.new_password.data, clock.utcnow()
            )
        except InvalidRequest as exc:
            db.session.rollback()
            form.current_password.errors.append(exc.message)
            status = 400
        else:
            db.session.commit()
            login_user(user)  # keep this session, sign out the others
            flash("Your password was changed. Other sessions were signed out.", "ok")
            return redirect(url_for("admin.account"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/account.html", form=form, user=user, confirm_form=ConfirmForm()
    ), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    user = current_user()
    if user.totp_enabled:
        return redirect(url_for("admin.account"))
    secret = session.get(PENDING_TOTP_SECRET) or accounts.new_totp_secret()
    session[PENDING_TOTP_SECRET] = secret
    form = EnableTotpForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.enable_totp(user, secret, form.code.data, secret_key(), clock.utcnow())
        except InvalidRequest as exc:
            db.session.rollback()
            form.code.errors.append(exc.message)
            status = 400
        else:
            db.session.commit()
            session.pop(PENDING_TOTP_SECRET, None)
            login_user(user)
            flash("Two-factor login is on.", "ok")
            return redirect(url_for("admin.account"))
    elif request.method == "POST":
        status = 400
    uri = accounts.totp_uri(user, secret)
    import segno  # QR codes only here: not loaded in every worker

    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template("admin/two_factor.html", form=form, qr=qr, secret=secret), status


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off():
    user = current_user()
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.disable_totp(user, user, clock.utcnow())
        db.session.commit()
        flash("Two-factor login is off.", "ok")
    return redirect(url_for("admin.account"))
