"""A fake Microsoft Graph v1.0 (calendar parts) with the Microsoft identity platform v2.0 endpoints.

Routes, query options, bodies and errors follow the Graph v1.0 reference: user (GET /me), calendar
(list), event (create with transactionId, update, delete), event: delta on a calendarView,
calendar: getSchedule and JSON batching ($batch, at most 20 requests, per-request status).
"""

import re
import secrets
from datetime import UTC, datetime

from .graph_batch import GraphBatchMixin
from .graph_events import GraphEventsMixin
from .graph_payloads import graph_error, graph_time, read_time
from .graph_schedule import GraphScheduleMixin
from .http_fake import Answer, Failure, FakeServer, Seen
from .oauth_server import OAuthMixin
from .push_channels import GraphPushMixin

GRAPH = "https://graph.microsoft.com/"
READ = frozenset(
    {
        "Calendars.ReadBasic",
        "Calendars.Read",
        "Calendars.ReadWrite",
        "Calendars.Read.Shared",
        "Calendars.ReadWrite.Shared",
    }
)
DELTA_READ = READ
WRITE = frozenset({"Calendars.ReadWrite", "Calendars.ReadWrite.Shared"})
USER = frozenset(
    {"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All"}
)
KNOWN_SCOPES = (
    READ
    | WRITE
    | USER
    | {"offline_access", "openid", "profile", "email", "MailboxSettings.Read", ".default"}
)
ODATA_READ = frozenset({"$select"})
ODATA_LIST = frozenset({"$select", "$top", "$skip", "$filter", "$orderby", "$count"})
DEFAULT_CALENDAR_ID = "AAMkAGI2TGuLAAA="
SEG = r"(?P<{}>[^/]+)"


def _route(method, pattern, handler, scopes, odata=frozenset()):
    regex = pattern.format(cal=SEG.format("cal"), event=SEG.format("event"))
    return method, re.compile(f"^{regex}$"), handler, scopes, odata


ROUTES = [
    _route("GET", "/me", "me", USER, ODATA_READ),
    _route("GET", "/me/calendars", "calendars", READ, ODATA_LIST),
    _route("GET", "/me/calendar", "calendar", READ, ODATA_READ),
    _route("GET", "/me/calendars/{cal}", "calendar", READ, ODATA_READ),
    _route("GET", "/me/calendarView/delta", "delta", DELTA_READ, None),
    _route("GET", "/me/calendar/calendarView/delta", "delta", DELTA_READ, None),
    _route("GET", "/me/calendars/{cal}/calendarView/delta", "delta", DELTA_READ, None),
    _route("POST", "/me/calendar/getSchedule", "schedule", READ),
    _route("POST", "/me/events", "create", WRITE),
    _route("POST", "/me/calendar/events", "create", WRITE),
    _route("POST", "/me/calendars/{cal}/events", "create", WRITE),
    _route("GET", "/me/events/{event}", "get", READ, ODATA_READ),
    _route("GET", "/me/calendar/events/{event}", "get", READ, ODATA_READ),
    _route("GET", "/me/calendars/{cal}/events/{event}", "get", READ, ODATA_READ),
    _route("PATCH", "/me/events/{event}", "update", WRITE),
    _route("PATCH", "/me/calendar/events/{event}", "update", WRITE),
    _route("PATCH", "/me/calendars/{cal}/events/{event}", "update", WRITE),
    _route("DELETE", "/me/events/{event}", "delete", WRITE),
    _route("DELETE", "/me/calendar/events/{event}", "delete", WRITE),
    _route("DELETE", "/me/calendars/{cal}/events/{event}", "delete", WRITE),
    # Change notifications on events: Calendars.Read (delegated), per the subscription reference.
    _route("POST", "/subscriptions", "subscribe", READ),
    _route("PATCH", "/subscriptions/{event}", "resubscribe", READ),
    _route("DELETE", "/subscriptions/{event}", "unsubscribe", READ),
]


