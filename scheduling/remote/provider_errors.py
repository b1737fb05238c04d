"""What can go wrong talking to Google Calendar or Microsoft Graph, as exceptions the sync reads.

No Flask, no DB. Every HTTP answer that is not a success becomes one of these, so the callers
(sync, write-back, the connect callback) decide once: reconnect, wait, resync, or retry later.
"""

import email.utils
import time

# Google's reasons for a 403 that means "slow down", not "forbidden".
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
# A 403 that concerns the whole grant (a scope missing or withdrawn), not one calendar.
RECONNECT_REASONS = frozenset(
    {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "ErrorAccessDenied"}
)


class ProviderError(Exception):
    """A failed call; the message is shown to the host and the admin."""

    retry_after: float | None = None

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after


class NeedsReconnect(ProviderError):
    """The refresh token is gone (invalid_grant, AADSTS700082, revoked consent)."""


class RateLimited(ProviderError):
    """429, or 403 with a rate-limit reason: wait at least `retry_after` seconds."""


class ProviderUnavailable(ProviderError):
    """503/5xx or a network failure or timeout: try again later."""


class SyncStateExpired(ProviderError):
    """410 on a sync token or delta link: read the whole window again."""


class AccessTokenRejected(ProviderError):
    """401 on an API call: refresh the access token and try once more."""


class RemoteNotFound(ProviderError):
    """404/410 on a single event or calendar."""


def retry_after_seconds(value: str | None, default: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 86400))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when is None:
        return default
    return max(0.0, min(86400.0, when.timestamp() - time.time()))


def _reasons(body) -> set[str]:
    """Google's error reasons ({"error": {"errors": [{"reason": ...}]}}) and Graph's code."""
    found: set[str] = set()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        for item in error.get("errors") or []:
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                found.add(item["reason"])
        for key in ("code", "status"):
            if isinstance(error.get(key), str):
                found.add(error[key])
    return found


def _message(body) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"][:300]
    return ""


def api_error(status: int, headers, body) -> ProviderError:
    """The exception for an unsuccessful API answer (status, headers mapping, parsed JSON body)."""
    retry = retry_after_seconds(headers.get("retry-after") if headers else None)
    reasons = _reasons(body)
    detail = _message(body)
    suffix = f": {detail}" if detail else ""
    if status == 429 or (status == 403 and reasons & RATE_LIMIT_REASONS):
        return RateLimited(
            f"The calendar provider asked to slow down (HTTP {status}).", retry or 60.0
        )
    if status == 410 and (
        reasons
        & {"fullSyncRequired", "syncStateNotFound", "resyncRequired", "updatedMinTooLongAgo"}
        or not reasons
    ):
        return SyncStateExpired(f"The provider needs a full read again (HTTP 410){suffix}.")
    if status == 401:
        return AccessTokenRejected(f"The provider refused the access token (HTTP 401){suffix}.")
    if status in (404, 410):
        return RemoteNotFound(f"Not found at the provider (HTTP {status}){suffix}.")
    if status >= 500:
        return ProviderUnavailable(
            f"The calendar provider had an error (HTTP {status}); it will be retried.", retry
        )
    if status == 403 and reasons & RECONNECT_REASONS:
        return NeedsReconnect(
            f"The connection lacks a permission the app needs (HTTP 403){suffix}; connect it again."
        )
    if status == 403:  # this calendar only (unshared, say): the others keep syncing
        return ProviderError(f"The provider refused access to this calendar (HTTP 403){suffix}.")
    return ProviderError(f"The calendar provider answered HTTP {status}{suffix}.")


def token_error(error: str, description: str | None) -> ProviderError:
    """The exception for an OAuth error answer of the token endpoint (RFC 6749 section 5.2)."""
    description = (description or "")[:300]
    if error == "invalid_grant" or description.startswith("AADSTS700082"):
        return NeedsReconnect(
            "The calendar connection has expired or was revoked; connect it again."
            + (f" ({description})" if description else "")
        )
    if error in ("temporarily_unavailable", "server_error"):
        return ProviderUnavailable(f"The sign-in service is unavailable ({error}).")
    if error in ("invalid_client", "unauthorized_client"):
        return ProviderError(
            f"The provider refused the app's client id or secret ({error}); "
            "an admin must check the organisation's calendar settings."
        )
    return ProviderError(f"The sign-in service refused the request ({error}: {description}).")
