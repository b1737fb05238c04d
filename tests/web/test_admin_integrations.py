"""Admin pages for webhooks, outbox, API keys, event type notifications: HTTP round trips."""

import hashlib
import re

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import (
    ApiKey,
    AuditEntry,
    EventTypeNotification,
    OutboxMessage,
    WebhookDelivery,
    WebhookSubscription,
)
from scheduling.operations import outbox
from tests.conftest import FROZEN_NOW, login, post_form

ALL_EVENTS = ["booking.created", "booking.cancelled"]


def create_webhook(client, url="https://hooks.example.com/rdv", events=ALL_EVENTS):
    return post_form(
        client, "/admin/webhooks", {"url": url, "description": "CRM", "events": events}
    )


def test_admin_creates_a_webhook_and_sees_the_secret_once(client, login_as, monkeypatch):
    monkeypatch.setattr("scheduling.operations.webhooks.resolve", lambda *a: "93.184.216.34")
    admin = login_as("admin")
    response = create_webhook(client)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"  # not kept in the browser
    secret = re.search(r'<code id="secret">(whsec_[^<]+)</code>', response.text).group(1)
    sub = db.session.scalar(select(WebhookSubscription))
    assert sub.organisation_id == admin.organisation_id
    assert sub.events == ALL_EVENTS
    assert secret not in sub.secret_enc  # stored encrypted
    page = client.get(f"/admin/webhooks/{sub.id}")
    assert page.status_code == 200 and secret not in page.text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.create"))


def test_webhook_form_errors_per_field(client, login_as):
    login_as("admin")
    response = create_webhook(client, url="http://127.0.0.1:8080/x", events=[])
    assert response.status_code == 400
    assert "Choose at least one event." in response.text
    response = create_webhook(client, url="http://127.0.0.1:8080/x")
    assert response.status_code == 400
    assert "not a public address" in response.text
    assert db.session.scalar(select(WebhookSubscription)) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/x", "Only http:// and https:// URLs"),
        ("javascript:alert(1)", "Only http:// and https:// URLs"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
        ("http://[::1/x", "not a valid URL"),
        ("http://2130706433/x", "four decimal numbers"),
        ("http://[fe80::1%25eth0]/x", "zone ids"),
        ("https://hooks.example.com:0/x", "The port must be a number"),
        ("https://hooks.example.com/" + "a" * 2001, "at most 2000 characters"),
    ],
)
def test_webhook_form_refuses_bad_urls_with_a_message(client, login_as, url, message):
    login_as("admin")
    response = create_webhook(client, url=url)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(WebhookSubscription)) is None


def test_control_characters_in_names_are_a_form_error_on_every_database(client, login_as):
    login_as("admin")
    response = post_form(
        client,
        "/admin/webhooks",
        {"url": "https://hooks.example.com/x", "description": "a\x01b", "events": ALL_EVENTS},
    )
    assert response.status_code == 400 and "control characters" in response.text
    response = post_form(client, "/admin/api-keys", {"name": "CRM\x07", "scope": "read"})
    assert response.status_code == 400 and "control characters" in response.text
    # NUL is refused before any form sees it (scheduling/hardening.py), also a 400.
    response = post_form(client, "/admin/api-keys", {"name": "CRM\x00", "scope": "read"})
    assert response.status_code == 400 and "NUL" in response.text
    assert db.session.scalar(select(WebhookSubscription)) is None
    assert db.session.scalar(select(ApiKey)) is None


