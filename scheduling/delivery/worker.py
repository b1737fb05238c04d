"""The outbox worker: claim due messages, deliver them, mark them; plus periodic tasks.

At-least-once: a message is marked done only after its handler returned, in a transaction of
its own; a worker killed before that leaves a claim that expires (OUTBOX_LEASE_SECONDS), and the
next worker sends the message again with the same idempotency key. Several workers share the
table: claims use FOR UPDATE SKIP LOCKED on PostgreSQL and the write lock on SQLite.

A worker that loses the database keeps running: it remembers its claims and the outcomes it could
not write, records them when the database is back and delivers the rest of its batch at once,
instead of leaving them to the lease (the claims are still its own).
"""

import logging
import os
import random
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import OutboxMessage
from scheduling.operations import outbox
from scheduling.operations.health import record_heartbeat, serving_problems

from .backoff import backoff_seconds
from .mail import mail_folder

log = logging.getLogger(__name__)

# kind -> handler(message) returning None (delivered) or "dropped" (no longer wanted); raising
# means a failed attempt (an exception with `permanent = True` stops the retries). A handler
# ends its read transaction before network I/O and takes the write lock
# (operations.locking.acquire_booking_lock) before writing afterwards, as delivery/webhooks.py does.
HANDLERS: dict[str, Callable[[OutboxMessage], str | None]] = {}


@dataclass
class Periodic:
    fn: Callable[[datetime], object]
    # Seconds, or a function of the app's config giving them (a setting read at run time).
    every_seconds: float | Callable[[dict], float]


PERIODIC: dict[str, Periodic] = {}


