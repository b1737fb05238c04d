"""Admin accounts: login, rate limits, sessions, CSRF, password change, two-factor."""

import re

import pyotp
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, User
from tests.conftest import FROZEN_NOW, PASSWORD, csrf_from, login, post_form


def test_login_and_logout(client, make_user, frozen_now):
    user = make_user(role="manager", name="Mia Manager")
    assert client.get("/admin/").status_code == 302  # not logged in: sent to the login page
    response = login(client, user.email.upper())  # emails are case-insensitive
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    home = client.get("/admin/")
    assert home.status_code == 200 and "Hello, Mia Manager" in home.text
    client.post("/admin/logout", data={"csrf_token": csrf_from(home.text)})
    assert client.get("/admin/").status_code == 302


def test_secure_cookie_outside_debug_and_testing(app):
    from scheduling import create_app

    prod = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32})
    assert prod.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_default_secret():
    from scheduling.config import DEFAULT_SECRET_KEY, config_problems

    problems = config_problems({"SECRET_KEY": DEFAULT_SECRET_KEY, "PUBLIC_URL": "https://b.eu"})
    assert problems == ["SECRET_KEY is the built-in default; set RENDEZVOUS_SECRET_KEY"]


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user, frozen_now):
    user = make_user()
    wrong = login(client, user.email, "wrong password!")
    unknown = login(client, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text


def test_failed_logins_are_rate_limited_per_account_and_address(client, make_user, frozen_now):
    user = make_user()
    for _ in range(5):
        assert login(client, user.email, "nope nope nope").status_code == 400
    blocked = login(client, user.email)  # even the right password waits, from this address
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text and blocked.headers["Retry-After"]


def test_failed_logins_are_rate_limited_per_address(client, make_user, frozen_now):
    user = make_user()
    for number in range(20):
        login(client, f"guess{number}@example.com", "nope nope nope")
    assert login(client, user.email).status_code == 429


def test_login_needs_csrf(client, make_user):
    user = make_user()
    response = client.post("/admin/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text


def test_next_only_goes_to_local_admin_paths(client, make_user, frozen_now):
    user = make_user()
    page = client.get("/admin/login?next=https://evil.example/")
    response = client.post(
        "/admin/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/admin/"


def test_inactive_user_cannot_log_in(client, make_user, frozen_now):
    user = make_user()
    user.active = False
    db.session.commit()
    assert login(client, user.email).status_code == 400


def test_change_password_signs_out_other_sessions(app, client, make_user, frozen_now):
    user = make_user()
    other = app.test_client()
    assert login(other, user.email).status_code == 302
    assert login(client, user.email).status_code == 302
    response = post_form(
        client,
        "/admin/account",
        {
            "current_password": PASSWORD,
            "new_password": "a much better one",
            "confirm": "a much better one",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # this session stays
    assert other.get("/admin/").status_code == 302  # the other one is out
    client.post("/admin/logout", data={"csrf_token": csrf_from(client.get("/admin/").text)})
    assert login(client, user.email, "a much better one").status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password"))


def test_change_password_errors(client, login_as, frozen_now):
    login_as("rep")
    wrong = post_form(
        client,
        "/admin/account",
        {
            "current_password": "not it at all",
            "new_password": "a much better one",
            "confirm": "a much better one",
        },
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    short = post_form(
        client,
        "/admin/account",
        {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert short.status_code == 400
    differ = post_form(
        client,
        "/admin/account",
        {
            "current_password": PASSWORD,
            "new_password": "a much better one",
            "confirm": "a much better two",
        },
    )
    assert differ.status_code == 400 and "The two passwords differ." in differ.text


def test_two_factor_setup_and_login(app, client, login_as, frozen_now):
    user = login_as("admin")
    page = client.get("/admin/account/two-factor")
    assert 'src="data:image/svg+xml' in page.text  # QR drawn by the app itself
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page.text).group(1)
    bad = client.post(
        "/admin/account/two-factor", data={"code": "000000", "csrf_token": csrf_from(page.text)}
    )
    assert bad.status_code == 400
    code = pyotp.TOTP(secret).at(FROZEN_NOW)
    ok = client.post(
        "/admin/account/two-factor", data={"code": code, "csrf_token": csrf_from(page.text)}
    )
    assert ok.status_code == 302
    db.session.rollback()
    assert db.session.get(User, user.id).totp_enabled
    assert secret not in (db.session.get(User, user.id).totp_secret_encrypted or "")

    fresh = app.test_client()
    step = login(fresh, user.email)
    assert step.headers["Location"] == "/admin/login/code"
    assert fresh.get("/admin/").status_code == 302  # not logged in before the code
    code_page = fresh.get("/admin/login/code")
    wrong = fresh.post(
        "/admin/login/code", data={"code": "123456", "csrf_token": csrf_from(code_page.text)}
    )
    assert wrong.status_code == 400 and "not valid" in wrong.text
    right = fresh.post(
        "/admin/login/code", data={"code": code, "csrf_token": csrf_from(code_page.text)}
    )
    assert right.status_code == 302
    assert fresh.get("/admin/").status_code == 200


def test_cli_create_user_and_reset_password(runner, make_org, client, frozen_now):
    make_org(slug="solo")
    result = runner.invoke(
        args=[
            "rendezvous",
            "create-user",
            "--email",
            "Boss@Example.com",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert login(client, "boss@example.com", "a long password").status_code == 302
    result = runner.invoke(
        args=[
            "rendezvous",
            "reset-password",
            "--email",
            "boss@example.com",
            "--password",
            "another long one",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "changed" in result.output
    bad = runner.invoke(
        args=[
            "rendezvous",
            "create-user",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "rep",
            "--password",
            "a long password",
        ]
    )
    assert bad.exit_code != 0 and "linked to a host" in bad.output


def test_demo_prints_one_login_per_role_and_they_work(runner, client):
    result = runner.invoke(args=["rendezvous", "demo"])
    for role, email, password in re.findall(r"(\w+)\s+(\S+@\S+)\s+password: (\S+)", result.output):
        fresh = client.application.test_client()
        assert login(fresh, email, password).status_code == 302, role
    assert len(re.findall(r"password: ", result.output)) == 3


def test_login_form_renders_real_input_types(client):
    page = client.get("/admin/login").text
    assert 'type="password"' in page and "None" not in page
