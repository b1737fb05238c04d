"""The shared machinery of the fake provider servers: a threaded loopback server, request log,
contract violations, scripted failures, a delay, and the provider-neutral event store."""

import itertools
import json
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime

from werkzeug.datastructures import Headers
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Seen:
    """One request as the fake received it (batch sub-requests have in_batch=True)."""

    method: str
    path: str
    query: dict
    json: dict | None
    headers: Headers  # case-insensitive: headers.get("prefer") finds "Prefer"
    form: dict = field(default_factory=dict)
    in_batch: bool = False
    lists: dict = field(default_factory=dict)  # every value of repeated query parameters
    status: int = 0  # what the fake answered (set once the answer is ready)


@dataclass
class Answer:
    """What a handler returns: status, JSON body (None for no body), extra headers."""

    status: int
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    location: str = ""  # a redirect target (authorize endpoint)


@dataclass
class Failure:
    """A scripted failure waiting for the next matching request."""

    status: int
    retry_after: int | None
    where: str  # "api", "batch" (a Graph $batch sub-request) or "token" (the token endpoint)


@dataclass
class StoredEvent:
    """Provider-neutral state of one remote event; `data` holds the API's own representation."""

    id: str
    calendar_id: str
    data: dict
    seq: int
    removed: bool = False


def parse_instant(text: str) -> datetime | None:
    """Parse an RFC 3339 instant (offset or Z required); None when it is not one."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else None


class QuietHandler(WSGIRequestHandler):
    """Keep the test output clean: no access log lines."""

    def log_request(self, *args, **kwargs):
        """Log nothing."""


class FakeServer:
    """A real HTTP server on 127.0.0.1 (random port) in a thread; subclasses route requests."""

    # Paths under these prefixes are API calls: they wait `delay` and take scripted failures.
    api_prefixes: tuple[str, ...] = ()

    def __init__(self):
        self.requests: list[Seen] = []
        self.violations: list[str] = []
        self.delay = 0.0
        self.delay_only = ""  # when set, only API paths containing it wait `delay`
        self.page_size = 2
        self.account_email = "host@example.com"
        self._failures: list[Failure] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._last_seq = 0
        self._events: dict[str, StoredEvent] = {}
        self.calendars: list[dict] = []  # further calendars; the primary one always exists
        self._epoch = 1  # sync and delta tokens of an older epoch are expired
        self._pages: dict[str, dict] = {}  # the rest of a listing behind a page token
        self._server = None
        self._thread = None
        self.base_url = ""

    # -- lifecycle -------------------------------------------------------------------------
    def start(self):
        """Start serving on a random loopback port; returns self."""
        self._stopping.clear()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving; requests still waiting on `delay` are released at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- scripting -------------------------------------------------------------------------
    def fail_next(
        self, status=429, retry_after=None, count=1, inside_batch=False, token_endpoint=False
    ):
        """Make the next `count` API calls (or batch sub-requests, or token requests) answer
        `status`, with Retry-After when given."""
        where = "batch" if inside_batch else "token" if token_endpoint else "api"
        with self._lock:
            self._failures.extend(Failure(status, retry_after, where) for _ in range(count))

    def violation(self, text: str) -> None:
        """Record a broken contract."""
        with self._lock:
            self.violations.append(text)

    def _take_failure(self, where: str) -> Failure | None:
        with self._lock:
            for index, failure in enumerate(self._failures):
                if failure.where == where:
                    return self._failures.pop(index)
        return None

    def expire_sync_state(self) -> None:
        """Make every sync token / deltaLink issued so far answer 410 (full sync needed)."""
        with self._lock:
            self._epoch += 1

    def events(self, calendar_id="primary", include_removed=False) -> list[dict]:
        """The events of a calendar as the API stores them (what the app wrote, for example)."""
        key = self._calendar_key(calendar_id)
        with self._lock:
            return [
                dict(e.data)
                for e in self._events.values()
                if e.calendar_id == key and (include_removed or not e.removed)
            ]

    def _require_calendar(self, calendar_id: str) -> str:
        key = self._calendar_key(calendar_id)
        if key is None:
            raise KeyError(f"no calendar {calendar_id!r}")
        return key

    def _calendar_key(self, calendar_id: str) -> str | None:
        raise NotImplementedError

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def _bump(self) -> int:
        with self._lock:
            self._last_seq += 1
            return self._last_seq

    # -- HTTP ------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        raw = request.get_data(cache=True)
        body = None
        if raw and request.mimetype == "application/json":
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        seen = Seen(
            method=request.method,
            path=request.path,
            query=request.args.to_dict(),
            json=body,
            headers=Headers(list(request.headers.items())),
            form=request.form.to_dict() if request.mimetype.endswith("urlencoded") else {},
            lists=request.args.to_dict(flat=False),
        )
        with self._lock:
            self.requests.append(seen)
        is_api = request.path.startswith(self.api_prefixes)
        if is_api and self.delay and self.delay_only in request.path:
            self._stopping.wait(self.delay)
        if raw and request.mimetype == "application/json" and body is None:
            answer = self.bad_json(seen)
        else:
            answer = None
            where = "api" if is_api else "token" if self.is_token_path(request.path) else ""
            failure = self._take_failure(where) if where else None
            if failure is not None and where == "token":
                answer = self.token_error(
                    failure.status,
                    "temporarily_unavailable",
                    "The service is temporarily unavailable; try again later.",
                    90033,
                )
                if failure.retry_after is not None:
                    answer.headers["Retry-After"] = str(failure.retry_after)
            elif failure is not None:
                answer = self.failure_answer(failure)
            if answer is None:
                answer = self._dispatch_safely(seen)
        seen.status = answer.status
        return self._respond(answer)(environ, start_response)

    def _dispatch_safely(self, seen: Seen) -> Answer:
        """Dispatch; a crash inside the fake becomes a 500 and a violation, never a hang."""
        try:
            return self.dispatch(seen)
        except Exception as error:  # a bug in the fake itself, or a body it cannot read
            where = traceback.extract_tb(error.__traceback__)[-1]
            self.violation(
                f"{seen.method} {seen.path}: the fake failed ({error!r} at "
                f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
            )
            return Answer(500, {"error": {"code": 500, "message": "fake server error"}})

    def _respond(self, answer: Answer) -> Response:
        if answer.location:
            response = Response(status=answer.status, headers={"Location": answer.location})
        elif answer.body is None:
            response = Response(status=answer.status)
        else:
            response = Response(
                json.dumps(answer.body), status=answer.status, mimetype="application/json"
            )
        for name, value in answer.headers.items():
            response.headers[name] = value
        return response

    # Subclasses implement these.
    def dispatch(self, seen: Seen) -> Answer:
        """Answer one request (subclass: the provider's routes)."""
        raise NotImplementedError

    def failure_answer(self, failure: Failure) -> Answer:
        """The provider's error for a scripted failure."""
        raise NotImplementedError

    def is_token_path(self, path: str) -> bool:
        """Whether the path is the provider's token endpoint."""
        raise NotImplementedError

    def token_error(self, status: int, error: str, description: str, code: int = 0) -> Answer:
        """A token endpoint error in the provider's shape."""
        raise NotImplementedError

    def bad_json(self, seen: Seen) -> Answer:
        """The provider's answer to a body that is not JSON."""
        raise NotImplementedError
