"""Push channels of connected calendars: which to register, renew or stop; verifying a push.

A push only brings the calendar's next sync forward (its `next_attempt_at`); the worker's
polling stays the safety net and reads what changed. Channels exist only when PUBLIC_URL is
https on a public host (the providers call nothing else). The shared secret (Google's channel
token, Graph's clientState) is random, sent once, and stored only as its SHA-256, compared in
constant time. Flush only.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from scheduling.errors import NotFound, PermissionDenied
from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarPushChannel, CalendarSource
from scheduling.remote.push_channels import Registered, public_https

from .calendar_connections import locked
from .calendar_import import backoff

HOOK_PATHS = {"google": "/hooks/calendar/google", "microsoft": "/hooks/calendar/microsoft"}
# Renew when less than this is left (a third of Graph's week, well within Google's).
RENEW_BEFORE = timedelta(days=2)
REGISTER, RENEW, STOP = "register", "renew", "stop"


@dataclass(frozen=True)
class PushJob:
    action: str
    connection_id: int
    provider: str
    source_id: int
    remote_calendar_id: str
    channel_row_id: int | None = None
    channel_id: str = ""
    resource_id: str = ""


def push_enabled() -> bool:
    return public_https(current_app.config.get("PUBLIC_URL") or "")


def hook_url(provider: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + HOOK_PATHS[provider]


def new_secret() -> tuple[str, str]:
    """A random secret for the provider and the hash we keep."""
    secret = secrets.token_urlsafe(32)
    return secret, _digest(secret)


def new_channel_id() -> str:
    return secrets.token_hex(16)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _matches(secret: str | None, stored: str) -> bool:
    if not secret or not stored or len(secret) > 256:
        return False
    return hmac.compare_digest(_digest(secret), stored)


# -- what the worker does next --------------------------------------------------------------


def _job(action: str, source: CalendarSource, provider: str, row=None) -> PushJob:
    return PushJob(
        action,
        source.connection_id,
        provider,
        source.id,
        source.remote_calendar_id,
        row.id if row is not None else None,
        row.channel_id if row is not None else "",
        row.resource_id if row is not None else "",
    )


def _callable(now: datetime):
    """The mailbox is connected and not paused by the provider's Retry-After."""
    return and_(
        CalendarConnection.status == "connected",
        or_(CalendarConnection.paused_until.is_(None), CalendarConnection.paused_until <= now),
    )


def due_jobs(now: datetime, limit: int = 100) -> list[PushJob]:
    """Channels to stop (calendar unticked, mailbox gone bad, push off), renew, or register."""
    enabled = push_enabled()
    jobs = []
    # A channel no longer wanted is stopped at once (a failed stop waits for its backoff).
    unwanted = and_(CalendarPushChannel.failures == 0, CalendarPushChannel.channel_id != "")
    if enabled:
        unwanted = and_(unwanted, CalendarSource.blocks_time.is_(False))
    rows = db.session.execute(
        select(CalendarPushChannel, CalendarSource, CalendarConnection)
        .join(CalendarSource, CalendarSource.id == CalendarPushChannel.source_id)
        .join(CalendarConnection, CalendarConnection.id == CalendarSource.connection_id)
        .where(
            _callable(now),  # no token otherwise; the channel runs out by itself
            or_(CalendarPushChannel.next_attempt_at <= now, unwanted),
        )
        .order_by(CalendarPushChannel.id)
        .limit(limit)
    ).all()
    for row, source, connection in rows:
        wanted = enabled and source.blocks_time
        if not row.channel_id:
            if wanted:
                jobs.append(_job(REGISTER, source, connection.provider, row))
        elif not wanted:
            jobs.append(_job(STOP, source, connection.provider, row))
        elif row.expires_at is None or row.expires_at - now <= RENEW_BEFORE:
            jobs.append(_job(RENEW, source, connection.provider, row))
    if not enabled:
        return jobs
    fresh = db.session.execute(
        select(CalendarSource, CalendarConnection.provider)
        .join(CalendarConnection, CalendarConnection.id == CalendarSource.connection_id)
        .where(
            _callable(now),
            CalendarSource.blocks_time.is_(True),
            CalendarSource.last_success_at.is_not(None),  # after the first good sync
            ~select(CalendarPushChannel.id)
            .where(CalendarPushChannel.source_id == CalendarSource.id)
            .exists(),
        )
        .order_by(CalendarSource.id)
        .limit(limit)
    ).all()
    jobs.extend(_job(REGISTER, source, provider) for source, provider in fresh)
    return jobs


