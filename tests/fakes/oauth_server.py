"""OAuth 2.0 authorization-code flow with PKCE (RFC 7636) and refresh, shared by both fakes.

Google and the Microsoft identity platform differ in error bodies, in when a refresh token is
issued (Google: first consent with access_type=offline; Microsoft: with scope offline_access) and in
rotation (Microsoft answers every refresh with a new refresh token; here the old one then fails).
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode

from .http_fake import Answer, Seen


@dataclass
class Client:
    """A registered OAuth client."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass
class Grant:
    """An authorization code and what it was issued for."""

    client_id: str
    scopes: tuple[str, ...]
    redirect_uri: str = ""
    challenge: str = ""
    offline: bool = False
    prompt: str = ""
    used: bool = False


@dataclass
class AccessToken:
    """An issued access token."""

    client_id: str
    scopes: tuple[str, ...]
    expired: bool = False


@dataclass
class RefreshToken:
    """An issued refresh token; invalid once revoked or rotated."""

    client_id: str
    scopes: tuple[str, ...]
    valid: bool = True
    reason: str = ""  # "revoked" or "rotated" once invalid
    children: list[str] = field(default_factory=list)


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthMixin:
    """Authorize and token endpoints; subclasses set the flavour hooks below."""

    authorize_params: frozenset[str] = frozenset()
    # Parameters with a closed set of documented values (space-separated lists for `prompt`).
    authorize_values: dict[str, frozenset[str]] = {}
    token_params: frozenset[str] = frozenset()
    rotates_refresh_tokens = False

    def __init__(self):
        super().__init__()
        self.clients: dict[str, Client] = {}
        self._codes: dict[str, Grant] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._consented: set[tuple[str, tuple[str, ...]]] = set()

    # -- test controls ---------------------------------------------------------------------
    def register_client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        """Register an OAuth client the authorize and token endpoints accept."""
        self.clients[client_id] = Client(client_id, client_secret, redirect_uri)

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token issued so far fail with invalid_grant."""
        with self._lock:
            for token in self._refresh.values():
                if token.valid:
                    token.valid, token.reason = False, "revoked"

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far answer 401 on the next API call."""
        with self._lock:
            for token in self._access.values():
                token.expired = True

    def grant(self, client_id: str, scopes: list[str] | None = None) -> dict:
        """Issue tokens without the browser flow (for tests that start from a stored connection)."""
        chosen = tuple(scopes or self.default_scopes())
        unknown = [scope for scope in chosen if not self.known_scope(scope)]
        if unknown or client_id not in self.clients:
            raise ValueError(f"grant: unknown client {client_id!r} or scopes {unknown}")
        return self._issue(client_id, chosen, with_refresh=True)

    # -- flavour hooks ---------------------------------------------------------------------
    def default_scopes(self) -> list[str]:
        """The scopes grant() uses when none are given."""
        raise NotImplementedError

    def known_scope(self, scope: str) -> bool:
        """Whether the provider would accept this scope."""
        raise NotImplementedError

    def offline_requested(self, query: dict, scopes: tuple[str, ...]) -> bool:
        """Whether the authorize request asked for a refresh token."""
        raise NotImplementedError

    def token_error(self, status: int, error: str, description: str, code: int = 0) -> Answer:
        """A token endpoint error in the provider's shape."""
        raise NotImplementedError

    def token_extra(self) -> dict:
        """Provider-specific fields of a token answer."""
        return {}

    # -- endpoints -------------------------------------------------------------------------
    def authorize(self, seen: Seen) -> Answer:
        """GET authorize: check the request, then redirect with a code (consent assumed)."""
        query = seen.query
        for name in sorted(set(query) - self.authorize_params):
            self.violation(f"authorize: unknown parameter {name!r}")
        for name, allowed in self.authorize_values.items():
            for value in query.get(name, "").split():
                if value not in allowed:
                    self.violation(f"authorize: {name}={value!r} not one of {sorted(allowed)}")
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            self.violation(f"authorize: unknown client_id {query.get('client_id')!r}")
            return Answer(400, {"error": "invalid_client"})
        if query.get("redirect_uri") != client.redirect_uri:
            self.violation(f"authorize: redirect_uri {query.get('redirect_uri')!r} not registered")
            return Answer(400, {"error": "redirect_uri_mismatch"})
        problems = []
        if query.get("response_type") != "code":
            problems.append("response_type must be 'code'")
        scopes = tuple(query.get("scope", "").split())
        if not scopes:
            problems.append("scope missing")
        problems += [f"unknown scope {s!r}" for s in scopes if not self.known_scope(s)]
        if not query.get("state"):
            problems.append("state missing")
        if not query.get("code_challenge"):
            problems.append("PKCE code_challenge missing")
        if query.get("code_challenge_method") != "S256":
            problems.append("code_challenge_method must be S256")
        for problem in problems:
            self.violation(f"authorize: {problem}")
        if problems:
            error = {"error": "invalid_request", "error_description": "; ".join(problems)}
            if query.get("state"):
                error["state"] = query["state"]
            return Answer(302, location=f"{client.redirect_uri}?{urlencode(error)}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Grant(
                client_id=client.client_id,
                scopes=scopes,
                redirect_uri=client.redirect_uri,
                challenge=query["code_challenge"],
                offline=self.offline_requested(query, scopes),
                prompt=query.get("prompt", ""),
            )
        target = f"{client.redirect_uri}?{urlencode({'code': code, 'state': query['state']})}"
        return Answer(302, location=target)

    def token(self, seen: Seen) -> Answer:
        """POST token: authorization_code (with PKCE) or refresh_token."""
        if seen.method != "POST":
            self.violation(f"token: {seen.method} instead of POST")
            return Answer(405, {"error": "invalid_request"})
        if seen.query:
            self.violation("token: parameters belong in the form body, not the query string")
        content_type = seen.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            self.violation(f"token: Content-Type {content_type!r}, expected form encoding")
        form = seen.form
        for name in sorted(set(form) - self.token_params):
            self.violation(f"token: unknown parameter {name!r}")
        client_id, secret = self._client_credentials(seen)
        client = self.clients.get(client_id or "")
        if client is None or secret != client.client_secret:
            self.violation(f"token: bad client credentials for {client_id!r}")
            return self.token_error(
                401, "invalid_client", "Invalid client secret provided.", 7000215
            )
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh_grant(client, form)
        self.violation(f"token: unsupported grant_type {grant_type!r}")
        return self.token_error(400, "unsupported_grant_type", "Invalid grant_type.", 70003)

    def _client_credentials(self, seen: Seen) -> tuple[str | None, str | None]:
        header = seen.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except ValueError:
                return None, None
            client_id, _, secret = decoded.partition(":")
            return unquote_plus(client_id), unquote_plus(secret)
        return seen.form.get("client_id"), seen.form.get("client_secret")

    def _exchange_code(self, client: Client, form: dict) -> Answer:
        with self._lock:
            grant = self._codes.get(form.get("code", ""))
            if grant is None or grant.used or grant.client_id != client.client_id:
                return self.token_error(
                    400, "invalid_grant", "Malformed auth code or code already redeemed.", 54005
                )
            if form.get("redirect_uri") != grant.redirect_uri:
                self.violation("token: redirect_uri differs from the authorize request")
                return self.token_error(
                    400, "invalid_grant", "The redirect_uri does not match.", 50148
                )
            verifier = form.get("code_verifier")
            if not verifier:
                self.violation("token: PKCE code_verifier missing")
                return self.token_error(400, "invalid_grant", "Missing code verifier.", 5000)
            if s256(verifier) != grant.challenge:
                return self.token_error(
                    400,
                    "invalid_grant",
                    "The code_verifier does not match the code_challenge.",
                    501481,
                )
            grant.used = True
            key = (client.client_id, grant.scopes)
            first = key not in self._consented
            self._consented.add(key)
            return Answer(
                200, self._issue(client.client_id, grant.scopes, self._wants(grant, first))
            )

    def _wants(self, grant: Grant, first_consent: bool) -> bool:
        return grant.offline

    def _refresh_grant(self, client: Client, form: dict) -> Answer:
        with self._lock:
            value = form.get("refresh_token", "")
            token = self._refresh.get(value)
            if token is None or token.client_id != client.client_id:
                return self.token_error(400, "invalid_grant", "Bad refresh token.", 9002313)
            if not token.valid:
                if token.reason == "rotated":
                    return self.token_error(
                        400,
                        "invalid_grant",
                        "The refresh token is not valid: it was already rotated.",
                        70000,
                    )
                return self.token_error(
                    400, "invalid_grant", "The refresh token has expired due to inactivity.", 700082
                )
            issued = self._issue(client.client_id, token.scopes, self.rotates_refresh_tokens)
            if self.rotates_refresh_tokens:
                token.valid, token.reason = False, "rotated"
            return Answer(200, issued)

    def _issue(self, client_id: str, scopes: tuple[str, ...], with_refresh: bool) -> dict:
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = AccessToken(client_id, scopes)
            body = {
                "access_token": access,
                "expires_in": 3599,
                "scope": " ".join(scopes),
                "token_type": "Bearer",
                **self.token_extra(),
            }
            if with_refresh:
                refresh = secrets.token_urlsafe(40)
                self._refresh[refresh] = RefreshToken(client_id, scopes)
                body["refresh_token"] = refresh
        return body

    def bearer(self, seen: Seen) -> tuple[AccessToken | None, str]:
        """The access token of an API call and "" or an error kind: missing, unknown, expired."""
        header = seen.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            self.violation(f"{seen.method} {seen.path}: no bearer token")
            return None, "missing"
        token = self._access.get(header[7:])
        if token is None:
            self.violation(f"{seen.method} {seen.path}: unknown bearer token")
            return None, "unknown"
        if token.expired:
            return None, "expired"
        return token, ""
