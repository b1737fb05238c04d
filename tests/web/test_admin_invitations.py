"""Invitations and set-password links, through the admin forms, the outbox email and the link.

No admin types another person's password: the person gets a single-use, expiring link by email
and chooses it. Managers invite reps only.
"""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import AccountLink, AuditEntry, Host, OutboxMessage, User
from tests.conftest import FROZEN_NOW, PASSWORD, csrf_from, login, post_form

LINK_RE = re.compile(r"https?://[^/\s]+(/admin/link/\d+/[A-Za-z0-9_-]+)")
NEW_PASSWORD = "my own long secret"


def text(response) -> str:
    return html.unescape(response.text)


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def user_by_email(email: str) -> User | None:
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def invite(client, **fields):
    data = {"name": "Nina New", "email": "nina@example.com", "role": "rep", "host_id": "new"}
    data.update(fields)
    return post_form(client, "/admin/invitations/new", data)


def deliver(app) -> None:
    Worker(app, worker_id="test-worker").run_once()


def links_to(sink, address: str) -> list[str]:
    """The account links in the emails this address received, oldest first."""
    found = []
    for item in sink.to(address):
        body = item.message.get_body(("plain",)).get_content()
        found += LINK_RE.findall(body)
    return found


def set_password(client, path: str, password=NEW_PASSWORD, confirm=None):
    page = client.get(path)
    assert page.status_code == 200, page.text
    data = {"password": password, "confirm": confirm if confirm is not None else password}
    return client.post(path, data={**data, "csrf_token": csrf_from(page.text)})


def test_invite_email_link_password_login(app, client, login_as, smtp_server, moving_clock):
    admin = login_as("admin", name="Ada Admin")
    response = invite(
        client, name="Max Manager", email="Max@Example.com", role="manager", host_id=""
    )
    assert response.status_code == 302
    listing = text(client.get("/admin/invitations"))
    assert "Max Manager" in listing and "max@example.com" in listing
    assert user_by_email("max@example.com") is None  # the account exists once accepted
    deliver(app)
    (received,) = smtp_server.to("max@example.com")
    message = received.message
    assert "You are invited to Acme Sales" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "as manager" in body and "password" in body.lower()
    (path,) = LINK_RE.findall(message.get_body(("html",)).get_content())
    assert links_to(smtp_server, "max@example.com") == [path]
    # The database keeps no token: only a nonce, from which the token needs the app secret.
    (link,) = db.session.scalars(select(AccountLink))
    token = path.rsplit("/", 1)[1]
    assert token != link.nonce and link.nonce not in path

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200 and "Choose your password" in text(page)
    assert 'type="password"' in page.text
    done = set_password(invitee, path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/")
    home = invitee.get("/admin/")
    assert home.status_code == 200 and "Max Manager" in text(home)  # logged in at once
    max_ = user_by_email("max@example.com")
    assert max_.role == "manager" and max_.organisation_id == admin.organisation_id
    assert login(app.test_client(), "max@example.com", NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), "max@example.com", "anything else!").status_code == 400

    again = app.test_client().get(path)
    assert again.status_code == 410 and "used already" in text(again)
    late = app.test_client()
    csrf = csrf_from(late.get("/admin/login").text)
    data = {"password": "x" * 12, "confirm": "x" * 12, "csrf_token": csrf}
    reused = late.post(path, data=data)
    assert reused.status_code == 410
    assert "Max Manager" not in text(client.get("/admin/invitations"))  # no longer open
    (invited,) = audit("user.invite")
    assert invited.actor_id == admin.id and "max@example.com" in invited.summary
    (accepted,) = audit("user.invite_accept")
    assert accepted.actor_id == max_.id


def test_rep_invitation_creates_a_linked_host(app, client, login_as, smtp_server, moving_clock):
    manager = login_as("manager")
    response = invite(client, name="Rita Rep", email="rita@example.com")
    assert response.status_code == 302
    db.session.rollback()
    host = db.session.scalar(select(Host).where(Host.email == "rita@example.com"))
    assert host.name == "Rita Rep" and host.organisation_id == manager.organisation_id
    assert host.tz == manager.organisation.tz
    assert "Rita Rep" in text(client.get("/admin/invitations"))
    deliver(app)
    (path,) = links_to(smtp_server, "rita@example.com")
    assert set_password(app.test_client(), path).status_code == 302
    rita = user_by_email("rita@example.com")
    assert rita.role == "rep" and rita.host_id == host.id
    assert audit("host.create")[-1].actor_id == manager.id


