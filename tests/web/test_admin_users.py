"""User management: admins only, create/edit, last-admin rules, password reset, two-factor off."""

import html

import pyotp
import pytest
from sqlalchemy import select

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import AuditEntry, User
from scheduling.operations.accounts import enable_totp
from scheduling.operations.users import update_user
from tests.conftest import FROZEN_NOW, TEST_SECRET, csrf_from, login, post_form


def text(response) -> str:
    return html.unescape(response.text)


def token(client) -> str:
    return csrf_from(client.get("/admin/account").text)


def fresh(user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def edit_data(person: User, **changes) -> dict:
    data = {
        "name": person.name,
        "role": person.role,
        "host_id": str(person.host_id or ""),
        "active": "y" if person.active else "",
    }
    data.update(changes)
    if not data["active"]:
        del data["active"]  # an unticked checkbox is not sent
    return data


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_are_forbidden(client, login_as, make_user, role, frozen_now):
    me = login_as(role)
    other = make_user(role="rep", org=me.organisation)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.get(f"/admin/users/{other.id}").status_code == 403
    csrf = token(client)
    posts = {
        "/admin/users/new": {"name": "X", "email": "x@example.com", "role": "admin"},
        f"/admin/users/{other.id}": edit_data(other, role="admin"),
        f"/admin/users/{other.id}/password": {"new_password": "x" * 12, "confirm": "x" * 12},
        f"/admin/users/{other.id}/two-factor-off": {},
    }
    for url, data in posts.items():
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    assert fresh(other).role == "rep"
    assert "Users</a>" not in client.get("/admin/").text  # not in the navigation either


def test_list_shows_everyone_of_the_organisation(client, login_as, make_user, make_host):
    admin = login_as("admin", name="Alice Admin")
    host = make_host(org=admin.organisation, name="Rita Host")
    make_user(role="rep", host=host, name="Rita Rep")
    make_user(role="manager", name="Somebody Else")  # another organisation
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "<h1>Users</h1>" in page.text
    assert "Rita Rep" in page.text and "Rita Host" in page.text
    assert "Somebody Else" not in page.text
    assert "Last login (UTC)" in page.text and "never" in page.text


def test_create_a_rep_who_can_then_log_in(app, client, login_as, make_host, frozen_now):
    admin = login_as("admin")
    host = make_host(org=admin.organisation, name="Rita Host")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Rita Rep",
            "email": "Rita@Example.com",
            "role": "rep",
            "host_id": str(host.id),
            "password": "rita's long password",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    rita = db.session.scalar(select(User).where(User.email == "rita@example.com"))
    assert rita.role == "rep" and rita.host_id == host.id
    assert rita.organisation_id == admin.organisation_id
    (entry,) = [e for e in audit("user.create") if e.object_id == rita.id]
    assert entry.actor_id == admin.id and entry.summary == "Created rep rita@example.com"
    assert login(app.test_client(), "rita@example.com", "rita's long password").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter the person's name."),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": ""}, "Enter an email address."),
        ({"email": "taken@example.com"}, "A user with this email exists already."),
        ({"password": "short"}, "The password needs 10 to 256 characters."),
        ({"password": ""}, "Enter an initial password."),
        ({"role": "owner"}, "Choose a role from the list."),
        ({"role": "rep", "host_id": ""}, "A rep must be linked to a host."),
        ({"host_id": "abc"}, "Choose a host from the list."),
        ({"host_id": "LINKED"}, "is already linked to Lars Linked"),
        ({"host_id": "FOREIGN"}, "Choose a host from the list."),
    ],
)
def test_create_validation(client, login_as, make_user, make_host, data, message, frozen_now):
    admin = login_as("admin")
    linked = make_host(org=admin.organisation, name="Lara Host")
    make_user(role="rep", host=linked, name="Lars Linked", email="taken@example.com")
    foreign = make_host()
    free = make_host(org=admin.organisation)
    form = {
        "name": "New Person",
        "email": "new@example.com",
        "role": "manager",
        "host_id": str(free.id),
        "password": "a long enough password",
    }
    form.update(data)
    form["host_id"] = {"LINKED": str(linked.id), "FOREIGN": str(foreign.id)}.get(
        form["host_id"], form["host_id"]
    )
    response = post_form(client, "/admin/users/new", form)
    assert response.status_code == 400
    assert message in text(response)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None
    assert [e.actor_id for e in audit("user.create")] == [None, None]  # the fixtures' users


