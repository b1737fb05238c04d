"""The worker's push-channel round: register after a first good sync, renew before expiry, stop.

Per mailbox under the sync lease (one call at a time), with a fresh token, no transaction open
while the provider answers. Any failure is recorded on the channel with a backoff and polling
carries on; nothing here ever blocks the busy-time sync. Also stops a mailbox's channels when
it is disconnected (best effort, before its tokens are forgotten).
"""

import logging
from datetime import datetime
from itertools import groupby

from scheduling.extensions import db
from scheduling.operations import calendar_connections as connections
from scheduling.operations import calendar_push as push
from scheduling.operations import calendar_sync as sync
from scheduling.remote import push_channels as remote
from scheduling.remote.provider_errors import ProviderError, RemoteNotFound, SyncStateExpired
from scheduling.remote.provider_http import Api

from .calendar_sync import API_TIMEOUT, _token

log = logging.getLogger(__name__)


def _register(api: Api, job: push.PushJob, now: datetime) -> remote.Registered | None:
    secret, digest = push.new_secret()
    address = push.hook_url(job.provider)
    if job.provider == "google":
        made = remote.google_watch(
            api, job.remote_calendar_id, push.new_channel_id(), secret, address, now
        )
    else:
        made = remote.graph_subscribe(api, job.remote_calendar_id, address, secret, now)
    db.session.rollback()
    if push.store_channel(job, made, digest, now):
        db.session.commit()
        return made
    db.session.commit()
    _stop(api, job.provider, made.channel_id, made.resource_id)  # the calendar went meanwhile
    return None


def _stop(api: Api, provider: str, channel_id: str, resource_id: str) -> bool:
    """Stop at the provider; 404/410 (already gone) count as done."""
    if provider == "google":
        return remote.google_stop(api, channel_id, resource_id)
    return remote.graph_delete(api, channel_id)


def _renew(api: Api, job: push.PushJob, now: datetime) -> None:
    if job.provider == "microsoft":
        try:
            expires = remote.graph_renew(api, job.channel_id, now)
        except (RemoteNotFound, SyncStateExpired) as exc:
            push.store_push_failure(job, exc.message, now, forget=True)  # register anew
            db.session.commit()
            return
        made = remote.Registered(job.channel_id, "", expires)
        push.store_channel(job, made, "", now)
        db.session.commit()
        return
    # Google channels cannot be extended: watch anew, then stop the old one.
    if _register(api, job, now) is not None:
        try:
            _stop(api, "google", job.channel_id, job.resource_id)
        except ProviderError as exc:  # it runs out by itself; the new one is in place
            log.info("old Google channel %s not stopped: %s", job.channel_id, exc.message)


def _run(api: Api, job: push.PushJob, now: datetime) -> None:
    try:
        if job.action == push.STOP:
            _stop(api, job.provider, job.channel_id, job.resource_id)
            push.forget_channel(job.channel_row_id)
            db.session.commit()
        elif job.action == push.RENEW:
            _renew(api, job, now)
        else:
            _register(api, job, now)
    except ProviderError as exc:
        db.session.rollback()
        push.store_push_failure(job, exc.message, now)
        db.session.commit()
    except Exception as exc:  # one channel must never stop the round
        log.exception("push channel of calendar %s failed", job.source_id)
        db.session.rollback()
        push.store_push_failure(job, f"Unexpected error ({type(exc).__name__}).", now)
        db.session.commit()


def _mailbox(connection_id: int, jobs: list[push.PushJob], now: datetime) -> int:
    if not sync.claim(connection_id, now):
        db.session.rollback()
        return 0
    db.session.commit()
    try:
        try:
            token = _token(connection_id, now)
        except ProviderError as exc:
            for job in jobs:
                push.store_push_failure(job, exc.message, now)
            db.session.commit()
            return 0
        if token is None:
            return 0
        db.session.rollback()  # no transaction open while the provider answers
        api = Api(connections.provider(jobs[0].provider).api_url, token, API_TIMEOUT)
        for job in jobs:
            _run(api, job, now)
        return len(jobs)
    finally:
        db.session.rollback()
        sync.release(connection_id)
        db.session.commit()


def maintain_channels(now: datetime) -> int:
    """One periodic round over the channels due; returns how many jobs ran."""
    jobs = sorted(push.due_jobs(now), key=lambda job: job.connection_id)
    db.session.rollback()
    done = 0
    for connection_id, group in groupby(jobs, key=lambda job: job.connection_id):
        done += _mailbox(connection_id, list(group), now)
    return done


def stop_connection_channels(connection_id: int, now: datetime) -> int:
    """Stop the mailbox's channels before it is disconnected (best effort; the caller commits).

    Call it before changing anything else in the transaction: a token that cannot be refreshed
    rolls the transaction back (the channels then simply run out at the provider).
    """
    rows = push.channels_of(connection_id)
    if not rows:
        return 0
    try:
        token = connections.fresh_access_token(connection_id, now)
    except ProviderError:
        # Undo the "needs reconnect" mark and its email: the mailbox is going anyway.
        db.session.rollback()
        return 0
    connection_provider = rows[0].provider
    api = Api(connections.provider(connection_provider).api_url, token, API_TIMEOUT)
    stopped = 0
    for row in rows:
        try:
            _stop(api, row.provider, row.channel_id, row.resource_id)
        except ProviderError as exc:
            log.info("channel %s not stopped: %s", row.channel_id, exc.message)
            continue
        stopped += 1
    return stopped
