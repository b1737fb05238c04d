"""Webhook subscriptions: create, edit, rotate the secret, switch on/off, send a message again,
send a test event.

The signing secret is shown once (on creation and rotation) and stored encrypted with
secretbox, not hashed: every delivery needs it to compute the HMAC.
"""

import secrets
from datetime import datetime, timedelta

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import WEBHOOK_EVENTS, OutboxMessage, User, WebhookSubscription
from scheduling.remote.netguard import RefusedAddress, check_url, resolve
from scheduling.security.secretbox import encrypt
from scheduling.security.webhook_signature import SECRET_PURPOSE

from . import outbox
from .audit import record
from .notifications import API_VERSION
from .payloads import iso
from .webhook_sample import sample_booking

URL_MAX = 2000


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def check_subscription(url: str, events: list[str], allow_private: bool) -> tuple[str, list[str]]:
    """Clean URL and events, or InvalidRequest naming the field."""
    url = (url or "").strip()
    fields = {}
    if not url:
        fields["url"] = "Enter the URL that receives the events."
    elif len(url) > URL_MAX:
        fields["url"] = f"The URL may have at most {URL_MAX} characters."
    else:
        try:
            _, host, port, _ = check_url(url)
            resolve(host, port, allow_private)
        except RefusedAddress as exc:
            fields["url"] = str(exc)
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        fields["events"] = "Choose at least one of the listed events."
    if fields:
        raise InvalidRequest("Please correct the marked fields.", fields)
    return url, [e for e in WEBHOOK_EVENTS if e in events]


def create_subscription(
    org_id: int,
    url: str,
    events: list[str],
    description: str,
    actor: User,
    now: datetime,
    *,
    secret_key: str,
    allow_private: bool,
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret (in clear text, to show once)."""
    url, events = check_subscription(url, events, allow_private)
    secret = new_secret()
    sub = WebhookSubscription(
        organisation_id=org_id,
        url=url,
        description=description.strip()[:200],
        events=events,
        secret_enc=encrypt(secret_key, SECRET_PURPOSE, secret),
        active=True,
        disabled_reason="",
        created_at=now,
        updated_at=now,
    )
    db.session.add(sub)
    db.session.flush()
    record(org_id, actor, "webhook.create", "webhook", sub.id, f"Webhook to {url}", now)
    return sub, secret


def update_subscription(
    sub: WebhookSubscription,
    url: str,
    events: list[str],
    description: str,
    active: bool,
    actor: User,
    now: datetime,
    *,
    allow_private: bool,
) -> None:
    url, events = check_subscription(url, events, allow_private)
    sub.url, sub.events, sub.description = url, events, description.strip()[:200]
    if active and not sub.active:
        sub.disabled_reason = ""
    sub.active = active
    sub.updated_at = now
    db.session.flush()
    record(sub.organisation_id, actor, "webhook.update", "webhook", sub.id, f"Webhook {url}", now)


def rotate_secret(
    sub: WebhookSubscription, actor: User, now: datetime, *, secret_key: str, hours: float
) -> str:
    """A new secret; the old one keeps signing (a second v1) for `hours`."""
    secret = new_secret()
    sub.previous_secret_enc = sub.secret_enc
    sub.previous_valid_until = now + timedelta(hours=hours)
    sub.secret_enc = encrypt(secret_key, SECRET_PURPOSE, secret)
    sub.updated_at = now
    db.session.flush()
    record(
        sub.organisation_id,
        actor,
        "webhook.rotate",
        "webhook",
        sub.id,
        f"Rotated the secret of the webhook to {sub.url}",
        now,
    )
    return secret


def delete_subscription(sub: WebhookSubscription, actor: User, now: datetime) -> None:
    record(
        sub.organisation_id, actor, "webhook.delete", "webhook", sub.id, f"Deleted {sub.url}", now
    )
    db.session.delete(sub)
    db.session.flush()


def send_again(message: OutboxMessage, actor: User, now: datetime) -> OutboxMessage:
    """Queue the same event (same body and event id) again, with a new idempotency key.

    A new key because the receiver may already have recorded the old one as processed; the
    operator asks for it to be processed again. Event ids let a receiver still deduplicate.
    """
    # A random suffix on the original key: unique however often, or concurrently, it is resent.
    original = message.idempotency_key.split(":again:")[0][:170]
    again = outbox.enqueue(
        message.organisation_id,
        message.kind,
        message.topic,
        message.payload,
        f"{original}:again:{secrets.token_hex(8)}",
        now,
        booking_id=message.booking_id,
        subscription_id=message.subscription_id,
    )
    record(
        message.organisation_id,
        actor,
        "outbox.resend",
        "outbox",
        message.id,
        f"Queued {message.topic} again",
        now,
    )
    return again


TEST_EVENT = "test"


def send_test_event(sub: WebhookSubscription, actor: User, now: datetime) -> OutboxMessage:
    """Queue a signed `test` event with a sample booking for this subscription only.

    Through the normal outbox, so the receiver sees exactly what real events look like (the
    signature, retries, the delivery log); InvalidRequest when the subscription is off.
    """
    if not sub.active:
        raise InvalidRequest("Switch the webhook on first.")
    event_id = outbox.new_event_id()
    body = {
        "id": event_id,
        "type": TEST_EVENT,
        "created_at": iso(now),
        "api_version": API_VERSION,
        "data": {"sample": True, "booking": sample_booking(now)},
    }
    message = outbox.enqueue(
        sub.organisation_id,
        "webhook",
        TEST_EVENT,
        {"body": body},
        f"webhook:{event_id}:{sub.id}",
        now,
        subscription_id=sub.id,
    )
    record(
        sub.organisation_id,
        actor,
        "webhook.test",
        "webhook",
        sub.id,
        f"Queued a test event for {sub.url}",
        now,
    )
    return message
