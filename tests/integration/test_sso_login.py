"""Single sign-on end to end: the real app (test client) against a real OpenID Connect provider
on loopback (oidc-provider-mock): discovery, PKCE, state, nonce, code exchange, ID token checks,
account matching, just-in-time accounts, refusals, password login off and the break-glass admin.
"""

import html
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import AuditEntry, LoginAttempt, User
from scheduling.operations.account_links import invite_user
from scheduling.operations.accounts import enable_totp
from scheduling.operations.sso_settings import SsoInput, save_sso
from scheduling.remote.oidc import NetPolicy, discover
from scheduling.security.account_links import account_link_token
from tests.conftest import FROZEN_NOW, TEST_SECRET, csrf_from, login
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

DOMAIN = "northwind.example"
# The provider (a test tool) runs on Authlib interfaces that warn they are deprecated
# (authlib.jose, get_jwt_config); the warnings come from its server thread while a test runs.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:oidc_provider_mock"),
]


def configure(org, admin, issuer, **changes):
    values = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allowed_domains": [DOMAIN],
        "jit_enabled": False,
        "jit_role": "rep",
        "password_login_disabled": False,
        "break_glass_user_id": None,
    }
    values.update(changes)
    provider = discover(issuer, NetPolicy(allow_private=True))
    save_sso(org, SsoInput(**values), provider, TEST_SECRET, admin, FROZEN_NOW)
    db.session.commit()


@pytest.fixture
def idp():
    with running_provider() as provider:
        yield provider


@pytest.fixture
def world(app, client, idp, make_org, make_user):
    app.config["SSO_ALLOW_PRIVATE"] = True
    org = make_org(slug="northwind")
    admin = make_user(role="admin", org=org, email=f"ada@{DOMAIN}", name="Ada Admin")
    rep = make_user(role="rep", org=org, email=f"rita@{DOMAIN}", name="Rita Rep")
    configure(org, admin, idp.issuer)
    return SimpleNamespace(org=org, admin=admin, rep=rep, idp=idp, client=client)


def start(client, slug="northwind") -> str:
    answer = client.get(f"/admin/login/sso/{slug}")
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def sign_in(world, sub: str, claims: dict | None = None, **change):
    """The whole round trip; the app's answer to the callback."""
    if claims is not None:
        world.idp.set_person(sub, **claims)
    callback = world.idp.sign_in(start(world.client), sub, **change)
    return world.client.get(callback)


def text(answer) -> str:
    return html.unescape(answer.text)


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def attempts(success: bool) -> int:
    db.session.rollback()
    query = select(LoginAttempt).where(LoginAttempt.success.is_(success))
    return len(list(db.session.scalars(query)))


def logout(client) -> None:
    token = csrf_from(client.get("/admin/account").text)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302


def signed_in(client) -> bool:
    return client.get("/admin/account").status_code == 200


def test_known_user_signs_in_with_pkce_state_and_nonce(world):
    world.idp.set_person("rita", email=f"Rita@{DOMAIN.upper()}", email_verified=True)
    # Two-factor on in the app: single sign-on skips it (the identity provider does MFA).
    seed = pyotp.random_base32()
    enable_totp(world.rep, seed, pyotp.TOTP(seed).now(), TEST_SECRET, clock.utcnow())
    db.session.commit()
    location = start(world.client)
    query = parse_qs(urlsplit(location).query)
    with world.client.session_transaction("/admin/") as session:
        pending = dict(session["pending_sso"])
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [create_s256_code_challenge(pending["verifier"])]
    assert query["state"] == [pending["state"]] and query["nonce"] == [pending["nonce"]]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["redirect_uri"] == ["http://localhost/admin/login/sso/callback"]

    answer = world.client.get(world.idp.sign_in(location, "rita"))
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    assert signed_in(world.client)
    assert {"/oauth2/token", "/jwks"} <= set(world.idp.tweaks.seen)
    [entry] = audit("user.sso_login")
    assert entry.object_id == world.rep.id and entry.organisation_id == world.org.id
    assert attempts(True) == 1