def test_rep_invitation_with_an_existing_host(app, client, login_as, make_host, moving_clock):
    admin = login_as("admin")
    host = make_host(org=admin.organisation, name="Free Host")
    page = text(client.get("/admin/invitations/new"))
    assert "Free Host" in page and "create a new host" in page
    assert invite(client, host_id=str(host.id)).status_code == 302
    (link,) = db.session.scalars(select(AccountLink))
    assert link.host_id == host.id and link.role == "rep"
    assert db.session.scalar(select(Host).where(Host.email == "nina@example.com")) is None
    # The host is promised: a second invitation for it is refused.
    again = invite(client, email="other@example.com", host_id=str(host.id))
    assert again.status_code == 400 and "promised to a pending invitation" in text(again)


def test_a_manager_cannot_invite_an_admin_or_manager(client, login_as, moving_clock):
    login_as("manager")
    page = text(client.get("/admin/invitations/new"))
    assert "Managers may invite reps only" in page
    assert 'value="admin"' not in page and 'value="manager"' not in page
    for role in ("admin", "manager"):
        response = invite(client, role=role, host_id="")
        assert response.status_code == 403, role
        assert "Managers may invite reps only" in text(response)
    db.session.rollback()
    assert db.session.scalars(select(AccountLink)).all() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert db.session.scalars(select(Host)).all() == []  # no host was made on the way either


def test_reps_cannot_invite(client, login_as, moving_clock):
    login_as("rep")
    assert client.get("/admin/invitations").status_code == 403
    assert client.get("/admin/invitations/new").status_code == 403
    csrf = csrf_from(client.get("/admin/account").text)
    data = {"name": "X", "email": "x@example.com", "role": "rep", "host_id": "new"}
    assert (
        client.post("/admin/invitations/new", data={**data, "csrf_token": csrf}).status_code == 403
    )
    db.session.rollback()
    assert db.session.scalars(select(AccountLink)).all() == []


