"""The worker's sync of connected Google / Microsoft calendars, one mailbox at a time.

Each mailbox is leased (one worker, one call at a time), its token refreshed under the row lock
when it is about to expire, then each busy calendar is read with no transaction open and the
result stored in a short write. A 429/403-rate-limit/503 pauses the whole mailbox for the
provider's Retry-After; a refresh token that stopped working marks the connection "needs
reconnect" and emails the host, and the busy time read before keeps counting. Commits as it
goes: a stored result must not wait for the next mailbox.
"""

import logging
from datetime import datetime, timedelta

from scheduling.extensions import db
from scheduling.models import CalendarConnection
from scheduling.operations import calendar_connections as connections
from scheduling.operations import calendar_sync as sync
from scheduling.remote.provider_errors import (
    AccessTokenRejected,
    NeedsReconnect,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from scheduling.remote.provider_http import Api

log = logging.getLogger(__name__)
API_TIMEOUT = 20.0


def _wait(exc: ProviderError, now: datetime) -> datetime | None:
    if isinstance(exc, RateLimited | ProviderUnavailable) and exc.retry_after:
        return now + timedelta(seconds=exc.retry_after)
    return None


def _token(connection_id: int, now: datetime, force: bool = False) -> str | None:
    """A fresh access token, committed at once (a rotated refresh token must not be lost)."""
    try:
        token = connections.fresh_access_token(connection_id, now, force=force)
    except NeedsReconnect:
        db.session.commit()  # the mark and the host's email
        return None
    except ProviderError:
        db.session.rollback()
        raise
    db.session.commit()
    return token


def _fail_all(jobs, exc: ProviderError, now: datetime, connection_id: int) -> None:
    until = _wait(exc, now)
    for job in jobs:
        sync.store_failure(job.source_id, exc.message, now, until)
    if until is not None:
        sync.pause(connection_id, until, now)
    db.session.commit()


def sync_connection(connection_id: int, now: datetime, all_busy: bool = False) -> int:
    """Read the mailbox's due busy calendars (all of them with `all_busy`); returns how many."""
    if not sync.claim(connection_id, now):
        db.session.rollback()
        return 0
    db.session.commit()
    try:
        return _sync_claimed(connection_id, now, all_busy)
    finally:
        db.session.rollback()
        sync.release(connection_id)
        db.session.commit()


def _sync_claimed(connection_id: int, now: datetime, all_busy: bool) -> int:
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is None or connection.status != "connected":
        return 0
    if connection.paused_until is not None and connection.paused_until > now:
        return 0  # the provider's Retry-After holds for "Sync now" too
    jobs = sync.jobs_for(connection, now, all_busy)
    api_url = connections.provider(connection.provider).api_url
    if not jobs:
        return 0
    try:
        token = _token(connection_id, now)
    except ProviderError as exc:
        _fail_all(jobs, exc, now, connection_id)
        return 0
    if token is None:
        return 0
    db.session.rollback()  # no transaction open while the provider answers
    api = Api(api_url, token, API_TIMEOUT)
    done = 0
    for index, job in enumerate(jobs):
        try:
            try:
                result = sync.read(api, job)
            except AccessTokenRejected:
                refreshed = _token(connection_id, now, force=True)
                if refreshed is None:
                    return done
                api.access_token = refreshed
                db.session.rollback()
                result = sync.read(api, job)
        except NeedsReconnect as exc:
            connection = db.session.get(CalendarConnection, connection_id)
            connections.mark_needs_reconnect(connection, exc.message, now)
            db.session.commit()
            return done
        except (RateLimited, ProviderUnavailable) as exc:
            # Stop calling this mailbox: every calendar left waits for the provider's delay.
            _fail_all(jobs[index:], exc, now, connection_id)
            return done
        except ProviderError as exc:
            sync.store_failure(job.source_id, exc.message, now)
            db.session.commit()
            continue
        except Exception as exc:  # one broken calendar must never stop the round
            log.exception("calendar connection %s failed", connection_id)
            db.session.rollback()
            sync.store_failure(job.source_id, f"Unexpected error ({type(exc).__name__}).", now)
            db.session.commit()
            continue
        sync.store_result(job, result, now)
        db.session.commit()
        done += 1
    return done


def sync_due_connections(now: datetime) -> int:
    """One periodic round over the due mailboxes; returns how many calendars were read."""
    ids = sync.due_connection_ids(now)
    db.session.rollback()
    return sum(sync_connection(connection_id, now) for connection_id in ids)