def short_scope(scope: str) -> str:
    """ "https://graph.microsoft.com/Calendars.Read" -> "Calendars.Read"."""
    return scope[len(GRAPH) :] if scope.startswith(GRAPH) else scope


class FakeGraph(
    GraphPushMixin, GraphBatchMixin, GraphEventsMixin, GraphScheduleMixin, OAuthMixin, FakeServer
):
    """Microsoft Graph v1.0 at base_url + /v1.0 and the identity platform at /common/oauth2/v2.0."""

    api_prefixes = ("/v1.0",)
    authorize_params = frozenset(
        {
            "client_id",
            "response_type",
            "redirect_uri",
            "response_mode",
            "scope",
            "state",
            "prompt",
            "login_hint",
            "domain_hint",
            "code_challenge",
            "code_challenge_method",
            "nonce",
        }
    )
    # Only response_mode=query can be answered with a redirect (form_post needs a browser form).
    authorize_values = {
        "prompt": frozenset({"login", "none", "consent", "select_account"}),
        "response_mode": frozenset({"query"}),
    }
    token_params = frozenset(
        {
            "client_id",
            "scope",
            "code",
            "redirect_uri",
            "grant_type",
            "code_verifier",
            "client_secret",
            "refresh_token",
        }
    )
    rotates_refresh_tokens = True

    display_name = "Host Example"

    @property
    def urls(self) -> dict:
        """The settings a client needs: authorize, token and API URLs."""
        base = self.base_url
        return {
            "authorize_url": base + "/common/oauth2/v2.0/authorize",
            "token_url": base + "/common/oauth2/v2.0/token",
            "api_url": base + "/v1.0",
        }

    # -- OAuth flavour ---------------------------------------------------------------------
    def default_scopes(self) -> list[str]:
        """The scopes grant() uses when none are given."""
        return ["offline_access", "User.Read", "Calendars.ReadWrite"]

    def known_scope(self, scope: str) -> bool:
        """Whether the identity platform would accept this scope for Graph."""
        return short_scope(scope) in KNOWN_SCOPES

    def offline_requested(self, query: dict, scopes) -> bool:
        """Microsoft gives a refresh token for scope offline_access."""
        return "offline_access" in scopes

    def _wants(self, grant, first_consent: bool) -> bool:
        return grant.offline

    def token_extra(self) -> dict:
        """Microsoft also sends ext_expires_in."""
        return {"ext_expires_in": 3599}

    def token_error(self, status: int, error: str, description: str, code: int = 0) -> Answer:
        """A token endpoint error in the AAD shape (AADSTS code, trace and correlation ids)."""
        trace, correlation = secrets.token_hex(16), secrets.token_hex(16)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return Answer(
            status,
            {
                "error": error,
                "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
                f"Correlation ID: {correlation} Timestamp: {stamp}",
                "error_codes": [code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"https://login.microsoftonline.com/error?code={code}",
            },
        )

    # -- calendars -------------------------------------------------------------------------
    def add_calendar(self, name: str) -> str:
        """Add a further calendar; returns its id."""
        calendar_id = f"AAMkAGI2CAL{len(self.calendars) + 1:04d}="
        self.calendars.append({"id": calendar_id, "name": name})
        return calendar_id

    def _calendar_key(self, calendar_id: str) -> str | None:
        if calendar_id in ("primary", DEFAULT_CALENDAR_ID):
            return "primary"
        return calendar_id if any(c["id"] == calendar_id for c in self.calendars) else None

    def _calendar_resource(self, key: str) -> dict:
        if key == "primary":
            entry = {"id": DEFAULT_CALENDAR_ID, "name": "Calendar", "isDefaultCalendar": True}
        else:
            entry = next(c for c in self.calendars if c["id"] == key)
        return {
            "id": entry["id"],
            "name": entry.get("name", entry["id"]),
            "color": "auto",
            "hexColor": "",
            "isDefaultCalendar": entry.get("isDefaultCalendar", False),
            "changeKey": "1",
            "canShare": True,
            "canViewPrivateItems": True,
            "canEdit": True,
            "allowedOnlineMeetingProviders": ["teamsForBusiness"],
            "defaultOnlineMeetingProvider": "teamsForBusiness",
            "isTallyingResponses": True,
            "isRemovable": entry.get("isDefaultCalendar") is not True,
            "owner": {"name": self.display_name, "address": self.account_email},
        }

    # -- HTTP ------------------------------------------------------------------------------
    def bad_json(self, seen: Seen) -> Answer:
        """Graph's answer to a body that is not JSON."""
        self.violation(f"{seen.method} {seen.path}: body is not valid JSON")
        return graph_error(400, "BadRequest", "Unable to read JSON request payload.")

    def failure_answer(self, failure: Failure) -> Answer:
        """Graph's error for a scripted failure status (throttling shape for 429/503)."""
        codes = {
            429: "TooManyRequests",
            503: "ServiceUnavailable",
            504: "GatewayTimeout",
            403: "ErrorAccessDenied",
        }
        answer = graph_error(
            failure.status,
            codes.get(failure.status, "UnknownError"),
            "Please retry again later." if failure.status in (429, 503) else "Scripted failure.",
        )
        # The throttling page's example: innerError repeats the status as code and status.
        status = str(failure.status)
        answer.body["error"]["innerError"].update(
            {"code": status, "status": status, "message": "Please retry after"}
        )
        if failure.retry_after is not None:
            answer.headers["Retry-After"] = str(failure.retry_after)
        return answer

    def is_token_path(self, path: str) -> bool:
        """Whether the path is a tenant's token endpoint."""
        return bool(re.match(r"^/[^/]+/oauth2/v2\.0/token$", path))

    def dispatch(self, seen: Seen) -> Answer:
        """Route a request: identity platform, $batch, then the Graph API."""
        tenant = re.match(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/(?P<end>authorize|token)$", seen.path)
        if tenant:
            if tenant["tenant"] not in ("common", "organizations", "consumers") and not re.match(
                r"^[0-9a-f-]{36}$|^[\w.-]+\.[a-z]+$", tenant["tenant"]
            ):
                self.violation(f"identity platform: tenant {tenant['tenant']!r} is not valid")
            if tenant["end"] == "authorize":
                return self.authorize(seen)
            return self.token(seen)
        if seen.path == "/v1.0/$batch" and seen.method == "POST":
            return self.batch(seen)
        return self.api(seen)

    def api(self, seen: Seen) -> Answer:
        """Route one Graph call (top level or inside $batch)."""
        path = seen.path[len("/v1.0") :] if seen.path.startswith("/v1.0/") else None
        route, params, path_known = None, {}, False
        for method, pattern, handler, scopes, odata in ROUTES if path else ():
            found = pattern.match(path)
            if found:
                path_known = True
                if method == seen.method:
                    route, params = (handler, scopes, odata), found.groupdict()
                    break
        if route is None:
            what = "method not allowed on" if path_known else "no such path"
            self.violation(f"{seen.method} {seen.path}: {what} in the Graph calendar API")
            if path_known:
                return graph_error(
                    405,
                    "Request_BadRequest",
                    "Specified HTTP method is not allowed for the request target.",
                )
            return graph_error(
                400,
                "BadRequest",
                f"Resource not found for the segment '{seen.path.rsplit('/', 1)[-1]}'.",
            )
        handler, scopes, odata = route
        if odata is not None:
            for name in seen.query:
                if name not in odata:
                    self.violation(f"{seen.method} {seen.path}: query option {name!r} not allowed")
        token, error = self.bearer(seen)
        if token is None:
            message = (
                "Lifetime validation failed, the token is expired."
                if error == "expired"
                else "IDX14100: JWT is not well formed."
            )
            answer = graph_error(401, "InvalidAuthenticationToken", message)
            answer.headers["WWW-Authenticate"] = (
                'Bearer realm="", authorization_uri='
                '"https://login.microsoftonline.com/common/oauth2/authorize", '
                'client_id="00000003-0000-0000-c000-000000000000"'
            )
            return answer
        granted = {short_scope(s) for s in token.scopes}
        if not scopes & granted:
            self.violation(
                f"{seen.method} {seen.path}: granted {sorted(granted)} lacks one of "
                f"{sorted(scopes)}"
            )
            return graph_error(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        key = None
        if "cal" in params:
            key = self._calendar_key(params["cal"])
            if key is None:
                return graph_error(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                )
        elif "/calendar" in path or handler in ("delta", "create"):
            key = "primary"
        with self._lock:
            answer = self._handle(handler, seen, key, params.get("event"))
        if handler in ("delta", "get", "create", "update") and answer.body is not None:
            tz_name, tz = self._response_zone(seen)
            if tz_name != "UTC":
                answer.body = _in_zone(answer.body, tz, tz_name)
        select = seen.query.get("$select")
        if select and answer.status == 200 and answer.body is not None:
            answer.body = _select(answer.body, select.split(","))
        return answer

    def _handle(self, handler: str, seen: Seen, key, event_id) -> Answer:
        if handler in ("subscribe", "resubscribe", "unsubscribe"):
            return self.api_subscription(handler, seen, event_id)
        if handler == "me":
            return Answer(
                200,
                {
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                    "id": "6e7b768e-07e2-4810-8459-485f84f8f204",
                    "displayName": self.display_name,
                    "mail": self.account_email,
                    "userPrincipalName": self.account_email,
                    "businessPhones": [],
                    "givenName": None,
                    "surname": None,
                    "jobTitle": None,
                    "mobilePhone": None,
                    "officeLocation": None,
                    "preferredLanguage": None,
                },
            )
        if handler == "calendars":
            return self._calendar_page(seen)
        if handler == "calendar":
            return Answer(200, self._calendar_resource(key))
        if handler == "delta":
            return self.api_delta(seen, key)
        if handler == "schedule":
            return self.api_get_schedule(seen)
        if handler == "create":
            return self.api_create_event(seen, key)
        if handler == "get":
            return self.api_get_event(seen, event_id, key)
        if handler == "update":
            return self.api_update_event(seen, event_id, key)
        return self.api_delete_event(seen, event_id, key)

    def _calendar_page(self, seen: Seen) -> Answer:
        """GET /me/calendars, `page_size` (or a smaller $top) at a time with $skip next links."""
        numbers = {}
        for name in ("$skip", "$top"):
            text = seen.query.get(name, "")
            if text and not text.isdigit():
                self.violation(f"GET /me/calendars: {name}={text!r} is not a whole number")
                return graph_error(400, "BadRequest", f"Invalid value for {name}.")
            numbers[name] = int(text) if text else None
        skip, top = numbers["$skip"] or 0, numbers["$top"]
        size = max(1, min(top or 10**6, self.page_size or 10**6))
        keys = ["primary"] + [c["id"] for c in self.calendars]
        body = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#me/calendars",
            "value": [self._calendar_resource(k) for k in keys[skip : skip + size]],
        }
        if skip + size < len(keys):
            following = {"$skip": str(skip + size), **({"$top": str(top)} if top else {})}
            body["@odata.nextLink"] = self._link(seen.path, following)
        return Answer(200, body)


def _in_zone(body: dict, tz, tz_name: str) -> dict:
    """An event (or a page of them) with start/end given in the zone of Prefer outlook.timezone."""
    if isinstance(body.get("value"), list):
        return {**body, "value": [_in_zone(item, tz, tz_name) for item in body["value"]]}
    if "start" not in body or "end" not in body:
        return body
    return {
        **body,
        "start": graph_time(read_time(body["start"]), tz, tz_name),
        "end": graph_time(read_time(body["end"]), tz, tz_name),
    }


def _select(body: dict, names: list[str]) -> dict:
    keep = {n.strip() for n in names} | {"id", "@odata.etag", "@odata.context"}
    if "value" in body and isinstance(body["value"], list):
        return {
            **body,
            "value": [{k: v for k, v in item.items() if k in keep} for item in body["value"]],
        }
    return {k: v for k, v in body.items() if k in keep}
