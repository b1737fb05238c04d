"""Import busy time from hosts' external calendars (ICS URLs, CalDAV) on a schedule.

The network part (fetch) runs without touching the database, so callers can fetch many sources in
parallel and outside any lock, then apply the outcomes in one short write. A failure keeps the
last good busy time, records the error for the host, and backs off exponentially.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.ical.parse import Busy, Limits, ParseError, parse_busy
from scheduling.models import SOURCE_KINDS, Booking, CalendarSource, Host, ImportedBusy
from scheduling.remote import caldav
from scheduling.remote.http import FetchError, Policy, explain_status, normalise_url, request
from scheduling.security import secretbox

from .locking import acquire_booking_lock

log = logging.getLogger(__name__)

PASSWORD_PURPOSE = "calendar-source-password"  # noqa: S105 (a key-derivation label)
# Retry delays after failures in a row: 1, 2, 4 ... minutes, never more than this.
MAX_BACKOFF = timedelta(hours=6)
# Busy time is re-read in full once the stored range falls this far behind the wanted one.
STALE_RANGE = timedelta(days=1)
PARALLEL_FETCHES = 4


@dataclass(frozen=True)
class Settings:
    policy: Policy
    limits: Limits
    interval: timedelta
    days: int
    secret_key: str


def settings() -> Settings:
    """Import settings from the app's configuration."""
    config = current_app.config
    policy = Policy(
        allow_private=bool(config["CALENDAR_ALLOW_PRIVATE"]),
        timeout=float(config["CALENDAR_TIMEOUT_SECONDS"]),
        max_bytes=int(config["CALENDAR_MAX_BYTES"]),
        cafile=config.get("CALENDAR_CAFILE"),
    )
    limits = Limits(max_bytes=policy.max_bytes, max_events=int(config["CALENDAR_MAX_EVENTS"]))
    return Settings(
        policy,
        limits,
        timedelta(minutes=int(config["CALENDAR_REFRESH_MINUTES"])),
        int(config["CALENDAR_IMPORT_DAYS"]),
        config["SECRET_KEY"],
    )


# -- managing sources ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInput:
    """What a host enters for a source; an empty password keeps the stored one."""

    kind: str
    name: str
    url: str
    username: str = ""
    password: str = ""
    include_tentative: bool = False
    write_back: bool = False


def _check_input(data: SourceInput, allow_http: bool) -> str:
    errors = {}
    if data.kind not in SOURCE_KINDS:
        errors["kind"] = "Choose ICS address or CalDAV calendar."
    if not data.name.strip():
        errors["name"] = "Give the calendar a name."
    try:
        url = normalise_url(data.url, allow_http=allow_http)
    except FetchError as exc:
        errors["url"] = str(exc)
        url = ""
    if data.write_back and data.kind != "caldav":
        errors["write_back"] = "Only CalDAV calendars can receive bookings."
    if errors:
        raise InvalidRequest("Please correct the marked fields.", errors)
    return url


def save_source(
    host: Host, data: SourceInput, now: datetime, source: CalendarSource | None = None
) -> CalendarSource:
    """Add a source, or change one; it is read at the next refresh round."""
    config = settings()
    url = _check_input(data, config.policy.allow_private)
    if source is None:
        source = CalendarSource(host_id=host.id, created_at=now, failures=0)
        db.session.add(source)
    elif (source.url, source.username) != (url, data.username.strip()) or data.password:
        source.etag = ""  # another calendar, or other rights: read it in full
        source.last_modified = ""
    source.kind = data.kind
    source.name = data.name.strip()
    source.url = url
    source.username = data.username.strip()
    if data.password:
        source.password_encrypted = secretbox.encrypt(
            config.secret_key, PASSWORD_PURPOSE, data.password
        )
    source.include_tentative = data.include_tentative
    source.write_back = data.write_back
    source.failures = 0
    source.next_attempt_at = now
    db.session.flush()
    return source


def delete_source(source: CalendarSource) -> None:
    """Forget a source and its busy time (bookings already written to it stay there)."""
    db.session.execute(delete(ImportedBusy).where(ImportedBusy.source_id == source.id))
    db.session.delete(source)
    db.session.flush()


# -- fetching (no database) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A source detached from the session: safe to hand to another thread."""

    source_id: int
    kind: str
    url: str
    username: str
    password: str
    include_tentative: bool
    etag: str
    last_modified: str
    tz: str
    full: bool
    own_uids: frozenset[str] = frozenset()


@dataclass
class Outcome:
    source_id: int
    not_modified: bool = False
    busy: list[Busy] = field(default_factory=list)
    etag: str = ""
    last_modified: str = ""
    error: str = ""
    window_end: datetime | None = None


def job_for(source: CalendarSource, now: datetime, config: Settings) -> Job:
    password = ""
    if source.password_encrypted:
        password = (
            secretbox.decrypt(config.secret_key, PASSWORD_PURPOSE, source.password_encrypted) or ""
        )
    wanted_end = now + timedelta(days=config.days)
    full = source.covered_until is None or source.covered_until < wanted_end - STALE_RANGE
    own_uids = frozenset()
    if source.kind == "caldav":  # only CalDAV calendars receive our bookings (write-back)
        own_uids = frozenset(
            db.session.scalars(
                select(Booking.ical_uid).where(
                    Booking.host_id == source.host_id,
                    Booking.status == "confirmed",
                    Booking.end_at > now - timedelta(days=1),
                )
            )
        )
    return Job(
        source.id,
        source.kind,
        source.url,
        source.username,
        password,
        source.include_tentative,
        "" if full else source.etag,
        "" if full else source.last_modified,
        source.host.tz,
        full,
        own_uids,
    )