def test_an_expired_link_is_refused(app, client, login_as, smtp_server, moving_clock):
    login_as("admin")
    invite(client)
    deliver(app)
    (path,) = links_to(smtp_server, "nina@example.com")
    invitee = app.test_client()
    page = invitee.get(path)  # still fine, with its form
    moving_clock.now = FROZEN_NOW + timedelta(days=7, seconds=1)
    late = invitee.get(path)
    assert late.status_code == 410 and "expired" in text(late)
    posted = invitee.post(
        path,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert posted.status_code == 410
    assert user_by_email("nina@example.com") is None
    assert "expired" in text(client.get("/admin/invitations"))


def test_a_revoked_link_is_refused(app, client, login_as, smtp_server, moving_clock):
    login_as("admin")
    invite(client)
    deliver(app)
    (path,) = links_to(smtp_server, "nina@example.com")
    (link,) = db.session.scalars(select(AccountLink))
    response = post_form(client, f"/admin/invitations/{link.id}/revoke", {}, "/admin/invitations")
    assert response.status_code == 302
    assert "is revoked" in text(client.get("/admin/invitations"))
    page = app.test_client().get(path)
    assert page.status_code == 410 and "withdrawn" in text(page)
    assert user_by_email("nina@example.com") is None
    assert len(audit("user.invite_revoke")) == 1
    # Revoked twice: a message, not a second entry; resending a revoked invitation neither.
    post_form(client, f"/admin/invitations/{link.id}/revoke", {}, "/admin/invitations")
    post_form(client, f"/admin/invitations/{link.id}/resend", {}, "/admin/invitations")
    assert len(audit("user.invite_revoke")) == 1 and audit("user.invite_resend") == []


def test_resending_kills_the_old_link(app, client, login_as, smtp_server, moving_clock):
    login_as("admin")
    invite(client)
    deliver(app)
    (link,) = db.session.scalars(select(AccountLink))
    moving_clock.now = FROZEN_NOW + timedelta(days=6)
    response = post_form(client, f"/admin/invitations/{link.id}/resend", {}, "/admin/invitations")
    assert response.status_code == 302
    deliver(app)
    old, new = links_to(smtp_server, "nina@example.com")
    assert old != new
    dead = app.test_client().get(old)
    assert dead.status_code == 404 and "does not work" in text(dead)
    moving_clock.now = FROZEN_NOW + timedelta(days=12)  # the new link has 7 days of its own
    assert set_password(app.test_client(), new).status_code == 302
    assert user_by_email("nina@example.com").role == "rep"
    assert len(audit("user.invite_resend")) == 1


def test_an_undelivered_email_of_a_resent_link_is_dropped(
    app, client, login_as, smtp_server, moving_clock
):
    login_as("admin")
    invite(client)
    (link,) = db.session.scalars(select(AccountLink))
    post_form(client, f"/admin/invitations/{link.id}/resend", {}, "/admin/invitations")
    deliver(app)
    assert len(links_to(smtp_server, "nina@example.com")) == 1  # only the live link goes out
    statuses = sorted(m.status for m in db.session.scalars(select(OutboxMessage)))
    assert statuses == ["done", "dropped"]


@pytest.mark.parametrize("mangle", ["token", "id", "huge id", "unicode"])
def test_a_tampered_link_shows_a_clear_page(
    app, client, login_as, smtp_server, moving_clock, mangle
):
    login_as("admin")
    invite(client)
    deliver(app)
    (path,) = links_to(smtp_server, "nina@example.com")
    _, _, _, link_id, token = path.split("/")
    bad = {
        "token": f"/admin/link/{link_id}/{token[:-2]}xx",
        "id": f"/admin/link/{int(link_id) + 1}/{token}",
        "huge id": f"/admin/link/{2**70}/{token}",
        "unicode": f"/admin/link/{link_id}/%C3%A9%E2%82%AC{token[2:]}",
    }[mangle]
    page = app.test_client().get(bad)
    assert page.status_code == 404
    # A huge id is refused by the app's URL rule already (its general "not found" page).
    assert "does not work" in text(page) or mangle == "huge id"


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "The password needs 10 to 256 characters."),
        ("long enough one", "another one!", "The two passwords differ."),
        ("", "", "Enter a password."),
    ],
)
def test_the_password_policy_holds_on_the_link(
    app, client, login_as, smtp_server, moving_clock, password, confirm, message
):
    login_as("admin")
    invite(client)
    deliver(app)
    (path,) = links_to(smtp_server, "nina@example.com")
    invitee = app.test_client()
    response = set_password(invitee, path, password, confirm)
    assert response.status_code == 400 and message in text(response)
    assert user_by_email("nina@example.com") is None
    assert set_password(invitee, path).status_code == 302  # the link still works afterwards


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter the person's name."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": "TAKEN@example.com"}, "A user with this email exists already."),
        ({"role": "owner"}, "Choose a role from the list."),
        ({"role": "rep", "host_id": ""}, "A rep must be linked to a host."),
        ({"host_id": "abc"}, "Choose a host from the list."),
        ({"host_id": "LINKED"}, "is already linked to Lars Linked"),
        ({"host_id": "FOREIGN"}, "Choose a host from the list."),
    ],
)
def test_invitation_validation(
    client, login_as, make_user, make_host, moving_clock, fields, message
):
    admin = login_as("admin")
    linked = make_host(org=admin.organisation, name="Lara Host")
    make_user(role="rep", host=linked, name="Lars Linked", email="taken@example.com")
    foreign = make_host()
    fields["host_id"] = {"LINKED": str(linked.id), "FOREIGN": str(foreign.id)}.get(
        fields.get("host_id"), fields.get("host_id", "new")
    )
    hosts_before = len(db.session.scalars(select(Host)).all())
    response = invite(client, **fields)
    assert response.status_code == 400 and message in text(response)
    db.session.rollback()
    assert db.session.scalars(select(AccountLink)).all() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert len(db.session.scalars(select(Host)).all()) == hosts_before


def test_a_pending_invitation_is_not_sent_twice(client, login_as, moving_clock):
    login_as("admin")
    assert invite(client, host_id="", role="manager").status_code == 302
    again = invite(client, host_id="", role="manager", email="NINA@example.com")
    assert again.status_code == 400 and "pending invitation already" in text(again)


def test_invitations_of_other_organisations_and_roles_are_not_found(
    app, client, login_as, make_user, moving_clock
):
    admin = login_as("admin")
    invite(client, role="admin", host_id="", email="boss@example.com")
    (admin_invite,) = db.session.scalars(select(AccountLink))
    manager = make_user(role="manager", org=admin.organisation)
    theirs = app.test_client()
    assert login(theirs, manager.email).status_code == 302
    assert "boss@example.com" not in text(theirs.get("/admin/invitations"))
    for action in ("resend", "revoke"):
        url = f"/admin/invitations/{admin_invite.id}/{action}"
        assert post_form(theirs, url, {}, "/admin/invitations").status_code == 404
    stranger = app.test_client()
    assert login(stranger, make_user(role="admin").email).status_code == 302
    for action in ("resend", "revoke"):
        url = f"/admin/invitations/{admin_invite.id}/{action}"
        assert post_form(stranger, url, {}, "/admin/invitations").status_code == 404
    assert client.post(f"/admin/invitations/{admin_invite.id}/revoke").status_code == 400  # CSRF
    db.session.rollback()
    assert db.session.get(AccountLink, admin_invite.id).revoked_at is None


