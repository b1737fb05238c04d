"""The audit log page: admins only, newest first, 50 a page, filters, junk filters."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from scheduling.extensions import db
from scheduling.models import AuditEntry
from scheduling.operations.audit import record
from tests.conftest import login


def text(response) -> str:
    return html.unescape(response.text)


def summaries(response) -> list[str]:
    return re.findall(r'<td data-label="Summary">(Entry \d+)', response.text)


@pytest.fixture
def log(app, make_user, frozen_now):
    """An admin and a rep of one org, 120 entries a day apart, and one of another org."""
    admin = make_user(role="admin", name="Alice Admin")
    rep = make_user(role="rep", org=admin.organisation, name="Ray Rep")
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    for number in range(120):
        actor = admin if number % 2 == 0 else rep
        action = "booking.cancel" if number % 3 == 0 else "user.update"
        record(
            admin.organisation_id,
            actor,
            action,
            action.split(".")[0],
            number,
            f"Entry {number}",
            start + timedelta(hours=number),
            {"name": [f"old {number}", f"new {number}"]} if number == 119 else None,
        )
    stranger = make_user(role="admin", name="Stranger")
    record(stranger.organisation_id, stranger, "user.update", "user", 1, "Foreign entry", start)
    db.session.commit()
    return admin, rep, stranger


def login_admin(client, admin):
    assert login(client, admin.email).status_code == 302


def test_newest_first_with_pages_of_50(client, log):
    admin, _rep, _stranger = log
    login_admin(client, admin)
    first = client.get("/admin/audit")
    assert first.status_code == 200
    assert "<h1>Audit log</h1>" in first.text and "Time (UTC)" in first.text
    shown = summaries(first)
    # The 120 entries plus the two user.create rows of the fixture's users (at FROZEN_NOW).
    assert len(shown) == 48 and shown[0] == "Entry 119" and shown[-1] == "Entry 72"
    assert "Foreign entry" not in first.text
    assert "page 1 of 3" in first.text and 'rel="next"' in first.text
    third = client.get("/admin/audit?page=3")
    assert summaries(third)[-1] == "Entry 0" and len(summaries(third)) == 22
    assert 'rel="prev"' in third.text and 'rel="next"' not in third.text


def test_entry_shows_time_actor_action_and_changes(client, log):
    admin, rep, _stranger = log
    login_admin(client, admin)
    page = client.get("/admin/audit")
    assert "2030-01-06 11:00:00" in page.text  # entry 119: Jan 1 12:00 + 119 hours, UTC
    assert f"Ray Rep &lt;{rep.email}&gt;" in page.text
    assert "<code>user.update</code>" in page.text
    assert '<th scope="row">name</th><td>old 119</td><td>new 119</td>' in page.text


@pytest.mark.parametrize(
    ("query", "count", "first"),
    [
        ("action=booking", 40, "Entry 117"),
        ("action=booking.cancel", 40, "Entry 117"),
        ("action=user.update", 80, "Entry 119"),
        ("action=user", 82, None),  # with the two user.create rows
        ("action=nothing", 0, None),
        ("from=2030-01-02&to=2030-01-02", 24, "Entry 35"),
        ("from=2030-01-06", 14, None),  # entries 108..119 and the two user.create rows
    ],
)
def test_filters(client, log, query, count, first):
    admin, _rep, _stranger = log
    login_admin(client, admin)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    if count == 0:
        assert "No entries match these filters." in response.text
        return
    total = re.search(r"(\d+) entr(?:y|ies)", response.text)
    assert total and int(total.group(1)) == count, response.text
    if first:
        assert summaries(response)[0] == first


def test_actor_filter_and_combined_filters(client, log):
    admin, rep, _stranger = log
    login_admin(client, admin)
    mine = client.get(f"/admin/audit?actor={rep.id}&action=booking")
    shown = summaries(mine)
    assert shown and all(int(s.split()[1]) % 2 == 1 and int(s.split()[1]) % 3 == 0 for s in shown)
    assert len(shown) == 20
    assert f'<option value="{rep.id}" selected>' in mine.text
    # 60 entries by the admin: two pages, and the link to the next one keeps the filter.
    by_admin = client.get(f"/admin/audit?actor={admin.id}")
    assert f'href="/admin/audit?actor={admin.id}&amp;page=2" rel="next"' in by_admin.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("action=DROP%20TABLE", "The action filter takes lower-case letters"),
        ("action=" + "a" * 61, "The action filter takes lower-case letters"),
        ("action=user%25", "The action filter takes lower-case letters"),
        ("actor=abc", "Choose the person from the list."),
        ("actor=-1", "Choose the person from the list."),
        ("actor=987654", "There is no such user in your organisation."),
        ("actor=STRANGER", "There is no such user in your organisation."),
        ("from=yesterday", "year-month-day"),
        ("to=2030-02-30", "does not exist"),
        ("from=2030-01-05&to=2030-01-04", "must not be before"),
        ("page=abc", "The page must be a whole number."),
        ("page=0", "from 1 on"),
        ("page=99999999999", "The page must be a whole number."),
        ("page=4", "Page 4 does not exist: there are 3."),
    ],
)
def test_junk_filters_give_400_with_a_message(client, log, query, message):
    admin, _rep, stranger = log
    login_admin(client, admin)
    response = client.get("/admin/audit?" + query.replace("STRANGER", str(stranger.id)))
    assert response.status_code == 400
    assert message in text(response)
    assert summaries(response) == []


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_are_forbidden(client, login_as, role):
    login_as(role)
    assert client.get("/admin/audit").status_code == 403
    assert "Audit log</a>" not in client.get("/admin/").text


def test_needs_login(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_empty_log_says_what_will_appear(client, make_org, make_user):
    admin = make_user(role="admin", org=make_org())
    db.session.execute(
        delete(AuditEntry).where(AuditEntry.organisation_id == admin.organisation_id)
    )
    db.session.commit()
    login_admin(client, admin)
    assert "Nothing has been changed yet." in client.get("/admin/audit").text
