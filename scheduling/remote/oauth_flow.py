"""OAuth 2.0 for calendar connections (Google, Microsoft): one flow through Authlib with httpx.

No Flask, no DB. Authorisation code with PKCE (S256) and `state`, offline access; code exchange
and refresh return plain Tokens; every failure becomes a provider_errors exception. The caller
keeps `state` and the code verifier (in the signed session) and stores the tokens encrypted.
"""

import secrets
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .provider_errors import (
    NeedsReconnect,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SyncStateExpired,
    retry_after_seconds,
    token_error,
)

__all__ = [
    "Authorization",
    "Client",
    "NeedsReconnect",
    "Provider",
    "ProviderUnavailable",
    "RateLimited",
    "SyncStateExpired",
    "Tokens",
    "authorization_url",
    "exchange_code",
    "refresh",
]

GOOGLE_SCOPES = (
    # See which calendars exist (to choose the busy ones and the one that gets bookings).
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    # Start, end and busy/free of events, never their titles or guests (events.list, freeBusy).
    "https://www.googleapis.com/auth/calendar.events.freebusy",
    # Create, change and delete the booking events in calendars the host owns.
    "https://www.googleapis.com/auth/calendar.events.owned",
)
MICROSOFT_SCOPES = ("Calendars.ReadWrite", "offline_access")


@dataclass(frozen=True)
class Provider:
    """One provider's endpoints (from the app's configuration) and what the app asks for."""

    name: str  # "google" or "microsoft"
    authorize_url: str
    token_url: str
    api_url: str
    scopes: tuple[str, ...]
    # Extra parameters of the authorisation request (offline access, consent prompt).
    authorize_params: dict = field(default_factory=dict)
    # Microsoft's refresh request names the scopes again; Google's takes no scope parameter.
    refresh_with_scope: bool = True
    # Where a refresh token is withdrawn on disconnect (RFC 7009); Microsoft has none per token.
    revoke_url: str = ""


def google(authorize_url: str, token_url: str, api_url: str, revoke_url: str = "") -> Provider:
    # access_type=offline + prompt=consent: Google returns a refresh token on every consent.
    return Provider(
        "google",
        authorize_url,
        token_url,
        api_url.rstrip("/"),
        GOOGLE_SCOPES,
        {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "false"},
        refresh_with_scope=False,
        revoke_url=revoke_url,
    )


def microsoft(authorize_url: str, token_url: str, api_url: str) -> Provider:
    # offline_access in the scopes is Microsoft's way of asking for a refresh token.
    return Provider(
        "microsoft",
        authorize_url,
        token_url,
        api_url.rstrip("/"),
        MICROSOFT_SCOPES,
        {"prompt": "select_account"},
    )


@dataclass(frozen=True)
class Client:
    """The organisation's app registration at the provider."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    code_verifier: str


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str = ""


def _authlib():
    """Authlib's httpx client, imported on first use: it pulls in cryptography and httpx, which
    booking and slot requests never need (tests/web/test_lean_workers.py)."""
    import authlib.deprecate  # noqa: F401 (installs its own "always" filter first; see below)

    with warnings.catch_warnings():
        # Authlib 1.9 prefers the "httpx2" fork and warns when it falls back to httpx, the
        # pinned HTTP client here (requirements.txt); the fallback is the same API.
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.httpx_client import OAuth2Client, OAuthError
    return OAuth2Client, OAuthError


def _throttled(response):
    """A 429 or 5xx from the token endpoint means "later", whatever its body says (Authlib would
    read a JSON error body as an OAuth refusal and lose the Retry-After)."""
    status = response.status_code
    wait = retry_after_seconds(response.headers.get("retry-after"))
    if status == 429:
        raise RateLimited("The sign-in service asked to slow down (HTTP 429).", wait or 60.0)
    if status >= 500:
        raise ProviderUnavailable(f"The sign-in service had an error (HTTP {status}).", wait)
    return response


def _session(provider: Provider, client: Client, timeout: float):
    OAuth2Client, _ = _authlib()
    session = OAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=" ".join(provider.scopes),
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
        timeout=timeout,
        follow_redirects=False,
    )
    session.register_compliance_hook("access_token_response", _throttled)
    session.register_compliance_hook("refresh_token_response", _throttled)
    return session


def authorization_url(provider: Provider, client: Client) -> Authorization:
    """Where to send the host: a fresh `state` and PKCE verifier, to keep until the callback."""
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-] (RFC 7636: 43-128)
    with _session(provider, client, 10.0) as session:
        url, state = session.create_authorization_url(
            provider.authorize_url, code_verifier=verifier, **provider.authorize_params
        )
    return Authorization(url, state, verifier)


def _tokens(answer: dict, now: datetime, previous_refresh: str = "") -> Tokens:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProviderError("The sign-in service answered without an access token.")
    refresh_token = answer.get("refresh_token") or previous_refresh
    if not isinstance(refresh_token, str) or not refresh_token:
        raise NeedsReconnect(
            "The provider gave no refresh token (offline access was not granted); "
            "connect again and allow offline access."
        )
    try:
        lifetime = int(answer.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600
    return Tokens(
        access,
        refresh_token,
        now + timedelta(seconds=max(60, lifetime)),
        str(answer.get("scope", "")),
    )


def _token_call(fn) -> dict:
    import httpx

    _, OAuthError = _authlib()
    try:
        return fn()
    except OAuthError as exc:
        raise token_error(exc.error or "", exc.description) from None
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status == 429:
            raise RateLimited(
                "The sign-in service asked to slow down (HTTP 429).",
                retry_after_seconds(exc.response.headers.get("retry-after"), 60.0),
            ) from None
        raise ProviderUnavailable(
            f"The sign-in service had an error (HTTP {status}).",
            retry_after_seconds(exc.response.headers.get("retry-after")),
        ) from None
    except httpx.TimeoutException:
        raise ProviderUnavailable("The sign-in service did not answer in time.") from None
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"The sign-in service could not be reached ({exc}).") from None


def exchange_code(
    provider: Provider,
    client: Client,
    code: str,
    code_verifier: str,
    now: datetime,
    timeout: float = 15.0,
) -> Tokens:
    """Trade the callback's code (with the PKCE verifier) for tokens."""
    with _session(provider, client, timeout) as session:
        answer = _token_call(
            lambda: session.fetch_token(
                provider.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                redirect_uri=client.redirect_uri,
            )
        )
    return _tokens(dict(answer), now)


def refresh(
    provider: Provider, client: Client, refresh_token: str, now: datetime, timeout: float = 15.0
) -> Tokens:
    """A new access token; Microsoft also rotates the refresh token (the caller must save it)."""
    with _session(provider, client, timeout) as session:
        if not provider.refresh_with_scope:
            session.scope = None  # Authlib would add the client's scope otherwise
        answer = _token_call(
            lambda: session.refresh_token(provider.token_url, refresh_token=refresh_token)
        )
    return _tokens(dict(answer), now, previous_refresh=refresh_token)


def revoke(provider: Provider, token: str, timeout: float = 5.0) -> bool:
    """Withdraw the grant at the provider (best effort); True when it confirmed."""
    if not provider.revoke_url or not token:
        return False
    import httpx

    try:
        answer = httpx.post(
            provider.revoke_url,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
            follow_redirects=False,
        )
    except httpx.HTTPError:
        return False
    return answer.status_code == 200