def _row_for(source_id: int, provider: str, now: datetime) -> CalendarPushChannel | None:
    source = locked(CalendarSource, source_id)
    if source is None:
        return None
    row = db.session.scalar(
        select(CalendarPushChannel).where(CalendarPushChannel.source_id == source_id)
    )
    if row is None:
        row = CalendarPushChannel(
            source_id=source_id,
            provider=provider,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        db.session.add(row)
    return row


def store_channel(job: PushJob, registered: Registered, secret_hash: str, now: datetime) -> bool:
    """Keep a registered channel; False when the calendar went meanwhile (stop it then)."""
    row = _row_for(job.source_id, job.provider, now)
    if row is None or not db.session.get(CalendarSource, job.source_id).blocks_time:
        db.session.flush()
        return False
    row.channel_id = registered.channel_id
    row.resource_id = registered.resource_id
    if secret_hash:
        row.secret_hash = secret_hash
    row.expires_at = registered.expires_at
    row.failures = 0
    row.last_error = ""
    row.next_attempt_at = max(now, registered.expires_at - RENEW_BEFORE)
    row.updated_at = now
    db.session.flush()
    return True


def store_push_failure(job: PushJob, message: str, now: datetime, forget: bool = False) -> None:
    """Try again after a backoff; `forget` drops a channel the provider no longer has."""
    row = _row_for(job.source_id, job.provider, now)
    if row is None:
        return
    row.failures += 1
    row.last_error = message[:2000]
    row.next_attempt_at = now + backoff(row.failures)
    if forget:
        row.channel_id = row.resource_id = row.secret_hash = ""
        row.expires_at = None
        row.next_attempt_at = now
    row.updated_at = now
    db.session.flush()


def forget_channel(channel_row_id: int) -> None:
    """The channel was stopped (or the provider no longer knew it)."""
    row = db.session.get(CalendarPushChannel, channel_row_id)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def channels_of(connection_id: int) -> list[CalendarPushChannel]:
    return list(
        db.session.scalars(
            select(CalendarPushChannel)
            .join(CalendarSource, CalendarSource.id == CalendarPushChannel.source_id)
            .where(
                CalendarSource.connection_id == connection_id, CalendarPushChannel.channel_id != ""
            )
            .order_by(CalendarPushChannel.id)
        )
    )


def push_channels_of_host(host_id: int, now: datetime) -> dict[int, CalendarPushChannel]:
    """The host's live or failing push channels by calendar (for the calendars page)."""
    found = db.session.scalars(
        select(CalendarPushChannel)
        .join(CalendarSource, CalendarSource.id == CalendarPushChannel.source_id)
        .where(CalendarSource.host_id == host_id)
    )
    return {
        row.source_id: row
        for row in found
        if row.last_error or (row.expires_at is not None and row.expires_at > now)
    }


# -- a push arrives ---------------------------------------------------------------------------


def _queue_sync(source_id: int, now: datetime) -> None:
    """Bring the calendar's next read forward (a failing one keeps its backoff)."""
    source = db.session.get(CalendarSource, source_id)
    if source is not None and source.blocks_time and not source.failures:
        if source.next_attempt_at > now:
            source.next_attempt_at = now
        db.session.flush()


def google_push(channel_id: str, token: str, resource_id: str, state: str, now: datetime) -> bool:
    """Check a Google notification's headers; True when it queued a sync ("sync" only acks)."""
    row = _channel("google", channel_id)
    if not _matches(token, row.secret_hash) or not hmac.compare_digest(
        resource_id.encode(), row.resource_id.encode()
    ):
        raise PermissionDenied("The channel token does not match.")
    if state == "sync":
        return False
    _queue_sync(row.source_id, now)
    return True


def graph_push(items: list, now: datetime) -> int:
    """Queue a sync for each notification whose clientState matches; returns how many did."""
    queued = 0
    for item in items[:100]:
        if not isinstance(item, dict):
            continue
        subscription, state = item.get("subscriptionId"), item.get("clientState")
        if not isinstance(subscription, str) or not isinstance(state, str):
            continue
        try:
            row = _channel("microsoft", subscription)
        except NotFound:
            continue
        if _matches(state, row.secret_hash):
            _queue_sync(row.source_id, now)
            queued += 1
    return queued


def _channel(provider: str, channel_id: str) -> CalendarPushChannel:
    row = None
    if channel_id and len(channel_id) <= 200:
        row = db.session.scalar(
            select(CalendarPushChannel).where(
                CalendarPushChannel.provider == provider,
                CalendarPushChannel.channel_id == channel_id,
                CalendarPushChannel.secret_hash != "",
            )
        )
    if row is None:
        raise NotFound("No such channel.")
    return row
