"""Single sign-on: start at the organisation's identity provider, and come back signed in.

The start (`/admin/login/sso/<slug>`, or the address form) keeps state, nonce and the PKCE
verifier in the signed session, for SSO_LOGIN_SECONDS and one callback only, then redirects to
the issuer. The callback checks state, trades the code, checks the ID token (remote/oidc.py) and
the account rules (operations/sso_login.py), then logs in like a password login, without the
app's two-factor step: the identity provider does multi-factor authentication. Every refusal is
a page saying why, a counted login attempt and an audit entry; never an error 500.
"""

import hmac
import re

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.errors import N_, InvalidRequest, NotFound, RateLimited
from scheduling.extensions import db
from scheduling.models import SsoConfig
from scheduling.operations import sso_login
from scheduling.operations.sso_settings import client_secret, net_policy
from scheduling.remote.oidc_types import OidcError, Provider, new_login_secrets
from scheduling.web.admin.access import client_address, current_user, login_user, secret_key
from scheduling.web.admin.blueprint import bp
from scheduling.web.urls import public_url

from .auth_forms import SsoEmailForm
from .auth_views import _answer, _safe_next

PENDING_SSO = "pending_sso"
NOT_SET_UP = N_(
    "Single sign-on is not set up for this address. Sign in with your password, "
    "or ask your administrator."
)
START_AGAIN = N_("This sign-in has expired or was already used. Please start again.")


def _sso_page(form: SsoEmailForm, error: str | None, status: int, retry_after=None):
    page = render_template("admin/login_sso.html", form=form, error=error)
    return _answer(page, status, retry_after)


@bp.route("/login/sso", methods=["GET", "POST"])
def sso_start():
    if current_user():
        return redirect(url_for("admin.home"))
    form = SsoEmailForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return _sso_page(form, None, 200)
    if not form.validate_on_submit():
        return _sso_page(form, None, 400)
    config = sso_login.config_for_email(form.email.data)
    if config is None:
        return _sso_page(form, _(NOT_SET_UP), 400)
    # A page that continues by itself (meta refresh): the issuer is another origin, and the
    # CSP's form-action 'self' forbids a form submission to end there by redirects.
    target = url_for(
        "admin.sso_org",
        slug=config.organisation.slug,
        login_hint=form.email.data.strip(),
        next=_safe_next(form.next.data),
    )
    return render_template("admin/login_sso_continue.html", target=target, config=config)


@bp.get("/login/sso/<slug>")
def sso_org(slug: str):
    """The organisation's sign-in link: straight to its identity provider."""
    if current_user():
        return redirect(url_for("admin.home"))
    config = sso_login.config_for_slug(slug)
    if config is None:
        raise NotFound("No organisation uses single sign-on at this address.")
    login = new_login_secrets()
    session.pop(PENDING_SSO, None)
    session[PENDING_SSO] = {
        "config": config.id,
        "state": login.state,
        "nonce": login.nonce,
        "verifier": login.code_verifier,
        "at": clock.utcnow().timestamp(),
        "next": _safe_next(request.args.get("next")),
    }
    hint = request.args.get("login_hint", "").strip()[:254]
    from scheduling.remote import oidc  # httpx, joserfc, cryptography: loaded on first use

    provider = Provider.from_dict(config.provider)
    url = oidc.authorization_url(
        provider, config.client_id, public_url("admin.sso_callback"), login, hint
    )
    return redirect(url)


def _pending_config(pending: dict | None, now) -> SsoConfig | None:
    """The settings this callback belongs to, if its sign-in is known and still fresh."""
    if not isinstance(pending, dict):
        return None
    age = now.timestamp() - float(pending.get("at", 0))
    if not 0 <= age <= current_app.config["SSO_LOGIN_SECONDS"]:
        return None
    return db.session.get(SsoConfig, pending.get("config"))


def _signed_in_user(config: SsoConfig, pending: dict, address: str, now):
    """Check the callback, the code exchange and the ID token; the user, or SsoRefused."""
    args = request.args
    state = args.get("state", "")
    state_ok = hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode())
    if args.get("error"):
        # An error answer (RFC 6749 4.1.2.1): its code is shown; its free text only when the
        # state proves it answers this sign-in (some providers leave the state out of errors).
        error = re.sub(r"[^A-Za-z0-9_.-]", "", args.get("error", ""))[:60]
        detail = args.get("error_description", "")[:300] if state_ok else ""
        raise sso_login.refuse(
            config,
            "",
            address,
            f"Sign-on refused by the identity provider: {error}",
            _(
                "Your identity provider did not sign you in (%(error)s). %(detail)s",
                error=error,
                detail=detail,
            ).strip(),
            now,
        )
    if not state_ok:
        raise sso_login.refuse(
            config,
            "",
            address,
            "Sign-on refused: the state did not match this browser's sign-in",
            _("This sign-in could not be verified (its state does not match). Please start again."),
            now,
        )
    code = args.get("code", "")
    if not code:
        raise sso_login.refuse(
            config,
            "",
            address,
            "Sign-on refused: no code",
            _("The identity provider sent no sign-in code."),
            now,
        )
    from scheduling.remote import oidc  # httpx, joserfc, cryptography: loaded on first use

    policy = net_policy()
    provider = Provider.from_dict(config.provider)
    try:
        id_token = oidc.exchange_code(
            provider,
            config.client_id,
            client_secret(config, secret_key()),
            public_url("admin.sso_callback"),
            code,
            pending["verifier"],
            policy,
        )
        keys = oidc.fetch_keys(provider, policy)
        claims = oidc.validate_id_token(
            id_token, keys, config.issuer, config.client_id, pending["nonce"], now
        )
    except OidcError as exc:
        raise sso_login.refuse(
            config, "", address, f"Sign-on failed: {exc.message}", exc.message, now
        ) from None
    return sso_login.complete_login(config, claims, address, now)


@bp.get("/login/sso/callback")
def sso_callback():
    pending = session.pop(PENDING_SSO, None)
    now = clock.utcnow()
    address = client_address()
    form = SsoEmailForm(formdata=None)
    config = None
    try:
        sso_login.check_attempts(address, now)
        config = _pending_config(pending, now)
        if config is None:
            raise sso_login.refuse(None, "", address, "", _(START_AGAIN), now)
        user = _signed_in_user(config, pending, address, now)
    except RateLimited as exc:
        db.session.rollback()
        return _sso_page(form, exc.message, exc.status, exc.retry_after)
    except sso_login.SsoRefused as exc:
        db.session.commit()  # keep the attempt and the audit entry
        return _sso_page(form, _(exc.template, **exc.params), exc.status)
    except InvalidRequest as exc:  # an account that cannot be made (e.g. host address taken)
        db.session.rollback()
        shown = _(exc.template, **exc.params)
        refusal = sso_login.refuse(
            config, "", address, f"Sign-on refused: {exc.message}", shown, now
        )
        db.session.commit()
        return _sso_page(form, shown, refusal.status)
    db.session.commit()
    login_user(user)
    return redirect(_safe_next(pending.get("next")))