def test_start_by_email_continues_at_the_provider(world):
    assert 'href="/admin/login/sso"' in world.client.get("/admin/login").text
    page = world.client.get("/admin/login/sso")
    answer = world.client.post(
        "/admin/login/sso",
        data={"email": f"rita@{DOMAIN}", "csrf_token": csrf_from(page.text)},
    )
    assert answer.status_code == 200
    target = html.unescape(answer.text.split('id="sso-continue" href="')[1].split('"')[0])
    assert target.startswith("/admin/login/sso/northwind?")
    # It continues by itself: a form submission may not end at another origin by redirects
    # (CSP form-action 'self'), a refresh to the app's own start link may.
    refresh = html.unescape(answer.text.split('http-equiv="refresh" content="')[1].split('"')[0])
    assert refresh == f"0; url={target}"
    location = world.client.get(target).headers["Location"]
    assert location.startswith(world.idp.issuer)
    assert parse_qs(urlsplit(location).query)["login_hint"] == [f"rita@{DOMAIN}"]


def test_start_by_email_without_sso_says_so(world, make_user):
    outsider = make_user(role="manager", email="olga@elsewhere.example")
    page = world.client.get("/admin/login/sso")
    answer = world.client.post(
        "/admin/login/sso", data={"email": outsider.email, "csrf_token": csrf_from(page.text)}
    )
    assert answer.status_code == 400
    assert "not set up for this address" in text(answer)
    assert world.client.get("/admin/login/sso/nobody-here").status_code == 404


def test_just_in_time_account_gets_the_default_role_and_a_host(world):
    configure(world.org, world.admin, world.idp.issuer, jit_enabled=True, jit_role="rep")
    claims = {"email": f"nina@{DOMAIN}", "email_verified": True, "name": "Nina New"}
    answer = sign_in(world, "nina", claims)
    assert answer.status_code == 302, text(answer)
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == f"nina@{DOMAIN}"))
    assert user.role == "rep" and user.name == "Nina New"
    assert user.organisation_id == world.org.id and user.host.email == f"nina@{DOMAIN}"
    assert "account created as rep" in audit("user.sso_login")[0].summary
    assert signed_in(world.client)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        # Unknown address, just-in-time accounts off.
        ({"email": f"uma@{DOMAIN}", "email_verified": True}, "has no account in this organisation"),
        # A known address, but not verified by the provider.
        ({"email": f"rita@{DOMAIN}", "email_verified": False}, "did not confirm a verified email"),
        ({"email": f"rita@{DOMAIN}"}, "did not confirm a verified email"),
    ],
)
def test_refusals_by_account(world, claims, message):
    answer = sign_in(world, "someone", claims)
    assert answer.status_code == 403
    assert message in text(answer)
    assert not signed_in(world.client)
    assert len(audit("sso.login_refused")) == 1 and attempts(False) == 1
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == f"uma@{DOMAIN}")) is None


def test_domain_not_allowed_even_with_just_in_time(world):
    configure(world.org, world.admin, world.idp.issuer, jit_enabled=True)
    answer = sign_in(world, "eve", {"email": "eve@gmail.example", "email_verified": True})
    assert answer.status_code == 403
    assert "this domain may not sign in" in text(answer)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "eve@gmail.example")) is None


def test_account_of_another_organisation_or_deactivated_is_refused(world, make_user):
    other = make_user(role="manager", email=f"otto@{DOMAIN}")  # another organisation
    answer = sign_in(world, "otto", {"email": other.email, "email_verified": True})
    assert answer.status_code == 403 and "no account in this organisation" in text(answer)
    world.rep.active = False
    db.session.commit()
    answer = sign_in(world, "rita", {"email": world.rep.email, "email_verified": True})
    assert answer.status_code == 403 and "deactivated" in text(answer)


