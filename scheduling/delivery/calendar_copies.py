"""Delivering bookings to hosts' Google / Microsoft calendars through the outbox.

A message names a booking; the handler makes the copies match the meeting's latest state
(operations/calendar_writeback.py), one provider call after another with no transaction open,
recording each copy right after its call, under the mailbox's lease (one call at a time per
mailbox, as the sync). A refreshed token is committed at once. A provider error raises (the
outbox retries with backoff; a Retry-After also pauses the mailbox); a mailbox that needs
reconnecting is skipped (the host was emailed) and the message ends as dropped if nothing else
was left to do.
"""

from datetime import timedelta

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import CalendarConnection, OutboxMessage
from scheduling.operations import calendar_connections as connections
from scheduling.operations import calendar_sync as sync
from scheduling.operations import calendar_writeback as writeback
from scheduling.operations.locking import acquire_booking_lock
from scheduling.remote.provider_errors import (
    AccessTokenRejected,
    NeedsReconnect,
    ProviderUnavailable,
    RateLimited,
)
from scheduling.remote.provider_http import Api

__all__ = ["KIND", "deliver_calendar_copy"]

KIND = writeback.KIND
API_TIMEOUT = 20.0


def _api(step: writeback.Step, now, force: bool = False) -> Api | None:
    try:
        token = connections.fresh_access_token(step.connection_id, now, force=force)
    except NeedsReconnect:
        db.session.commit()  # the mark and the host's email
        return None
    db.session.commit()
    return Api(connections.provider(step.provider).api_url, token, API_TIMEOUT)


def _write(step: writeback.Step, now) -> bool:
    """One step on a leased mailbox; False when the mailbox needs reconnecting (skipped)."""
    api = _api(step, now)
    if api is None:
        return False
    db.session.rollback()  # no transaction open during the call
    try:
        try:
            remote_id = writeback.call(api, step)
        except AccessTokenRejected:
            api = _api(step, now, force=True)
            if api is None:
                return False
            db.session.rollback()
            remote_id = writeback.call(api, step)
    except (RateLimited, ProviderUnavailable) as exc:
        if exc.retry_after:  # the whole mailbox waits, syncs included
            sync.pause(step.connection_id, now + timedelta(seconds=exc.retry_after), now)
            db.session.commit()
        raise
    acquire_booking_lock(db.session)
    writeback.record(step, remote_id, now)
    db.session.commit()
    return True


def deliver_calendar_copy(message: OutboxMessage) -> str | None:
    """Outbox handler for kind "calendar_copy"; one call at a time per mailbox (its lease)."""
    now = clock.utcnow()
    steps = writeback.plan(message.payload["booking_id"])
    db.session.rollback()
    skipped = 0
    for step in steps:
        connection = db.session.get(CalendarConnection, step.connection_id)
        if connection is not None and connection.paused_until and connection.paused_until > now:
            raise ProviderUnavailable("The provider asked to wait; the copy is written later.")
        if not sync.claim(step.connection_id, now):
            db.session.rollback()
            raise ProviderUnavailable("The mailbox is being synced; the copy is written later.")
        db.session.commit()
        try:
            skipped += not _write(step, now)
        finally:
            db.session.rollback()
            sync.release(step.connection_id)
            db.session.commit()
    return "dropped" if steps and skipped == len(steps) else None
