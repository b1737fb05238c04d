"""User management: admins only, edit, last-admin rules, two-factor off (invitations and
set-password links: test_admin_invitations.py)."""

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
        f"/admin/users/{other.id}": edit_data(other, role="admin"),
        f"/admin/users/{other.id}/password-link": {},
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
            f"/admin/users/{user_id}/password-link": {},
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
