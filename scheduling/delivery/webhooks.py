"""Delivering one webhook message: sign, POST to a checked address, log the attempt.

Signing secrets are stored encrypted (secretbox) rather than hashed: the app must compute
HMACs with them, and the admin may reveal them again to configure a receiver.
"""

import json
from datetime import datetime

from flask import current_app
from sqlalchemy import update

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import OutboxMessage, WebhookDelivery, WebhookSubscription
from scheduling.operations.locking import acquire_booking_lock
from scheduling.remote import netguard
from scheduling.security import secretbox
from scheduling.security.webhook_signature import HEADER, SECRET_PURPOSE, sign

USER_AGENT = "Rendezvous-Webhooks/1"


class DeliveryError(Exception):
    """The receiver did not accept the message; `permanent` stops the retries."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def body_bytes(body: dict) -> bytes:
    """The exact bytes sent (and signed): compact, keys sorted, the same on every attempt."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def signing_secrets(sub: WebhookSubscription, now: datetime) -> list[str]:
    """The current secret, then the previous one while the rotation window is open."""
    key = current_app.config["SECRET_KEY"]
    found = [secretbox.decrypt(key, SECRET_PURPOSE, sub.secret_enc)]
    if sub.previous_secret_enc and sub.previous_valid_until and sub.previous_valid_until > now:
        found.append(secretbox.decrypt(key, SECRET_PURPOSE, sub.previous_secret_enc))
    return [secret for secret in found if secret]


def disable(sub: WebhookSubscription, reason: str, now: datetime) -> None:
    """Switch a subscription off and drop what is still queued for it."""
    sub.active = False
    sub.disabled_reason = reason[:300]
    sub.updated_at = now
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.subscription_id == sub.id, OutboxMessage.status == "pending")
        .values(status="dropped", last_error=reason[:300], updated_at=now)
        .execution_options(synchronize_session=False)
    )


def deliver_webhook(message: OutboxMessage) -> str | None:
    """Outbox handler for kind "webhook".

    No transaction stays open during the HTTP call (the read snapshot ends first), and the
    attempt is logged under the write lock afterwards: on SQLite a read transaction that later
    writes could not get the lock while other workers write.
    """
    now = clock.utcnow()
    sub = db.session.get(WebhookSubscription, message.subscription_id)
    if sub is None or not sub.active:
        return "dropped"
    body = message.payload["body"]
    data = body_bytes(body)
    secrets = signing_secrets(sub, now)
    if not secrets:
        raise DeliveryError("The signing secret cannot be read (SECRET_KEY changed?).", True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: sign(secrets, int(now.timestamp()), data),
        "Idempotency-Key": message.idempotency_key,
        "Rendezvous-Event": body["type"],
        "Rendezvous-Event-Id": body["id"],
        "Rendezvous-Attempt": str(message.attempts),
        # The body's own version: a message queued before an upgrade keeps the shape it has.
        "Rendezvous-Version": str(body.get("api_version") or ""),
    }
    log_values = {
        "subscription_id": sub.id,
        "outbox_id": message.id,
        "event_id": body["id"],
        "event_type": body["type"],
        "idempotency_key": message.idempotency_key,
        "attempt": message.attempts,
        "created_at": now,
        "duration_ms": 0,
        "error": "",
        "response_code": None,
    }
    url, sub_id = sub.url, sub.id
    config = current_app.config
    db.session.rollback()  # end the read snapshot: nothing held during the call
    error = None
    try:
        answer = netguard.post(
            url,
            data,
            headers,
            timeout=float(config["WEBHOOK_TIMEOUT"]),
            allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE"]),
        )
    except netguard.RefusedAddress as exc:
        log_values.update(result="refused", error=str(exc))
        error = DeliveryError(str(exc), permanent=True)
    except (OSError, ValueError) as exc:
        log_values.update(result="failed", error=f"{type(exc).__name__}: {exc}"[:1000])
        error = DeliveryError(log_values["error"])
    else:
        log_values.update(response_code=answer.status, duration_ms=answer.duration_ms)
        if 200 <= answer.status < 300:
            log_values["result"] = "ok"
        else:
            log_values["result"] = "failed"
            log_values["error"] = answer.body[:500].decode("utf-8", "replace")
            error = DeliveryError(f"HTTP {answer.status}")
    acquire_booking_lock(db.session)  # SQLite: take the write lock before reading again
    db.session.add(WebhookDelivery(**log_values))
    if log_values["response_code"] == 410:
        sub = db.session.get(WebhookSubscription, sub_id)
        if sub is not None:
            disable(sub, "The receiver answered 410 Gone.", now)
        error = DeliveryError("410 Gone: the subscription was disabled.", permanent=True)
    if error is not None:
        raise error
    return None
