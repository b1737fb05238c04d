"""The manager role does what its description says: webhooks and embed yes; users, settings,
API keys and the outbox no (HTTP round trips, CSRF included)."""

import html

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import EmbedSettings, WebhookSubscription
from tests.conftest import csrf_from, post_form


def test_manager_creates_and_edits_a_webhook(client, login_as, monkeypatch):
    monkeypatch.setattr("scheduling.operations.webhooks.resolve", lambda *a: "93.184.216.34")
    manager = login_as("manager")
    assert "Webhooks" in client.get("/admin/webhooks").text
    response = post_form(
        client,
        "/admin/webhooks",
        {"url": "https://hooks.example.com/crm", "events": ["booking.created"]},
    )
    assert response.status_code == 201
    sub = db.session.scalar(select(WebhookSubscription))
    assert sub.organisation_id == manager.organisation_id
    response = post_form(
        client,
        f"/admin/webhooks/{sub.id}",
        {
            "url": "https://hooks.example.com/crm2",
            "events": ["booking.created", "booking.cancelled"],
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    sub = db.session.scalar(select(WebhookSubscription))
    assert sub.url == "https://hooks.example.com/crm2"
    assert sub.events == ["booking.created", "booking.cancelled"]


def test_manager_edits_the_embed_allowlist(client, login_as):
    manager = login_as("manager")
    page = client.get("/admin/embed")
    assert page.status_code == 200
    response = post_form(
        client,
        "/admin/embed",
        {"allowed_origins": "https://www.example.com", "cookie_days": "90"},
    )
    assert response.status_code == 302
    db.session.rollback()
    row = db.session.scalar(
        select(EmbedSettings).where(EmbedSettings.organisation_id == manager.organisation_id)
    )
    assert row.allowed_origins == ["https://www.example.com"]


def test_manager_is_refused_users_settings_api_keys_and_outbox(client, login_as):
    login_as("manager")
    for url in ("/admin/settings", "/admin/users", "/admin/users/new", "/admin/api-keys"):
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/outbox").status_code == 403
    csrf_page = client.get("/admin/webhooks")
    csrf = csrf_from(csrf_page.text)
    response = client.post(
        "/admin/api-keys", data={"name": "x", "scope": "read", "csrf_token": csrf}
    )
    assert response.status_code == 403


def test_manager_navigation_shows_webhooks_and_embed_not_users(client, login_as):
    login_as("manager")
    page = client.get("/admin/webhooks").text
    assert 'href="/admin/embed"' in page and 'href="/admin/webhooks"' in page
    assert 'href="/admin/users"' not in page and 'href="/admin/settings"' not in page
    assert 'href="/admin/outbox"' not in page  # no link to a page that would answer 403


def test_role_description_says_what_managers_may_do(client, login_as):
    login_as("admin")
    page = html.unescape(client.get("/admin/invitations/new").text)
    assert "Manager: everything except users and settings" not in page
    assert (
        "Manager: all hosts, bookings, leads, event types, routing, teams, funnel, A/B tests, "
        "embed and webhooks; not users, settings, API keys, outbox or audit log"
    ) in page
