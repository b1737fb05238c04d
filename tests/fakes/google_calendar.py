"""A fake Google Calendar v3 with Google's OAuth endpoints, checked against the discovery document.

Every request's path, query parameters and JSON body are checked against the vendored discovery
document (google_discovery.py); what breaks it lands in `violations`.
"""

import base64
import secrets

from . import google_discovery as discovery
from .google_events import GoogleEventsMixin
from .google_payloads import google_error
from .http_fake import Answer, Failure, FakeServer, Seen
from .oauth_server import Grant, OAuthMixin
from .push_channels import GooglePushMixin

# calendarList accessRole values, weakest first (discovery: calendarList.list minAccessRole).
ROLES = ("freeBusyReader", "reader", "writer", "owner")
OPENID_SCOPES = frozenset(
    {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    }
)


class FakeGoogle(GooglePushMixin, GoogleEventsMixin, OAuthMixin, FakeServer):
    """Google Calendar v3 (rootUrl + servicePath = base_url + /calendar/v3) and Google OAuth."""

    api_prefixes = (discovery.SERVICE_PATH,)
    authorize_params = frozenset(
        {
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "access_type",
            "prompt",
            "include_granted_scopes",
            "login_hint",
            "nonce",
            "hd",
            "enable_granular_consent",
        }
    )
    authorize_values = {
        "access_type": frozenset({"online", "offline"}),
        "prompt": frozenset({"none", "consent", "select_account"}),
        "include_granted_scopes": frozenset({"true", "false"}),
        "enable_granular_consent": frozenset({"true", "false"}),
    }
    token_params = frozenset(
        {
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "client_secret",
            "code_verifier",
            "refresh_token",
            "scope",  # sent by OAuth libraries on refresh (a subset of the granted scopes)
        }
    )
    rotates_refresh_tokens = False
    # The calendars' time zone: events the fake makes carry local times with this zone's offset.
    time_zone = "UTC"

    @property
    def urls(self) -> dict:
        """The settings a client needs: authorize, token, revoke and API URLs."""
        base = self.base_url
        return {
            "authorize_url": base + "/o/oauth2/v2/auth",
            "token_url": base + "/token",
            "revoke_url": base + "/revoke",
            "api_url": base + discovery.SERVICE_PATH,
        }

    # -- OAuth flavour ---------------------------------------------------------------------
    def default_scopes(self) -> list[str]:
        """The scopes grant() uses when none are given."""
        return [
            "https://www.googleapis.com/auth/calendar.events.owned",
            "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
        ]

    def known_scope(self, scope: str) -> bool:
        """Whether Google would accept this scope (discovery or OpenID)."""
        return scope in discovery.SCOPES or scope in OPENID_SCOPES

    def offline_requested(self, query: dict, scopes) -> bool:
        """Google asks for a refresh token with access_type=offline."""
        return query.get("access_type") == "offline"

    def _wants(self, grant: Grant, first_consent: bool) -> bool:
        # Google sends a refresh token on the first offline consent, or when consent is forced.
        return grant.offline and (first_consent or "consent" in grant.prompt.split())

    def token_error(self, status: int, error: str, description: str, code: int = 0) -> Answer:
        """A token endpoint error in Google's wording."""
        if code == 700082:
            description = "Token has been expired or revoked."
        elif code == 50148:  # Google names a redirect_uri mismatch at the token endpoint
            error, description = "redirect_uri_mismatch", "Bad Request"
        return Answer(status, {"error": error, "error_description": description})

    def revoke(self, seen: Seen) -> Answer:
        """POST /revoke: end a refresh token (and its access tokens) or an access token."""
        token = seen.form.get("token") or seen.query.get("token", "")
        with self._lock:
            if token in self._refresh:
                self._refresh[token].valid = False
                self._refresh[token].reason = "revoked"
                for access in self._access.values():
                    if access.client_id == self._refresh[token].client_id:
                        access.expired = True
                return Answer(200, {})
            if token in self._access:
                self._access[token].expired = True
                return Answer(200, {})
        return Answer(
            400, {"error": "invalid_token", "error_description": "Token expired or revoked"}
        )

    # -- calendars -------------------------------------------------------------------------
    def add_calendar(self, calendar_id: str, summary: str = "", access_role: str = "owner") -> str:
        """Add a secondary calendar to the account's calendar list."""
        self.calendars.append(
            {"id": calendar_id, "summary": summary or calendar_id, "accessRole": access_role}
        )
        return calendar_id

    def _calendar_key(self, calendar_id: str) -> str | None:
        """The store key of a calendar id ("primary" for the account's own), None if unknown."""
        if calendar_id in ("primary", self.account_email):
            return "primary"
        return calendar_id if any(c["id"] == calendar_id for c in self.calendars) else None

    def _calendar_entry(self, key: str) -> dict:
        if key == "primary":
            return {
                "id": self.account_email,
                "summary": self.account_email,
                "accessRole": "owner",
                "primary": True,
            }
        return next(c for c in self.calendars if c["id"] == key)

    def _list_entry(self, key: str) -> dict:
        entry = self._calendar_entry(key)
        return {
            "kind": "calendar#calendarListEntry",
            "etag": '"1"',
            "id": entry["id"],
            "summary": entry.get("summary", entry["id"]),
            "timeZone": self.time_zone,
            "accessRole": entry.get("accessRole", "owner"),
            "defaultReminders": [],
            **({"primary": True} if entry.get("primary") else {}),
        }

    # -- HTTP ------------------------------------------------------------------------------
    def bad_json(self, seen: Seen) -> Answer:
        """Google's answer to a body that is not JSON."""
        self.violation(f"{seen.method} {seen.path}: body is not valid JSON")
        return google_error(400, "parseError", "Parse Error")

    def fail_next(
        self, status=429, retry_after=None, count=1, inside_batch=False, token_endpoint=False
    ):
        """As FakeServer.fail_next; Google's fake has no batch endpoint."""
        if inside_batch:
            raise ValueError("the Google fake has no batch endpoint; inside_batch is Graph only")
        super().fail_next(status, retry_after, count, token_endpoint=token_endpoint)

    def is_token_path(self, path: str) -> bool:
        """Whether the path is the token endpoint."""
        return path == "/token"

    def failure_answer(self, failure: Failure) -> Answer:
        """The error Google sends for a scripted failure status."""
        if failure.status in (403, 429):
            answer = google_error(
                failure.status, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"
            )
        elif failure.status == 503:
            answer = google_error(503, "backendError", "Backend Error")
        else:
            answer = google_error(failure.status, "backendError", "Scripted failure")
        if failure.retry_after is not None:
            answer.headers["Retry-After"] = str(failure.retry_after)
        return answer

    def dispatch(self, seen: Seen) -> Answer:
        """Route a request: OAuth endpoints, then Calendar v3 methods from discovery."""
        if seen.path == "/o/oauth2/v2/auth" and seen.method == "GET":
            return self.authorize(seen)
        if seen.path == "/token":
            return self.token(seen)
        if seen.path == "/revoke" and seen.method == "POST":
            return self.revoke(seen)
        method, params, path_known = discovery.match(seen.method, seen.path)
        if method is None:
            what = "method not allowed on" if path_known else "no such path"
            self.violation(f"{seen.method} {seen.path}: {what} in Calendar v3 discovery")
            return google_error(405 if path_known else 404, "notFound", "Not Found")
        for problem in discovery.check_query(method, seen.query, seen.lists):
            self.violation(problem)
        if method.request_schema:
            if seen.json is None:
                self.violation(f"{method.id}: JSON body missing")
                return google_error(400, "required", "Required")
            problems = discovery.check_body(method.request_schema, seen.json)
            for problem in problems:
                self.violation(f"{method.id}: {problem}")
            if problems:  # Google refuses unknown names and wrong types in a JSON payload
                return google_error(400, "invalid", f"Invalid JSON payload received. {problems[0]}")
        token, error = self.bearer(seen)
        if token is None:
            answer = google_error(401, "authError", "Invalid Credentials")
            answer.body["error"]["errors"][0].update(
                {"location": "Authorization", "locationType": "header"}
            )
            answer.body["error"]["message"] = (
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential."
            )
            answer.body["error"]["status"] = "UNAUTHENTICATED"
            answer.headers["WWW-Authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            return answer
        if not method.scopes & set(token.scopes):
            self.violation(f"{method.id}: token scopes {token.scopes} allow none of its scopes")
            answer = google_error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
            answer.body["error"]["status"] = "PERMISSION_DENIED"
            return answer
        refusal = self._calendar_refusal(method, params, set(token.scopes))
        if refusal:
            self.violation(f"{method.id}: {refusal}")
            return google_error(403, "requiredAccessLevel", refusal)
        handler = getattr(self, "api_" + method.id.split(".", 1)[1].replace(".", "_"), None)
        if handler is None:
            self.violation(f"{method.id}: a valid method the fake does not serve")
            return google_error(501, "notImplemented", f"{method.id} is not served by the fake")
        with self._lock:
            answer = handler(seen, params)
        fields = seen.query.get("fields")
        if fields and answer.body is not None and answer.status < 300:
            try:
                answer.body = discovery.select_fields(discovery.parse_fields(fields), answer.body)
            except ValueError as error:
                self.violation(f"{method.id}: bad fields selector {fields!r}: {error}")
                return google_error(400, "invalidParameter", "Invalid field selection")
        return answer

    def _calendar_refusal(self, method, params: dict, granted: set[str]) -> str:
        """Why the granted scopes do not reach this calendar ("" when they do)."""
        permitting = {s.rsplit("/", 1)[-1] for s in method.scopes & granted}
        key = self._calendar_key(params.get("calendarId", "")) if "calendarId" in params else None
        if key is None or method.id.startswith("calendar.calendarList"):
            return ""
        if permitting <= {"calendar.app.created"}:
            return "calendar.app.created reaches only calendars the app created (none here)"
        role = self._calendar_entry(key).get("accessRole", "owner")
        if permitting <= {"calendar.events.owned", "calendar.events.owned.readonly"} and (
            role != "owner"
        ):
            return f"calendar.events.owned reaches only owned calendars; this one is {role}"
        return ""

    # -- calendarList and calendars ----------------------------------------------------------
    def api_calendarList_list(self, seen: Seen, params: dict) -> Answer:
        """calendarList.list, paged, filtered by minAccessRole."""
        if "pageToken" in seen.query:
            page = self._next_page(seen.query["pageToken"])
            if page is None:
                self.violation(f"calendarList.list: unknown pageToken {seen.query['pageToken']!r}")
                return google_error(400, "invalid", "Invalid Value")
        else:
            keys = ["primary"] + [c["id"] for c in self.calendars]
            entries = [self._list_entry(key) for key in keys]
            floor = ROLES.index(seen.query.get("minAccessRole", "freeBusyReader"))
            entries = [e for e in entries if ROLES.index(e["accessRole"]) >= floor]
            page = self._paged(entries, self._page_limit(seen.query), {"nextSyncToken": "cl1"})
        items, tail = page
        return Answer(200, {"kind": "calendar#calendarList", "etag": '"1"', **tail, "items": items})

    def api_calendarList_get(self, seen: Seen, params: dict) -> Answer:
        """calendarList.get."""
        key = self._calendar_key(params["calendarId"])
        if key is None:
            return google_error(404, "notFound", "Not Found")
        return Answer(200, self._list_entry(key))

    def api_calendars_get(self, seen: Seen, params: dict) -> Answer:
        """calendars.get."""
        key = self._calendar_key(params["calendarId"])
        if key is None:
            return google_error(404, "notFound", "Not Found")
        entry = self._list_entry(key)
        return Answer(
            200,
            {
                "kind": "calendar#calendar",
                "etag": entry["etag"],
                "id": entry["id"],
                "summary": entry["summary"],
                "timeZone": self.time_zone,
            },
        )

    # -- sync and page tokens ----------------------------------------------------------------
    def _sync_token(self, single: bool) -> str:
        """A token for the changes after now, remembering the round's singleEvents."""
        raw = f"{self._epoch}:{self._current_seq()}:{int(single)}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _read_sync_token(self, token: str) -> tuple[int, bool] | None:
        """The change sequence and singleEvents of a sync token; None when expired or malformed."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            epoch, seq, single = (int(part) for part in raw.split(":"))
        except ValueError:
            return None
        return (seq, bool(single)) if epoch == self._epoch else None

    def _page_limit(self, query: dict) -> int:
        asked = query.get("maxResults", "")
        asked = int(asked) if asked.isdigit() else 250
        return max(1, min(asked, self.page_size or 250))

    def _paged(self, items: list[dict], size: int, tail: dict) -> tuple[list[dict], dict]:
        """Cut `items` into a first page; keep the rest behind a nextPageToken."""
        if len(items) <= size:
            return items, tail
        token = secrets.token_urlsafe(12)
        self._pages[token] = {"items": items[size:], "size": size, "tail": tail}
        return items[:size], {"nextPageToken": token}

    def _next_page(self, token: str) -> tuple[list[dict], dict] | None:
        state = self._pages.pop(token, None)
        if state is None:
            return None
        return self._paged(state["items"], state["size"], state["tail"])
