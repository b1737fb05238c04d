"""Busy time from connected Google / Microsoft calendars into the store the ICS import fills.

The pieces the worker strings together (delivery/calendar_sync.py): which mailboxes are due,
a lease so only one worker calls a mailbox at a time, the jobs (plain values, no session), the
network read (no database), and storing a result or a failure (flush only). Only start, end and
the provider's event id are stored; a failure keeps the last good busy time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, or_, select, update

from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarSource, ImportedBusy
from scheduling.remote import google_calendar, microsoft_calendar
from scheduling.remote.busy_changes import SyncResult
from scheduling.remote.provider_http import Api

from .calendar_connections import locked
from .calendar_import import STALE_RANGE, backoff
from .calendar_writeback import own_remote_ids
from .locking import acquire_booking_lock

LEASE = timedelta(minutes=10)
DELETE_CHUNK = 500


@dataclass(frozen=True)
class SyncJob:
    source_id: int
    provider: str
    remote_calendar_id: str
    sync_state: str
    tz: str
    window: tuple[datetime, datetime]
    include_tentative: bool


def sync_interval() -> timedelta:
    return timedelta(minutes=int(current_app.config["CALENDAR_SYNC_MINUTES"]))


def window(now: datetime) -> tuple[datetime, datetime]:
    """Yesterday to the booking horizon the ICS import also covers."""
    return now - timedelta(days=1), now + timedelta(
        days=int(current_app.config["CALENDAR_IMPORT_DAYS"])
    )


def due_connection_ids(now: datetime, limit: int = 100) -> list[int]:
    """Connected mailboxes with a busy calendar due, not paused by the provider, not leased."""
    return list(
        db.session.scalars(
            select(CalendarConnection.id)
            .where(
                CalendarConnection.status == "connected",
                or_(
                    CalendarConnection.paused_until.is_(None),
                    CalendarConnection.paused_until <= now,
                ),
                or_(
                    CalendarConnection.sync_lease_until.is_(None),
                    CalendarConnection.sync_lease_until <= now,
                ),
                select(CalendarSource.id)
                .where(
                    CalendarSource.connection_id == CalendarConnection.id,
                    CalendarSource.blocks_time.is_(True),
                    CalendarSource.next_attempt_at <= now,
                )
                .exists(),
            )
            .order_by(CalendarConnection.id)
            .limit(limit)
        )
    )


def claim(connection_id: int, now: datetime) -> bool:
    """Take the mailbox's lease (an atomic UPDATE, so two workers cannot both win)."""
    result = db.session.execute(
        update(CalendarConnection)
        .where(
            CalendarConnection.id == connection_id,
            or_(
                CalendarConnection.sync_lease_until.is_(None),
                CalendarConnection.sync_lease_until <= now,
            ),
        )
        .values(sync_lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(connection_id: int) -> None:
    db.session.execute(
        update(CalendarConnection)
        .where(CalendarConnection.id == connection_id)
        .values(sync_lease_until=None)
        .execution_options(synchronize_session=False)
    )


def jobs_for(
    connection: CalendarConnection, now: datetime, all_busy: bool = False
) -> list[SyncJob]:
    """The busy calendars to read now (or all of them: "Sync now")."""
    span = window(now)
    jobs = []
    for source in db.session.scalars(
        select(CalendarSource)
        .where(CalendarSource.connection_id == connection.id, CalendarSource.blocks_time.is_(True))
        .order_by(CalendarSource.id)
    ):
        if not all_busy and source.next_attempt_at > now:
            continue
        # The stored range fell behind the wanted one (a day passed): read it all again.
        stale = source.covered_until is None or source.covered_until < span[1] - STALE_RANGE
        jobs.append(
            SyncJob(
                source.id,
                connection.provider,
                source.remote_calendar_id,
                "" if stale else source.sync_state,
                connection.host.tz,
                span,
                source.include_tentative,
            )
        )
    return jobs


def read(api: Api, job: SyncJob) -> SyncResult:
    """One calendar's changes from the provider (network only; raises ProviderError)."""
    if job.provider == "google":
        return google_calendar.sync_busy(
            api, job.remote_calendar_id, job.sync_state, job.window, job.tz
        )
    return microsoft_calendar.sync_busy(
        api,
        job.remote_calendar_id,
        job.sync_state,
        job.window,
        job.tz,
        include_tentative=job.include_tentative,
    )


def store_result(job: SyncJob, result: SyncResult, now: datetime) -> CalendarSource | None:
    """Apply the changes (all of them replace the old rows when the read was full)."""
    source = locked(CalendarSource, job.source_id)
    if source is None or not source.blocks_time:
        return None  # removed or switched off while we were reading
    if result.full:
        db.session.execute(delete(ImportedBusy).where(ImportedBusy.source_id == source.id))
    else:
        changed = sorted({change.remote_id for change in result.changes})
        for offset in range(0, len(changed), DELETE_CHUNK):
            db.session.execute(
                delete(ImportedBusy).where(
                    ImportedBusy.source_id == source.id,
                    ImportedBusy.remote_event_id.in_(changed[offset : offset + DELETE_CHUNK]),
                )
            )
    latest = {change.remote_id: change for change in result.changes}  # the last word counts
    for remote_id in own_remote_ids(source.id) & set(latest):
        del latest[remote_id]  # a booking's own copy: the booking itself blocks that time
    rows = [
        {
            "source_id": source.id,
            "host_id": source.host_id,
            "start_at": change.start,
            "end_at": change.end,
            "remote_event_id": change.remote_id,
        }
        for change in latest.values()
        if change.blocks and change.end > job.window[0] and change.start < job.window[1]
    ]
    if rows:
        db.session.execute(insert(ImportedBusy), rows)
    source.busy_count = db.session.scalar(
        select(func.count()).select_from(ImportedBusy).where(ImportedBusy.source_id == source.id)
    )
    source.sync_state = result.sync_state
    if result.full:
        source.covered_until = job.window[1]
    source.last_attempt_at = now
    source.last_success_at = now
    source.last_error = ""
    source.last_error_at = None
    source.failures = 0
    source.next_attempt_at = now + sync_interval()
    db.session.flush()
    return source


def store_failure(
    source_id: int, message: str, now: datetime, not_before: datetime | None = None
) -> None:
    """Keep the busy time, show the error, try again after a backoff (or the provider's wait)."""
    source = locked(CalendarSource, source_id)
    if source is None:
        return
    source.failures += 1
    source.last_attempt_at = now
    source.last_error = message[:2000]
    source.last_error_at = now
    retry = now + backoff(source.failures)
    source.next_attempt_at = max(retry, not_before) if not_before else retry
    db.session.flush()


def pause(connection_id: int, until: datetime, now: datetime) -> None:
    """The provider asked to wait: no call to this mailbox before `until`."""
    acquire_booking_lock(db.session)
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is not None:
        connection.paused_until = until
        connection.updated_at = now
        db.session.flush()
