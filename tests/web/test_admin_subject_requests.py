"""Admin -> Privacy over HTTP: find a person, export (JSON, HTML), rectify, erase, requests;
admins only, CSRF on every form, another organisation's request is 404."""

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking, Lead, PrivacyRequest
from scheduling.operations.privacy_requests import request_erasure
from tests.conftest import FROZEN_NOW, csrf_from, post_form
from tests.subject_world import INES, INES_LOWER, build_world

INDEX = "/admin/privacy"


@pytest.fixture
def world(app, make_event_type, tmp_path, monkeypatch, frozen_now):
    return build_world(app, make_event_type, tmp_path, monkeypatch)


@pytest.fixture
def admin(world, login_as):
    return login_as("admin", org=world.org)


def _person_page(client, email=INES):
    response = post_form(client, f"{INDEX}/search", {"email": email}, page_url=INDEX)
    assert response.status_code == 200, response.text
    return response


def _post(client, url, page, data):
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_search_shows_every_kind_of_data_of_this_organisation_only(client, world, admin):
    index = client.get(INDEX)
    assert index.status_code == 200 and 'href="/admin/privacy"' in index.text
    page = html.unescape(_person_page(client, "  INES.invitee@example.com").text)
    assert f"Data stored about {INES_LOWER}" in page
    assert "Please call my mobile" in page and "Ines' bakery in Köln" in page
    assert "Your phone" in page and "+49 151 1234567" in page
    assert "1 bookings" in page and "2 leads" in page and "3 emails" in page
    assert "2 webhook messages" in page and "1 mail files" in page
    assert "v" * 20 in page and "attribution" in page
    assert "Otto Other" not in page
    assert world.other_booking.uid not in page and world.booking.uid in page


def test_search_needs_an_address_and_csrf(client, world, admin):
    response = post_form(client, f"{INDEX}/search", {"email": "  "}, page_url=INDEX)
    assert response.status_code == 400 and "Enter an email address." in response.text
    assert client.post(f"{INDEX}/search", data={"email": INES}).status_code == 400
    nothing = html.unescape(_person_page(client, "nobody@example.com").text)
    assert "Nothing is stored about this address in this organisation." in nothing


def test_export_json_and_html_are_attachments_and_audited_without_the_address(client, world, admin):
    page = _person_page(client)
    response = _post(client, f"{INDEX}/export/json", page, {"email": INES_LOWER})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.data)
    assert data["subject"]["email"] == INES_LOWER and data["counts"]["leads"] == 2
    assert data["bookings"][0]["name"] == "Ines Invitee"
    assert [c["decision"] for c in data["consent_decisions"]] == ["granted"]
    page_html = _post(client, f"{INDEX}/export/html", page, {"email": INES_LOWER})
    assert page_html.status_code == 200 and page_html.mimetype == "text/html"
    assert page_html.headers["Content-Disposition"].endswith('.html"')
    csp = page_html.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    text = html.unescape(page_html.text)
    assert text.startswith("<!doctype html>") and "Ines' bakery in Köln" in text
    for forbidden in ("<script", "<link", "<img", "style=", "<style", " src=", " href="):
        assert forbidden not in text
    entries = _audit("privacy.export")
    assert len(entries) == 2
    for entry in entries:
        assert "ines" not in (entry.summary + str(entry.changes) + entry.actor_label).lower()
        assert entry.changes["bookings"] == 1 and len(entry.changes["subject"]) == 16


def test_rectify_validates_and_changes_nothing_on_error(client, world, admin):
    page = _person_page(client)
    for data, message in (
        ({"new_email": "not-an-address"}, "Enter a valid email address."),
        ({"phone": "12-34"}, "Enter a phone number with at least 6 digits."),
        ({"name": "x" * 201}, "The name may have at most 200 characters."),
        ({}, "Enter at least one corrected value."),
    ):
        response = _post(client, f"{INDEX}/rectify", page, {"email": INES_LOWER, **data})
        assert response.status_code == 400 and message in html.unescape(response.text)
    db.session.expire_all()
    assert world.booking.invitee_email == INES and world.booked_lead.name == "Ines Invitee"
    assert _audit("privacy.rectify") == []
    response = _post(
        client,
        f"{INDEX}/rectify",
        page,
        {"email": INES_LOWER, "name": "Ines Neu", "new_email": "ines@new.example"},
    )
    assert response.status_code == 200
    assert "Corrected 1 bookings and 2 leads." in html.unescape(response.text)
    assert "Data stored about ines@new.example" in response.text
    db.session.expire_all()
    assert (world.booking.invitee_name, world.booking.invitee_email) == (
        "Ines Neu",
        "ines@new.example",
    )
    assert world.other_booking.invitee_name == "Ines Invitee"
    (entry,) = _audit("privacy.rectify")
    assert "ines" not in (entry.summary + str(entry.changes)).lower()


