"""Database outages: 503 with Retry-After (507 when SQLite's disk is full), and a quiet log.

While the database is unreachable every request fails the same way; a traceback per request
would flood the log (42 MB in 23 s was measured), so each kind of failure is logged once per
interval, with a count of what was left out. The pool is emptied on such an error, so the first
request after the database is back opens a fresh connection instead of trying a dead one.
"""

import logging
import threading
import time
from collections.abc import Callable

from flask import current_app, g, jsonify
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from scheduling.errors import N_
from scheduling.extensions import db

log = logging.getLogger(__name__)

# SQLite's answer when the disk (or max_page_count) is full: storage, not connectivity.
SQLITE_FULL = "SQLITE_FULL"


class LogThrottle:
    """Let one message per key through per interval; count the ones held back."""

    def __init__(self, interval: float, monotonic: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.monotonic = monotonic
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> int | None:
        """None to stay quiet; otherwise how many were held back since the last line."""
        now = self.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._held[key] = self._held.get(key, 0) + 1
                return None
            self._last[key] = now
            return self._held.pop(key, 0)


def is_disk_full(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlite_errorname", "") == SQLITE_FULL


def failure_kind(exc: BaseException) -> str:
    """E.g. "OperationalError (psycopg.OperationalError)": one log line per kind and interval."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return type(exc).__name__
    return f"{type(exc).__name__} ({type(orig).__module__}.{type(orig).__name__})"


def summary(exc: BaseException) -> str:
    """The driver's first line, without SQLAlchemy's statement and parameters."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [""])[0][:300]


def _respond(wants_json: bool, status: int, code: str, message: str, retry_after: str):
    """JSON or a short page built without context processors (they may query the database)."""
    if wants_json:
        response = jsonify({"error": code, "message": message, "fields": {}})
    else:
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        response = current_app.response_class(
            template.render(message=message, retry_after=retry_after), mimetype="text/html"
        )
    response.status_code = status
    response.headers["Retry-After"] = retry_after
    return response


def register(app, wants_json: Callable[[], bool]) -> None:
    """Answer database outages with 503 (507: disk full) and Retry-After, logging sparingly."""
    throttle = LogThrottle(float(app.config["OUTAGE_LOG_SECONDS"]))
    app.extensions["rendezvous_outage_log"] = throttle
    retry_after = str(int(app.config["OUTAGE_RETRY_AFTER_SECONDS"]))

    def unavailable(exc: OperationalError | InterfaceError | PoolTimeout):
        g.database_unavailable = True  # the page's language is then chosen without a query
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.invalidate()  # the connection is gone: forget it without talking to it
        full = is_disk_full(exc)
        if not full:
            # Drop pooled connections that may point at a database that went away; the next
            # request connects afresh (on a dead server that fails fast and lands here again).
            db.engine.dispose()
        kind = failure_kind(exc)
        held = throttle.allow(kind)
        if held is not None:
            more = f" ({held} more since the last report)" if held else ""
            log.warning("Database unavailable: %s: %s%s", kind, summary(exc), more)
        if full:
            status, code = 507, "insufficient_storage"
            message = N_("The server's storage is full; nothing was saved. Please try again later.")
        else:
            status, code = 503, "unavailable"
            message = N_("The service is briefly unavailable. Please try again in a moment.")
        return _respond(wants_json(), status, code, message, retry_after)

    # OperationalError: unreachable, connection lost, locked or full; InterfaceError: a
    # connection the driver already knows to be closed; PoolTimeout: no connection free in time.
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, unavailable)