def test_edit_name_role_host_and_active(client, login_as, make_user, make_host):
    admin = login_as("admin")
    host = make_host(org=admin.organisation, name="Mo Host")
    manager = make_user(role="manager", org=admin.organisation, name="Mo Manager")
    page = client.get(f"/admin/users/{manager.id}")
    assert page.status_code == 200 and "<h1>Mo Manager</h1>" in page.text
    response = post_form(
        client,
        f"/admin/users/{manager.id}",
        edit_data(manager, name="Mo Rep", role="rep", host_id=str(host.id)),
    )
    assert response.status_code == 302
    manager = fresh(manager)
    assert manager.name == "Mo Rep" and manager.role == "rep" and manager.host_id == host.id
    (entry,) = audit("user.update")
    assert entry.changes == {
        "name": ["Mo Manager", "Mo Rep"],
        "role": ["manager", "rep"],
        "host": [None, "Mo Host"],
    }
    response = post_form(client, f"/admin/users/{manager.id}", edit_data(manager, active=""))
    assert response.status_code == 302
    assert fresh(manager).active is False
    assert audit("user.update")[-1].changes == {"active": [True, False]}


def test_deactivated_user_is_signed_out(app, client, login_as, make_user):
    admin = login_as("admin")
    manager = make_user(role="manager", org=admin.organisation)
    theirs = app.test_client()
    assert login(theirs, manager.email).status_code == 302
    response = post_form(client, f"/admin/users/{manager.id}", edit_data(manager, active=""))
    assert response.status_code == 302, text(response)
    assert theirs.get("/admin/").status_code == 302
    assert login(theirs, manager.email).status_code == 400


def test_edit_validation(client, login_as, make_user, make_host):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation)
    other_rep = make_user(role="rep", org=admin.organisation, name="Olga Other")
    cases = [
        (edit_data(rep, host_id=""), "A rep must be linked to a host."),
        (edit_data(rep, host_id=str(other_rep.host_id)), "is already linked to Olga Other"),
        (edit_data(rep, host_id=str(make_host().id)), "Choose a host from the list."),
        (edit_data(rep, role="boss"), "Choose a role from the list."),
        (edit_data(rep, name=""), "Enter the person's name."),
    ]
    for data, message in cases:
        response = post_form(client, f"/admin/users/{rep.id}", data)
        assert response.status_code == 400, message
        assert message in text(response)
    assert audit("user.update") == []


def test_admin_cannot_demote_or_deactivate_themselves(client, login_as, make_user):
    admin = login_as("admin")
    make_user(role="admin", org=admin.organisation)  # so admin is not the last one
    demote = post_form(client, f"/admin/users/{admin.id}", edit_data(admin, role="manager"))
    assert demote.status_code == 400
    assert "You cannot remove your own admin role or deactivate yourself." in text(demote)
    leave = post_form(client, f"/admin/users/{admin.id}", edit_data(admin, active=""))
    assert leave.status_code == 400 and "deactivate yourself" in text(leave)
    rename = post_form(client, f"/admin/users/{admin.id}", edit_data(admin, name="Still Admin"))
    assert rename.status_code == 302
    admin = fresh(admin)
    assert admin.role == "admin" and admin.active and admin.name == "Still Admin"


def test_the_last_active_admin_is_kept(client, login_as, make_user):
    admin = login_as("admin", name="Only Admin")
    response = post_form(client, f"/admin/users/{admin.id}", edit_data(admin, role="manager"))
    assert response.status_code == 400
    assert "Only Admin is the last active admin of the organisation." in text(response)
    assert fresh(admin).role == "admin"
    # With a second admin, one may demote the other, but not the last one standing.
    second = make_user(role="admin", org=admin.organisation, name="Second Admin")
    ok = post_form(client, f"/admin/users/{second.id}", edit_data(second, role="manager"))
    assert ok.status_code == 302 and fresh(second).role == "manager"


def test_last_admin_rule_holds_whoever_asks(make_user, frozen_now):
    """Two admins demoting each other at once: the second change finds no other admin left."""
    admin = make_user(role="admin")
    other = make_user(role="admin", org=admin.organisation)
    update_user(
        other, name=other.name, role="manager", host=None, active=True, actor=admin, now=frozen_now
    )
    db.session.commit()
    with pytest.raises(InvalidRequest, match="last active admin"):
        update_user(
            admin, name=admin.name, role="rep", host=None, active=False, actor=other, now=frozen_now
        )
    db.session.rollback()
    inactive = make_user(role="admin", org=admin.organisation)
    inactive.active = False
    db.session.commit()
    with pytest.raises(InvalidRequest, match="last active admin"):
        update_user(
            admin,
            name=admin.name,
            role="admin",
            host=None,
            active=False,
            actor=other,
            now=frozen_now,
        )