def connection_lost(exc: BaseException) -> bool:
    """The database went away (or is briefly locked): retry later, not the message's fault."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def register_handler(kind: str, fn: Callable[[OutboxMessage], str | None]) -> None:
    """Deliver outbox messages of `kind` with fn."""
    HANDLERS[kind] = fn


def register_periodic(
    name: str, fn: Callable[[datetime], object], every_seconds: float | Callable[[dict], float]
) -> None:
    """Run fn(now) every `every_seconds` in each worker (fn must be safe to run concurrently)."""
    PERIODIC[name] = Periodic(fn, every_seconds)


class Worker:
    def __init__(self, app, worker_id: str | None = None, rand: random.Random | None = None):
        self.app = app
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(24):x}"
        self.rand = rand or random.Random()
        self.last_run: dict[str, datetime] = {}
        self.stopping = False
        # Claims taken and not yet finished, and finished attempts whose outcome could not be
        # written (the database went away): both are settled first when it is back.
        self.held: dict[int, None] = {}
        self.unrecorded: dict[int, tuple[str, datetime, dict]] = {}
        self.outage = False

    @property
    def config(self):
        return self.app.config

    def run_periodic(self) -> None:
        for name, task in list(PERIODIC.items()):
            now = clock.utcnow()
            last = self.last_run.get(name)
            every = task.every_seconds
            every = every(self.config) if callable(every) else every
            if last is not None and (now - last).total_seconds() < every:
                continue
            self.last_run[name] = now
            try:
                task.fn(now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("Periodic task %s failed", name)

    def claim(self) -> list[int]:
        try:
            ids = outbox.claim_due(
                self.id,
                clock.utcnow(),
                int(self.config["OUTBOX_BATCH"]),
                float(self.config["OUTBOX_LEASE_SECONDS"]),
            )
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            raise
        self.held.update(dict.fromkeys(ids))
        return ids

    def _record(self, message_id: int, status: str, now: datetime, **values) -> None:
        """Write the end of an attempt; kept in memory until the commit went through."""
        self.unrecorded[message_id] = (status, now, values)
        outbox.finish(message_id, self.id, status, now, **values)
        db.session.commit()
        del self.unrecorded[message_id]
        self.held.pop(message_id, None)

    def resume(self) -> int:
        """After a lost connection: write the outcomes held in memory (so nothing delivered is
        sent again), then deliver the rest of the claims; returns how many were attempted."""
        for message_id, (status, now, values) in list(self.unrecorded.items()):
            try:
                self._record(message_id, status, now, **values)
            except SQLAlchemyError as exc:
                if connection_lost(exc):
                    raise
                # Refused for another reason (it will not get better): let the lease decide.
                db.session.rollback()
                log.exception("Could not record the outcome of outbox message %s", message_id)
                self.unrecorded.pop(message_id, None)
                self.held.pop(message_id, None)
        attempted = 0
        for message_id in list(self.held):
            if self.stopping:
                break
            self.deliver(message_id)
            attempted += 1
        return attempted

    def deliver(self, message_id: int) -> str:
        """One attempt at one claimed message; returns the status it ends in."""
        if not self._still_ours(message_id):
            self.held.pop(message_id, None)
            return "lost"
        message = db.session.get(OutboxMessage, message_id)
        limit = int(self.config["OUTBOX_MAX_ATTEMPTS"])
        if message.attempts > limit:
            # Only claims that ran out count past the limit: workers died during the attempts
            # (a message that crashes the worker, say). Stop instead of crashing them forever.
            self._record(
                message_id,
                "failed",
                clock.utcnow(),
                last_error=f"Gave up after {limit} attempts: the worker stopped during the "
                "last ones (killed or crashed while delivering this message).",
            )
            return "failed"
        handler = HANDLERS.get(message.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for outbox kind {message.kind!r}")
            # Links in emails need url_for, hence a request context: a synthetic one whose
            # origin is PUBLIC_URL's (no request is served through it). Only the origin: link
            # builders prepend PUBLIC_URL itself, so a path in it would appear twice.
            public = urlsplit(self.config["PUBLIC_URL"] or "http://127.0.0.1:5000")
            with self.app.test_request_context(base_url=f"{public.scheme}://{public.netloc}"):
                result = handler(message)
        except Exception as exc:
            if connection_lost(exc):
                raise  # the claim stays held: delivered again as soon as the database is back
            if isinstance(exc, SQLAlchemyError):
                db.session.rollback()
                message = db.session.get(OutboxMessage, message_id)
            return self._failed(message, exc)
        status = result or "done"
        now = clock.utcnow()
        self._record(
            message_id,
            status,
            now,
            last_error="" if status == "done" else "no longer needed",
            delivered_at=now if status == "done" else None,
        )
        return status

    def _still_ours(self, message_id: int) -> bool:
        """Check (and if half spent, extend) the claim before an attempt.

        A batch is delivered one message after another; without this, slow receivers could make
        the last messages of a batch outlive their claim and be sent by another worker as well.
        """
        now = clock.utcnow()
        lease = float(self.config["OUTBOX_LEASE_SECONDS"])
        row = db.session.execute(
            select(OutboxMessage.locked_by, OutboxMessage.locked_until).where(
                OutboxMessage.id == message_id, OutboxMessage.status == "sending"
            )
        ).first()
        if row is None or row.locked_by != self.id or row.locked_until <= now:
            db.session.rollback()
            return False
        if (row.locked_until - now).total_seconds() >= lease / 2:
            return True
        renewed = outbox.renew(message_id, self.id, now, lease)
        db.session.commit()
        return renewed

    def _failed(self, message: OutboxMessage, exc: Exception) -> str:
        now = clock.utcnow()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = getattr(exc, "permanent", False)
        if permanent or message.attempts >= int(self.config["OUTBOX_MAX_ATTEMPTS"]):
            log.warning("Outbox message %s failed for good: %s", message.id, error)
            self._record(message.id, "failed", now, last_error=error)
            return "failed"
        delay = backoff_seconds(
            message.attempts,
            float(self.config["OUTBOX_BACKOFF_SECONDS"]),
            float(self.config["OUTBOX_BACKOFF_MAX_SECONDS"]),
            self.rand,
        )
        log.info("Outbox message %s failed (%s); next try in %.0f s", message.id, error, delay)
        self._record(
            message.id,
            "pending",
            now,
            last_error=error,
            next_attempt_at=now + timedelta(seconds=delay),
        )
        return "pending"

    def beat(self) -> None:
        """Record this worker's heartbeat (admin outbox page, `flask rendezvous check`)."""
        try:
            record_heartbeat(self.id, socket.gethostname(), os.getpid(), clock.utcnow())
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            raise

    def run_once(self) -> int:
        """Claims left over from an outage, heartbeat, periodic tasks, then one batch of due
        messages; returns how many were attempted."""
        resumed = self.resume()
        self.beat()
        self.run_periodic()
        ids = self.claim()
        for message_id in ids:
            if self.stopping:
                break  # the rest keep their claim until it expires, then go to another worker
            self.deliver(message_id)
        return resumed + len(ids)

    def run_round(self) -> int:
        """run_once, surviving a lost database: one log line when it goes and one when it is
        back, not a traceback per poll."""
        try:
            count = self.run_once()
        except SQLAlchemyError as exc:
            count = 0
            if not connection_lost(exc):
                log.exception("Database error in the worker; trying again shortly")
            elif not self.outage:
                self.outage = True
                text = str(getattr(exc, "orig", None) or exc).strip()
                log.warning(
                    "Database unavailable (%s); keeping %d claim(s) until it is back",
                    (text.splitlines() or [""])[0][:300],
                    len(self.held),
                )
        else:
            if self.outage:
                self.outage = False
                log.info("Database reachable again")
        db.session.remove()
        return count

    def run(self, interval: float) -> None:
        """Loop until SIGTERM / SIGINT; a full batch is followed at once by the next one."""

        def stop(signum, frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("Outbox worker %s started", self.id)
        while not self.stopping:
            count = self.run_round()
            if count < int(self.config["OUTBOX_BATCH"]):
                deadline = time.monotonic() + interval
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(min(0.2, interval))


def _abandoned_leads(now: datetime) -> None:
    from scheduling.operations.notifications import detect_abandoned_leads

    detect_abandoned_leads(now, int(current_app.config["LEAD_ABANDONED_MINUTES"]))


def _refresh_calendars(now: datetime) -> None:
    from scheduling.operations.calendar_import import refresh_due_sources

    # Each source's own schedule and backoff decide whether it is read; this only looks.
    refresh_due_sources(now)


def _sync_calendar_connections(now: datetime) -> None:
    from .calendar_sync import sync_due_connections

    # Google / Microsoft calendars: each mailbox's own schedule, pause and lease decide.
    sync_due_connections(now)


def _calendar_push_channels(now: datetime) -> None:
    from .calendar_push import maintain_channels

    # Push channels: register after a first good sync, renew before expiry, stop unticked ones.
    maintain_channels(now)


def _purge_rate_limits(now: datetime) -> None:
    from scheduling.operations.rate_limits import purge_rate_limit_counters

    purge_rate_limit_counters(now)


def _retention(now: datetime) -> None:
    from scheduling.operations.retention import run_retention

    app = current_app._get_current_object()
    run_retention(now, int(app.config["RETENTION_BATCH"]), mail_folder(app.instance_path))


def register_defaults() -> None:
    from .caldav import KIND as CALDAV
    from .caldav import deliver_caldav
    from .calendar_copies import KIND as CALENDAR_COPY
    from .calendar_copies import deliver_calendar_copy
    from .emails import deliver_email
    from .webhooks import deliver_webhook

    register_handler("email", deliver_email)
    register_handler("webhook", deliver_webhook)
    register_handler(CALDAV, deliver_caldav)
    register_handler(CALENDAR_COPY, deliver_calendar_copy)
    register_periodic("lead.abandoned", _abandoned_leads, 60)
    register_periodic("calendar.refresh", _refresh_calendars, 60)
    register_periodic("calendar.connections", _sync_calendar_connections, 60)
    register_periodic("calendar.push", _calendar_push_channels, 60)
    register_periodic("rate_limits.purge", _purge_rate_limits, 300)
    register_periodic(
        "retention", _retention, lambda config: float(config["RETENTION_INTERVAL_SECONDS"])
    )


register_defaults()


def register_worker_command(group) -> None:
    @group.command("worker")
    @click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
    def worker(once, interval):
        """Deliver outbox messages (emails, webhooks) and run periodic tasks."""
        if current_app.config["PRODUCTION"]:
            problems = serving_problems(current_app.config)
            if problems:  # links in emails would be wrong or forgeable, or nothing works
                raise click.ClickException("refusing to start: " + "; ".join(problems))
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        runner = Worker(current_app._get_current_object())
        if once:
            count = runner.run_once()
            click.echo(f"Attempted {count} message(s).")
        else:
            runner.run(interval)