def _window(now: datetime, config: Settings) -> tuple[datetime, datetime]:
    return now - timedelta(days=1), now + timedelta(days=config.days)


def fetch(job: Job, now: datetime, config: Settings) -> Outcome:
    """Read one source; every failure becomes an Outcome with a message, never an exception."""
    outcome = Outcome(job.source_id)
    start, end = _window(now, config)
    outcome.window_end = end
    try:
        if job.kind == "caldav":
            account = caldav.Account(job.url, job.username, job.password)
            tag = caldav.collection_tag(account, config.policy)
            if tag and tag == job.etag:
                outcome.not_modified = True
                return outcome
            data: bytes | list[bytes] = caldav.query_events(account, start, end, config.policy)
            outcome.etag = tag
        else:
            headers = {"Accept": "text/calendar, */*;q=0.5"}
            if job.etag:
                headers["If-None-Match"] = job.etag
            if job.last_modified:
                headers["If-Modified-Since"] = job.last_modified
            if job.username or job.password:
                headers.update(caldav.Account(job.url, job.username, job.password).headers())
            response = request("GET", job.url, config.policy, headers)
            if response.status == 304 and (job.etag or job.last_modified):
                outcome.not_modified = True
                return outcome
            if response.status != 200:
                raise FetchError(explain_status(response.status))
            data = response.body
            outcome.etag = response.headers.get("etag", "")[:500]
            outcome.last_modified = response.headers.get("last-modified", "")[:100]
        outcome.busy = parse_busy(
            data,
            start,
            end,
            job.tz,
            include_tentative=job.include_tentative,
            limits=config.limits,
            ignore_uids=job.own_uids,
        )
    except (FetchError, ParseError) as exc:
        outcome.error = str(exc)
    except Exception as exc:  # one broken source must never stop the round
        log.exception("calendar source %s failed", job.source_id)
        outcome.error = f"Unexpected error ({type(exc).__name__})."
    return outcome


# -- applying (database, flush only) ------------------------------------------------------------


def backoff(failures: int) -> timedelta:
    """Delay before the next try after this many failures in a row."""
    return min(timedelta(minutes=1) * 2 ** max(0, min(failures - 1, 20)), MAX_BACKOFF)


def apply_outcome(source: CalendarSource, outcome: Outcome, now: datetime, config: Settings):
    """Store busy time (or keep the last good one on failure) and plan the next attempt."""
    # Two rounds at once (the worker and "Refresh now") must not interleave their delete and
    # insert: the row lock makes the second wait, then replace the first one's rows.
    db.session.execute(
        select(CalendarSource.id).where(CalendarSource.id == source.id).with_for_update()
    )
    source.last_attempt_at = now
    if outcome.error:
        source.failures += 1
        source.last_error = outcome.error[:2000]
        source.last_error_at = now
        source.next_attempt_at = now + backoff(source.failures)
        db.session.flush()
        return
    if not outcome.not_modified:
        db.session.execute(delete(ImportedBusy).where(ImportedBusy.source_id == source.id))
        if outcome.busy:
            db.session.execute(
                insert(ImportedBusy),
                [
                    {
                        "source_id": source.id,
                        "host_id": source.host_id,
                        "start_at": busy.start,
                        "end_at": busy.end,
                    }
                    for busy in outcome.busy
                ],
            )
        source.busy_count = len(outcome.busy)
        source.etag = outcome.etag
        source.last_modified = outcome.last_modified
        source.covered_until = outcome.window_end
    source.failures = 0
    source.last_success_at = now
    source.last_error = ""
    source.last_error_at = None
    source.next_attempt_at = now + config.interval
    db.session.flush()


def refresh_source(source: CalendarSource, now: datetime) -> Outcome:
    """Read one source now and store the result (flush only)."""
    config = settings()
    outcome = fetch(job_for(source, now, config), now, config)
    apply_outcome(source, outcome, now, config)
    return outcome


def refresh_due_sources(now: datetime, limit: int = 200) -> int:
    """One scheduled round: read every due source (in parallel), then store; returns how many."""
    config = settings()
    due = list(
        db.session.scalars(
            select(CalendarSource)
            .where(
                CalendarSource.next_attempt_at <= now,
                # Google / Microsoft calendars are read by operations/calendar_sync.py.
                CalendarSource.kind.in_(SOURCE_KINDS),
            )
            .order_by(CalendarSource.next_attempt_at, CalendarSource.id)
            .limit(limit)
        )
    )
    if not due:
        return 0
    jobs = [job_for(source, now, config) for source in due]
    ids = [source.id for source in due]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_FETCHES, len(jobs))) as pool:
        outcomes = list(pool.map(lambda job: fetch(job, now, config), jobs))
    # SQLite: a read transaction cannot write once another process has committed meanwhile (the
    # fetches take seconds), so store under the write lock, reading the sources again.
    acquire_booking_lock(db.session)
    for source_id, outcome in zip(ids, outcomes, strict=True):
        source = db.session.get(CalendarSource, source_id)
        if source is not None:  # removed while we were reading it
            apply_outcome(source, outcome, now, config)
    return len(due)