def test_tampered_state_is_refused(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    callback = world.idp.sign_in(start(world.client), "rita")
    answer = world.client.get(callback.replace("state=", "state=x"))
    assert answer.status_code == 403 and "state does not match" in text(answer)
    assert not signed_in(world.client)


def test_replayed_callback_is_refused(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    callback = world.idp.sign_in(start(world.client), "rita")
    assert world.client.get(callback).status_code == 302
    logout(world.client)
    answer = world.client.get(callback)
    assert answer.status_code == 403 and "expired or was already used" in text(answer)
    assert not signed_in(world.client)


def test_denied_at_the_provider_says_so(world):
    answer = world.client.get(world.idp.sign_in(start(world.client), "rita", deny=True))
    assert answer.status_code == 403
    assert "did not sign you in (access_denied)" in text(answer)
    assert (
        "refused by the identity provider: access_denied" in audit("sso.login_refused")[0].summary
    )


def test_a_code_the_provider_does_not_know_is_refused(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    callback = world.idp.sign_in(start(world.client), "rita")
    answer = world.client.get(callback.replace("code=", "code=forged"))
    assert answer.status_code == 403
    assert "The identity provider refused the sign-in (invalid_grant)" in text(answer)
    assert not signed_in(world.client)


def test_a_sign_in_left_too_long_at_the_provider_must_start_again(world, monkeypatch):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    callback = world.idp.sign_in(start(world.client), "rita")
    later = clock.utcnow() + timedelta(seconds=601)  # SSO_LOGIN_SECONDS is 600
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    answer = world.client.get(callback)
    assert answer.status_code == 403 and "expired or was already used" in text(answer)
    assert "/oauth2/token" not in world.idp.tweaks.seen


def test_callback_without_a_started_sign_in_is_refused(world):
    answer = world.client.get("/admin/login/sso/callback?code=abc&state=def")
    assert answer.status_code == 403 and "Please start again" in text(answer)


def test_wrong_nonce_is_refused(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    answer = sign_in(world, "rita", nonce="a-nonce-from-another-sign-in")
    assert answer.status_code == 403 and "belongs to another sign-in (nonce)" in text(answer)


def test_token_from_another_issuer_is_refused(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    world.idp.tweaks.hosts["/oauth2/token"] = world.idp.other_name()
    answer = sign_in(world, "rita")
    assert answer.status_code == 403 and "issued by another issuer" in text(answer)


def test_token_for_another_client_is_refused(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    world.idp.tweaks.token_client_id = "another-app"
    answer = sign_in(world, "rita", client_id="another-app")
    assert answer.status_code == 403 and "another application (audience)" in text(answer)


def test_expired_token_is_refused(world, monkeypatch):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    later = clock.utcnow() + timedelta(hours=2)  # the provider's tokens live one hour
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    answer = sign_in(world, "rita")
    assert answer.status_code == 403 and "it has expired" in text(answer)


def test_provider_gone_at_callback_is_a_clear_refusal(world):
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    callback = world.idp.sign_in(start(world.client), "rita")
    world.idp.stop()
    answer = world.client.get(callback)
    assert answer.status_code == 403 and "could not be reached" in text(answer)
    assert "Sign-on failed" in audit("sso.login_refused")[0].summary


def passwords_off(world) -> None:
    configure(
        world.org,
        world.admin,
        world.idp.issuer,
        password_login_disabled=True,
        break_glass_user_id=world.admin.id,
    )


def test_password_login_off_leaves_only_the_break_glass_admin(world, client):
    passwords_off(world)
    answer = login(client, world.rep.email)
    assert answer.status_code == 403 and "single sign-on" in text(answer)
    assert login(client, world.rep.email, "wrong password").status_code == 400
    assert not signed_in(client)
    # Single sign-on still works for the same person.
    world.idp.set_person("rita", email=world.rep.email, email_verified=True)
    assert sign_in(world, "rita").status_code == 302 and signed_in(client)
    logout(client)
    # The break-glass admin signs in with a password; the audit log says so.
    assert login(client, world.admin.email).status_code == 302 and signed_in(client)
    [entry] = audit("user.break_glass_login")
    assert entry.object_id == world.admin.id


def test_break_glass_admin_stays_under_the_login_limits(world, client):
    passwords_off(world)
    for _ in range(5):
        assert login(client, world.admin.email, "not the password").status_code == 400
    answer = login(client, world.admin.email)
    assert answer.status_code == 429 and answer.headers["Retry-After"]


def test_an_invitation_accepted_while_password_login_is_off_does_not_sign_in(world, client):
    passwords_off(world)
    link = invite_user(world.admin, "Nora New", f"nora@{DOMAIN}", "manager", None, FROZEN_NOW)
    db.session.commit()
    token = account_link_token(TEST_SECRET, link.id, link.nonce, link.purpose)
    url = f"/admin/link/{link.id}/{token}"
    page = client.get(url)
    assert page.status_code == 200
    data = {"password": "x" * 12, "confirm": "x" * 12, "csrf_token": csrf_from(page.text)}
    answer = client.post(url, data=data)
    # The account exists, but its owner signs in through the identity provider.
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/login")
    assert not signed_in(client)
    follow = client.get("/admin/login")
    assert "Your account is ready" in text(follow) and "single sign-on" in text(follow)
    assert db.session.scalar(select(User).where(User.email == f"nora@{DOMAIN}")) is not None
    assert login(client, f"nora@{DOMAIN}", "x" * 12).status_code == 403