def test_reset_password_signs_the_user_out(app, client, login_as, make_user):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation, name="Rob Rep")
    theirs = app.test_client()
    assert login(theirs, rep.email).status_code == 302
    assert theirs.get("/admin/").status_code == 200
    response = post_form(
        client,
        f"/admin/users/{rep.id}/password",
        {"new_password": "brand new secret", "confirm": "brand new secret"},
        page_url=f"/admin/users/{rep.id}",
    )
    assert response.status_code == 302
    assert "Rob Rep was signed out everywhere" in text(client.get(response.headers["Location"]))
    signed_out = theirs.get("/admin/")
    assert signed_out.status_code == 302 and "/admin/login" in signed_out.headers["Location"]
    assert login(theirs, rep.email).status_code == 400  # the old password is gone
    assert login(theirs, rep.email, "brand new secret").status_code == 302
    (entry,) = audit("user.password")
    assert entry.actor_id == admin.id and entry.object_id == rep.id


def test_reset_own_password_keeps_this_session(client, login_as):
    admin = login_as("admin")
    response = post_form(
        client,
        f"/admin/users/{admin.id}/password",
        {"new_password": "brand new secret", "confirm": "brand new secret"},
        page_url=f"/admin/users/{admin.id}",
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_password": "short", "confirm": "short"}, "The password needs 10 to 256"),
        ({"new_password": "long enough one", "confirm": "another one!"}, "passwords differ"),
        ({"new_password": "", "confirm": ""}, "Enter the new password."),
    ],
)
def test_reset_password_validation(client, login_as, make_user, data, message):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation)
    before = fresh(rep).password_hash
    response = post_form(
        client, f"/admin/users/{rep.id}/password", data, page_url=f"/admin/users/{rep.id}"
    )
    assert response.status_code == 400 and message in text(response)
    assert fresh(rep).password_hash == before
    assert audit("user.password") == []


def test_turn_off_someone_elses_two_factor(client, login_as, make_user, frozen_now):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation, name="Tina Totp")
    secret = pyotp.random_base32()
    enable_totp(rep, secret, pyotp.TOTP(secret).at(FROZEN_NOW), TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    page = client.get(f"/admin/users/{rep.id}")
    assert "Turn off two-factor login" in page.text
    response = client.post(
        f"/admin/users/{rep.id}/two-factor-off", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    assert fresh(rep).totp_enabled is False
    (entry,) = audit("user.totp_off")
    assert entry.actor_id == admin.id
    again = client.post(f"/admin/users/{rep.id}/two-factor-off", data={"csrf_token": token(client)})
    assert "already off" in text(client.get(again.headers["Location"]))
    assert len(audit("user.totp_off")) == 1
    assert client.post(f"/admin/users/{rep.id}/two-factor-off").status_code == 400  # no CSRF


def test_other_organisations_users_are_not_found(client, login_as, make_user):
    login_as("admin")
    stranger = make_user(role="admin", name="Stranger")
    csrf = token(client)
    for user_id in (stranger.id, 987654):
        assert client.get(f"/admin/users/{user_id}").status_code == 404
        posts = {
            f"/admin/users/{user_id}": edit_data(stranger, role="manager"),
            f"/admin/users/{user_id}/password": {"new_password": "x" * 12, "confirm": "x" * 12},
            f"/admin/users/{user_id}/two-factor-off": {},
        }
        for url, data in posts.items():
            assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 404, url
    stranger = fresh(stranger)
    assert stranger.role == "admin" and stranger.session_version == 1


def test_user_changes_show_in_the_audit_log(client, login_as, make_user):
    admin = login_as("admin")
    rep = make_user(role="rep", org=admin.organisation, name="Una Update")
    post_form(client, f"/admin/users/{rep.id}", edit_data(rep, name="Una Renamed"))
    log = client.get("/admin/audit?action=user.update")
    assert "user.update" in log.text and "<td>Una Update</td><td>Una Renamed</td>" in log.text