def test_managers_too_but_only_their_organisation(app, client, login_as, make_org, make_user):
    other_admin = make_user(role="admin", org=make_org())
    foreign = WebhookSubscription(
        organisation_id=other_admin.organisation_id,
        url="https://x.example/",
        events=ALL_EVENTS,
        secret_enc="x",
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add(foreign)
    db.session.commit()
    login_as("manager")
    assert client.get("/admin/webhooks").status_code == 200
    assert client.get(f"/admin/webhooks/{foreign.id}").status_code == 404
    assert client.get("/admin/api-keys").status_code == 403
    assert client.get("/admin/outbox").status_code == 403
    admin_client = app.test_client()
    admin = make_user(role="admin")
    assert login(admin_client, admin.email).status_code == 302
    assert admin_client.get(f"/admin/webhooks/{foreign.id}").status_code == 404
    assert admin_client.get("/admin/webhooks").status_code == 200


def test_rotate_shows_the_new_secret_and_keeps_the_old_one_for_a_while(
    client, login_as, monkeypatch
):
    monkeypatch.setattr("scheduling.operations.webhooks.resolve", lambda *a: "93.184.216.34")
    login_as("admin")
    create_webhook(client)
    sub = db.session.scalar(select(WebhookSubscription))
    old = sub.secret_enc
    response = post_form(
        client, f"/admin/webhooks/{sub.id}/rotate", {}, f"/admin/webhooks/{sub.id}"
    )
    assert response.status_code == 200 and "whsec_" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(sub)
    assert sub.previous_secret_enc == old and sub.previous_valid_until is not None


def _failed_message(org_id, sub_id=None):
    message = outbox.enqueue(
        org_id,
        "webhook" if sub_id else "email",
        "booking.created",
        {"body": {"id": "evt_1", "type": "booking.created"}},
        f"key-{sub_id}",
        FROZEN_NOW,
        subscription_id=sub_id,
    )
    message.status, message.attempts, message.last_error = "failed", 8, "HTTP 500"
    db.session.commit()
    return message


def test_outbox_lists_failed_messages_with_retry(client, login_as):
    admin = login_as("admin")
    message = _failed_message(admin.organisation_id)
    page = client.get("/admin/outbox")
    assert "HTTP 500" in page.text and "Retry" in page.text
    response = post_form(client, f"/admin/outbox/{message.id}/retry", {}, "/admin/outbox")
    assert response.status_code == 302
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 0)


def test_delivery_log_and_send_again(client, login_as, monkeypatch):
    monkeypatch.setattr("scheduling.operations.webhooks.resolve", lambda *a: "93.184.216.34")
    admin = login_as("admin")
    create_webhook(client)
    sub = db.session.scalar(select(WebhookSubscription))
    message = _failed_message(admin.organisation_id, sub.id)
    db.session.add(
        WebhookDelivery(
            subscription_id=sub.id,
            outbox_id=message.id,
            event_id="evt_1",
            event_type="booking.created",
            idempotency_key=message.idempotency_key,
            attempt=1,
            result="failed",
            response_code=500,
            duration_ms=12,
            created_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    page = client.get(f"/admin/webhooks/{sub.id}")
    assert "12 ms" in page.text and "500" in page.text and "Send again" in page.text
    response = post_form(
        client, f"/admin/outbox/{message.id}/send-again", {}, f"/admin/webhooks/{sub.id}"
    )
    assert response.status_code == 302
    again = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
    assert again.idempotency_key.startswith(f"{message.idempotency_key}:again:")
    assert again.payload == message.payload and again.status == "pending"
    # Sending the copy again keeps one suffix (keys do not grow) and never collides.
    response = post_form(
        client, f"/admin/outbox/{again.id}/send-again", {}, f"/admin/webhooks/{sub.id}"
    )
    assert response.status_code == 302
    keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
    assert len(keys) == len(set(keys)) == 3
    assert keys[-1].count(":again:") == 1


def test_api_key_shown_once_stored_hashed_and_revocable(client, login_as):
    login_as("admin")
    response = post_form(client, "/admin/api-keys", {"name": "HubSpot", "scope": "write"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="api-key">(rdv_[^<]+)</code>', response.text).group(1)
    key = db.session.scalar(select(ApiKey))
    assert key.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert key.scope == "write"
    listing = client.get("/admin/api-keys")
    assert token not in listing.text and f"rdv_{key.prefix}_" in listing.text
    assert "never" in listing.text
    post_form(client, f"/admin/api-keys/{key.id}/revoke", {}, "/admin/api-keys")
    db.session.refresh(key)
    assert key.revoked_at is not None
    response = post_form(client, "/admin/api-keys", {"name": "", "scope": "admin"})
    assert response.status_code == 400
    assert "Give the key a name" in response.text


def test_event_type_notification_settings(client, login_as, make_event_type, make_host):
    manager = login_as("manager")
    event_type = make_event_type(hosts=[make_host(org=manager.organisation)])
    url = f"/admin/event-types/{event_type.id}/notifications"
    page = client.get(url)
    assert 'value="1440, 60"' in page.text
    for bad in ("60, abc", "\u00b2", "-5", "0", "43201"):  # "²".isdigit(), but int() refuses it
        response = post_form(client, url, {"reminders": bad})
        assert response.status_code == 400 and "whole minutes" in response.text
    response = post_form(client, url, {"reminders": "30, 120", "no_show_followup": "y"})
    assert response.status_code == 302
    row = db.session.get(EventTypeNotification, event_type.id)
    assert row.reminder_minutes == [120, 30] and row.no_show_followup