def test_erase_needs_the_typed_address_then_finds_nothing(client, world, admin):
    page = _person_page(client)
    wrong = _post(client, f"{INDEX}/erase", page, {"email": INES_LOWER, "confirm": "otto@x.de"})
    assert wrong.status_code == 400
    assert "This is not the address whose data would be erased." in wrong.text
    no_csrf = client.post(f"{INDEX}/erase", data={"email": INES_LOWER, "confirm": INES})
    assert no_csrf.status_code == 400
    db.session.expire_all()
    assert world.booking.erased_at is None and world.ines_file.exists()
    response = _post(client, f"{INDEX}/erase", page, {"email": INES_LOWER, "confirm": INES})
    assert response.status_code == 303
    db.session.expire_all()
    assert world.booking.invitee_name == "erased" and world.booking.erased_at == FROZEN_NOW
    assert not world.ines_file.exists()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 3
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 3
    after = html.unescape(_person_page(client).text)
    assert "Nothing is stored about this address in this organisation." in after
    (entry,) = _audit("privacy.erase")
    assert "ines" not in (entry.summary + str(entry.changes)).lower()
    assert entry.changes["bookings"] == 1


def test_requests_list_due_dates_overdue_and_erasure_closes_the_request(client, world, admin):
    late, _ = request_erasure(world.org.id, INES, FROZEN_NOW - timedelta(days=40))
    other_org, _ = request_erasure(world.other_org.id, INES, FROZEN_NOW)
    db.session.commit()
    index = html.unescape(client.get(INDEX).text)
    assert f"#{late.id} · {INES_LOWER}" in index and "Overdue" in index
    assert f"#{other_org.id} ·" not in index
    assert (late.due_at.strftime("%Y-%m-%d")) in index
    page = client.get(f"{INDEX}/requests/{late.id}")
    assert page.status_code == 200 and f"Erasure request #{late.id}" in page.text
    response = _post(
        client,
        f"{INDEX}/erase",
        page,
        {"email": INES_LOWER, "request_id": str(late.id), "confirm": INES_LOWER},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert late.status == "done" and late.subject_email == "" and late.closed_at == FROZEN_NOW
    assert other_org.status == "open" and other_org.subject_email == INES_LOWER
    assert client.get(f"{INDEX}/requests/{late.id}").status_code == 302
    (entry,) = _audit("privacy.erase")
    assert entry.object_id == late.id


def test_reject_closes_and_forgets(client, world, admin):
    row, _ = request_erasure(world.org.id, INES, FROZEN_NOW)
    db.session.commit()
    response = post_form(client, f"{INDEX}/requests/{row.id}/reject", {}, page_url=INDEX)
    assert response.status_code == 302
    db.session.expire_all()
    assert row.status == "rejected" and row.subject_email == ""
    assert world.booking.erased_at is None


def test_another_organisations_request_is_404(client, world, admin):
    theirs, _ = request_erasure(world.other_org.id, INES, FROZEN_NOW)
    db.session.commit()
    assert client.get(f"{INDEX}/requests/{theirs.id}").status_code == 404
    assert client.get(f"{INDEX}/requests/999999").status_code == 404
    page = _person_page(client)
    erase = _post(
        client,
        f"{INDEX}/erase",
        page,
        {"email": INES_LOWER, "request_id": str(theirs.id), "confirm": INES_LOWER},
    )
    assert erase.status_code == 404
    reject = _post(client, f"{INDEX}/requests/{theirs.id}/reject", page, {})
    assert reject.status_code == 404
    db.session.expire_all()
    assert theirs.status == "open" and world.booking.erased_at is None


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_admins(client, world, login_as, role):
    login_as(role, org=world.org)
    assert client.get(INDEX).status_code == 403
    assert 'href="/admin/privacy"' not in client.get("/admin/").text
    token = csrf_from(client.get("/admin/").text)
    for url in ("/search", "/export/json", "/rectify", "/erase"):
        data = {"email": INES, "confirm": INES, "name": "X", "csrf_token": token}
        assert client.post(INDEX + url, data=data).status_code == 403
    db.session.expire_all()
    assert world.booking.erased_at is None
    assert db.session.scalar(select(func.count()).select_from(PrivacyRequest)) == 0
    assert re.search("ines", str([e.summary for e in _audit("privacy.export")])) is None
