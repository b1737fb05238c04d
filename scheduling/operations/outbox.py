"""Write outbox messages in the caller's transaction (flush only), and the worker's row moves.

A message exists exactly when the change that caused it was committed: enqueue() adds to the
same session, so a rollback takes the message with it.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from scheduling.extensions import db
from scheduling.models import OutboxMessage

from .audit import record
from .locking import acquire_booking_lock


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


def message_row(
    organisation_id: int,
    kind: str,
    topic: str,
    payload: dict,
    idempotency_key: str,
    now: datetime,
    *,
    due_at: datetime | None = None,
    booking_id: int | None = None,
    subscription_id: int | None = None,
) -> dict:
    """The columns of a pending message."""
    return {
        "organisation_id": organisation_id,
        "kind": kind,
        "topic": topic,
        "payload": payload,
        "idempotency_key": idempotency_key[:200],
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due_at or now,
        "locked_by": None,
        "locked_until": None,
        "last_error": "",
        "booking_id": booking_id,
        "subscription_id": subscription_id,
        "created_at": now,
        "updated_at": now,
        "delivered_at": None,
        "erased_at": None,
    }


def enqueue(
    organisation_id: int,
    kind: str,
    topic: str,
    payload: dict,
    idempotency_key: str,
    now: datetime,
    **kw,
) -> OutboxMessage:
    """Add a pending message to the current transaction."""
    message = OutboxMessage(
        **message_row(organisation_id, kind, topic, payload, idempotency_key, now, **kw)
    )
    db.session.add(message)
    db.session.flush()
    return message


def enqueue_rows(rows: list[dict]) -> None:
    """Add several pending messages (message_row()s) to the current transaction at once.

    One INSERT for all of them, in order, and no objects: for messages the caller does not
    need back (a booking's emails). Same transaction as enqueue(): a rollback takes them along.
    """
    if rows:
        db.session.flush()  # the rows they point to (a new booking) go first
        db.session.execute(insert(OutboxMessage.__table__), rows)


def enqueue_once(organisation_id: int, kind: str, topic: str, payload: dict, key: str, now, **kw):
    """enqueue() unless a message with this key exists (also against a concurrent writer)."""
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    try:
        with db.session.begin_nested():
            return enqueue(organisation_id, kind, topic, payload, key, now, **kw)
    except IntegrityError:
        return None


def drop_pending(booking_id: int, topic: str, now: datetime) -> int:
    """Mark the booking's undelivered messages of one topic as dropped (e.g. its reminders)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.booking_id == booking_id,
            OutboxMessage.topic == topic,
            OutboxMessage.status == "pending",
        )
        .values(status="dropped", last_error="no longer needed", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        # A claim whose worker died: the lease ran out, so another worker takes it over.
        and_(OutboxMessage.status == "sending", OutboxMessage.locked_until <= now),
    )


def claim_due(worker_id: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to `limit` due messages for this worker; the caller commits at once.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent workers pick disjoint rows. SQLite: the
    write lock is taken first (BEGIN IMMEDIATE), so the select and the update are one step.
    """
    acquire_booking_lock(db.session)
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), _due(now))
            .values(
                status="sending",
                locked_by=worker_id,
                locked_until=now + timedelta(seconds=lease_seconds),
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return ids


def renew(message_id: int, worker_id: str, now: datetime, lease_seconds: float) -> bool:
    """Extend this worker's claim before an attempt; False when the claim was lost meanwhile."""
    acquire_booking_lock(db.session)
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.locked_by == worker_id,
        )
        .values(locked_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(message_id: int, worker_id: str, status: str, now: datetime, **values) -> bool:
    """Record the end of an attempt if this worker still holds the claim; False otherwise."""
    acquire_booking_lock(db.session)
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.locked_by == worker_id,
        )
        .values(status=status, locked_by=None, locked_until=None, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def retry_failed(message: OutboxMessage, actor, now: datetime) -> None:
    """Put a failed message back in the queue with a fresh attempt budget (admin 'retry')."""
    if message.status != "failed":
        return
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = now
    message.updated_at = now
    db.session.flush()
    record(
        message.organisation_id,
        actor,
        "outbox.retry",
        "outbox",
        message.id,
        f"Queued the failed {message.kind} {message.topic} again",
        now,
    )


def message_id_header(key: str) -> str:
    """A stable email Message-ID per idempotency key, so a resent email is the same message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@rendezvous>"
