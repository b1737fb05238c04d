"""Push channels at the providers: Google events.watch / channels.stop, Graph /subscriptions.

No Flask, no DB. A channel only tells us "something changed"; the sync reads what. Whether a
PUBLIC_URL can receive pushes at all is `public_https` (the providers call only public https).
"""

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from .busy_changes import parse_instant
from .provider_errors import ProviderError, RemoteNotFound, SyncStateExpired
from .provider_http import Api

# Google lets a calendar channel live about a week; it answers with the expiration it granted.
GOOGLE_LIFETIME = timedelta(days=7)
# Graph: at most 10 080 minutes for Outlook events (the subscription resource's documented
# maximum); ask a little less so a clock apart by minutes is never refused.
GRAPH_LIFETIME = timedelta(minutes=10080) - timedelta(hours=1)
GRAPH_CHANGES = "created,updated,deleted"
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".invalid")


@dataclass(frozen=True)
class Registered:
    channel_id: str
    resource_id: str
    expires_at: datetime


def public_https(url: str) -> bool:
    """Whether `url` is https on a public host name or a public IP address."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if parts.scheme != "https" or not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host and host != "localhost" and not host.endswith(LOCAL_SUFFIXES)
    return address.is_global


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def google_watch(
    api: Api, calendar_id: str, channel_id: str, token: str, address: str, now: datetime
) -> Registered:
    """events.watch on the calendar: Google posts to `address` with our `token` on changes."""
    body = api.call(
        "POST",
        api.url(f"calendars/{quote(calendar_id, safe='')}/events/watch"),
        json={
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "expiration": _ms(now + GOOGLE_LIFETIME),
        },
    ).body
    resource_id = body.get("resourceId")
    if not isinstance(resource_id, str) or not resource_id:
        raise ProviderError("Google did not return the channel's resource id.")
    try:
        expires = datetime.fromtimestamp(int(body.get("expiration")) / 1000, UTC)
    except (TypeError, ValueError):
        expires = now + GOOGLE_LIFETIME
    return Registered(channel_id, resource_id, min(expires, now + GOOGLE_LIFETIME))


def google_stop(api: Api, channel_id: str, resource_id: str) -> bool:
    """channels.stop; False when Google no longer knows the channel (404/410 count as done)."""
    try:
        api.call(
            "POST", api.url("channels/stop"), json={"id": channel_id, "resourceId": resource_id}
        )
    except (RemoteNotFound, SyncStateExpired):
        return False
    return True


def _expiry(body: dict, fallback: datetime) -> datetime:
    try:
        return parse_instant(str(body["expirationDateTime"]))
    except (KeyError, TypeError, ValueError):
        return fallback


def graph_subscribe(
    api: Api, calendar_id: str, address: str, client_state: str, now: datetime
) -> Registered:
    """POST /subscriptions on the calendar's events (Graph validates `address` first)."""
    wanted = now + GRAPH_LIFETIME
    body = api.call(
        "POST",
        api.url("subscriptions"),
        json={
            "changeType": GRAPH_CHANGES,
            "notificationUrl": address,
            "resource": f"/me/calendars/{calendar_id}/events",
            "expirationDateTime": wanted.isoformat().replace("+00:00", "Z"),
            "clientState": client_state,
        },
    ).body
    subscription_id = body.get("id")
    if not isinstance(subscription_id, str) or not subscription_id:
        raise ProviderError("Microsoft did not return the subscription's id.")
    return Registered(subscription_id, "", _expiry(body, wanted))


def graph_renew(api: Api, subscription_id: str, now: datetime) -> datetime:
    """PATCH the subscription's expirationDateTime; returns the new expiry."""
    wanted = now + GRAPH_LIFETIME
    body = api.call(
        "PATCH",
        api.url(f"subscriptions/{quote(subscription_id, safe='')}"),
        json={"expirationDateTime": wanted.isoformat().replace("+00:00", "Z")},
    ).body
    return _expiry(body, wanted)


def graph_delete(api: Api, subscription_id: str) -> bool:
    """DELETE the subscription; False when it was already gone (404/410 count as done)."""
    try:
        api.call("DELETE", api.url(f"subscriptions/{quote(subscription_id, safe='')}"))
    except (RemoteNotFound, SyncStateExpired):
        return False
    return True