def test_the_create_user_form_asks_for_no_password(client, login_as, make_user, moving_clock):
    admin = login_as("admin")
    new = client.get("/admin/users/new")
    assert new.status_code == 302 and new.headers["Location"].endswith("/admin/invitations/new")
    form = client.get("/admin/invitations/new").text
    assert 'type="password"' not in form
    rep = make_user(role="rep", org=admin.organisation)
    edit = client.get(f"/admin/users/{rep.id}").text
    assert 'type="password"' not in edit and "Send a set-password link" in edit


def test_a_set_password_link_replaces_typing_a_password(
    app, client, login_as, make_user, smtp_server, moving_clock
):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation, name="Rob Rep", email="rob@example.com")
    theirs = app.test_client()
    assert login(theirs, rep.email).status_code == 302
    url = f"/admin/users/{rep.id}/password-link"
    for _ in range(2):
        assert post_form(client, url, {}, f"/admin/users/{rep.id}").status_code == 302
        deliver(app)
    assert theirs.get("/admin/").status_code == 200  # nothing changes until the link is used
    first, second = links_to(smtp_server, "rob@example.com")
    (received, _) = smtp_server.to("rob@example.com")
    assert "Set your Rendezvous password" in received.message["Subject"]
    assert app.test_client().get(first).status_code == 410  # the newer link replaced it
    assert login(app.test_client(), rep.email).status_code == 302  # old password still works
    done = set_password(app.test_client(), second)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/login")
    signed_out = theirs.get("/admin/")
    assert signed_out.status_code == 302 and "/admin/login" in signed_out.headers["Location"]
    assert login(app.test_client(), rep.email, PASSWORD).status_code == 400
    assert login(app.test_client(), rep.email, NEW_PASSWORD).status_code == 302
    assert app.test_client().get(second).status_code == 410
    sent = audit("user.password_link")
    assert len(sent) == 2 and sent[0].actor_id == admin.id
    assert audit("user.password_link_used")[0].actor_id == rep.id


def test_an_address_taken_before_acceptance_gets_a_clear_message(
    app, client, login_as, make_user, smtp_server, moving_clock
):
    admin = login_as("admin")
    invite(client, role="manager", host_id="")
    deliver(app)
    (path,) = links_to(smtp_server, "nina@example.com")
    make_user(role="manager", org=admin.organisation, email="nina@example.com")  # e.g. by CLI
    response = set_password(app.test_client(), path)
    assert response.status_code == 400
    assert "A user with this email exists already." in text(response)
    db.session.rollback()
    (link,) = db.session.scalars(select(AccountLink))
    assert link.used_at is None
    assert audit("user.invite_accept") == []


def test_no_set_password_link_for_a_deactivated_user(
    app, client, login_as, make_user, smtp_server, moving_clock
):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation, email="rob@example.com")
    url = f"/admin/users/{rep.id}/password-link"
    assert post_form(client, url, {}, f"/admin/users/{rep.id}").status_code == 302
    deliver(app)
    (path,) = links_to(smtp_server, "rob@example.com")
    rep = db.session.get(User, rep.id)
    rep.active = False
    db.session.commit()
    page = app.test_client().get(path)
    assert page.status_code == 410 and "withdrawn" in text(page)
    refused = post_form(client, url, {}, f"/admin/users/{rep.id}")
    assert "is deactivated" in text(client.get(refused.headers["Location"]))
    assert len(audit("user.password_link")) == 1


def test_the_hosts_page_leads_to_the_invitation(client, login_as, make_host, moving_clock):
    manager = login_as("manager")
    host = make_host(org=manager.organisation, name="Hanna Host")
    assert "/admin/invitations/new" in client.get("/admin/hosts").text
    page = client.get(f"/admin/invitations/new?host_id={host.id}").text
    assert f'<option selected value="{host.id}">' in page
    assert client.get("/admin/invitations/new?host_id=99999").status_code == 200


def test_a_manager_resends_and_revokes_rep_invitations(app, client, login_as, moving_clock):
    manager = login_as("manager")
    invite(client)
    (link,) = db.session.scalars(select(AccountLink))
    for action in ("resend", "revoke"):
        url = f"/admin/invitations/{link.id}/{action}"
        assert post_form(client, url, {}, "/admin/invitations").status_code == 302
    assert [e.actor_id for e in audit("user.invite_resend")] == [manager.id]
    assert [e.actor_id for e in audit("user.invite_revoke")] == [manager.id]
    assert "Nina New" not in text(client.get("/admin/invitations"))
    assert "Invitations</a>" in client.get("/admin/").text  # in the navigation


def test_invitations_show_in_the_audit_log(client, login_as, moving_clock):
    login_as("admin")
    invite(client)
    log = text(client.get("/admin/audit?action=user.invite"))
    assert "Invited nina@example.com as rep" in log
