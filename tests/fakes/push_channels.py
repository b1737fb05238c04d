"""Push channels in the fakes: Google events.watch / channels.stop, Graph /subscriptions.

Google (discovery: calendar.events.watch, calendar.channels.stop; the Channel schema is checked
by the dispatcher): a web_hook channel needs an https `address` and a unique `id`; the answer
carries `resourceId`, `resourceUri` and the `expiration` (ms) asked for, capped at a week.
`push_headers(channel_id, state)` gives the headers Google's notification carries.

Graph (subscription resource, v1.0): POST needs changeType, notificationUrl (https), resource,
expirationDateTime (future, at most 10 080 minutes for events); clientState at most 128
characters. Before creating, Graph POSTs to notificationUrl?validationToken=... and requires
200, text/plain, the token exactly, within 10 s: `validator(url) -> (status, content_type,
text)` is called when set (tests wire it to the app), else a real HTTP POST is made.
`notification(subscription_id, ...)` builds the body Graph posts for a change.
`clock` (a callable returning an aware UTC datetime) is the fakes' "now" for expiry checks.
"""

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

from .google_payloads import google_error
from .graph_payloads import graph_error
from .http_fake import Answer, Seen, parse_instant

GOOGLE_MAX = timedelta(days=7)
GRAPH_MAX = timedelta(minutes=10080)
GRAPH_CHANGE_TYPES = frozenset({"created", "updated", "deleted"})
GRAPH_FIELDS = frozenset(
    {
        "changeType",
        "notificationUrl",
        "resource",
        "expirationDateTime",
        "clientState",
        "lifecycleNotificationUrl",
        "latestSupportedTlsVersion",
        "includeResourceData",
        "encryptionCertificate",
        "encryptionCertificateId",
        "notificationQueryOptions",
        "notificationUrlAppId",
    }
)
GRAPH_PATCHABLE = frozenset({"expirationDateTime", "notificationUrl"})
VALIDATION_FAILED = (
    "Subscription validation request failed. Notification endpoint must respond with 200 OK "
    "to validation request."
)


def _now(fake) -> datetime:
    return fake.clock() if getattr(fake, "clock", None) else datetime.now(UTC)


def _https(url) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme == "https" and bool(urlsplit(url).netloc)


class GooglePushMixin:
    """events.watch and channels.stop for FakeGoogle."""

    def _channels(self) -> dict:
        if not hasattr(self, "channels"):
            self.channels: dict[str, dict] = {}
            self.stopped: list[str] = []
        return self.channels

    def api_events_watch(self, seen: Seen, params: dict) -> Answer:
        body, channels = seen.json, self._channels()
        key = self._calendar_key(params.get("calendarId", ""))
        if key is None:
            return google_error(404, "notFound", "Not Found")
        if body.get("type") not in ("web_hook", "webhook"):
            self.violation(f"events.watch: type {body.get('type')!r} is not web_hook")
            return google_error(400, "invalid", "Invalid value for: type")
        if not _https(body.get("address")):
            return google_error(
                400,
                "push.webhookUrlNotHttps",
                f"WebHook callback must be HTTPS: {body.get('address')}",
                "push",
            )
        channel_id = body.get("id")
        if not channel_id or channel_id in channels:
            return google_error(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        now = _now(self)
        longest = now + GOOGLE_MAX
        try:
            asked = datetime.fromtimestamp(int(body["expiration"]) / 1000, UTC)
        except (KeyError, TypeError, ValueError):
            asked = longest
        expires = min(asked, longest)
        resource_id = secrets.token_urlsafe(18)
        channels[channel_id] = {
            "id": channel_id,
            "resourceId": resource_id,
            "calendar": key,
            "address": body["address"],
            "token": body.get("token", ""),
            "expiration": str(int(expires.timestamp() * 1000)),
        }
        calendar_id = params["calendarId"]
        return Answer(
            200,
            {
                "kind": "api#channel",
                "id": channel_id,
                "resourceId": resource_id,
                "resourceUri": "https://www.googleapis.com/calendar/v3/calendars/"
                f"{quote(calendar_id, safe='')}/events?alt=json",
                "expiration": channels[channel_id]["expiration"],
                **({"token": body["token"]} if body.get("token") else {}),
            },
        )

    def api_channels_stop(self, seen: Seen, params: dict) -> Answer:
        body, channels = seen.json, self._channels()
        found = channels.get(body.get("id"))
        if found is None or found["resourceId"] != body.get("resourceId"):
            return google_error(
                404, "notFound", f"Channel '{body.get('id')}' not found for project '1234'"
            )
        del channels[body["id"]]
        self.stopped.append(body["id"])
        return Answer(204)

    def push_headers(self, channel_id: str, state: str = "exists", **override) -> dict:
        """The headers of Google's notification on this channel (override any of them)."""
        channel = self._channels()[channel_id]
        headers = {
            "X-Goog-Channel-ID": channel_id,
            "X-Goog-Channel-Token": channel["token"],
            "X-Goog-Channel-Expiration": datetime.fromtimestamp(
                int(channel["expiration"]) / 1000, UTC
            ).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/"
            f"{quote(channel['calendar'], safe='')}/events?alt=json",
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(secrets.randbelow(10**6) + 1),
        }
        headers.update(override)
        return {name: value for name, value in headers.items() if value is not None}


class GraphPushMixin:
    """POST/PATCH/DELETE /subscriptions for FakeGraph, with the validation handshake."""

    validator = None

    def _subscriptions(self) -> dict:
        if not hasattr(self, "subscriptions"):
            self.subscriptions: dict[str, dict] = {}
            self.validations: list[dict] = []
            self.deleted_subscriptions: list[str] = []
        return self.subscriptions

    def _expiry(self, value) -> tuple[datetime | None, str]:
        when = parse_instant(value) if isinstance(value, str) else None
        if when is None:
            return None, "expirationDateTime is not a valid date-time"
        now = _now(self)
        if when <= now:
            return None, "Subscription expiration can only be in the future."
        if when > now + GRAPH_MAX:
            return None, (
                "Subscription expiration can only be 10080 minutes in the future for this resource."
            )
        return when, ""

    def _validate(self, url: str) -> bool:
        token = secrets.token_urlsafe(24) + "+/ =&<>"  # characters that must come back as sent
        target = f"{url}{'&' if '?' in url else '?'}{urlencode({'validationToken': token})}"
        if self.validator is not None:
            status, content_type, text = self.validator(target)
        else:
            import httpx

            try:
                answer = httpx.post(
                    target, headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=10
                )
                status, content_type, text = (
                    answer.status_code,
                    answer.headers.get("Content-Type", ""),
                    answer.text,
                )
            except httpx.HTTPError:
                status, content_type, text = 0, "", ""
        ok = status == 200 and content_type.startswith("text/plain") and text == token
        self.validations.append({"url": target, "token": token, "ok": ok, "answer": text})
        return ok

    def api_subscription(self, handler: str, seen: Seen, subscription_id: str | None) -> Answer:
        subscriptions = self._subscriptions()
        if handler == "subscribe":
            return self._subscribe(seen)
        found = subscriptions.get(subscription_id or "")
        if found is None:
            return graph_error(404, "ResourceNotFound", "The object was not found.")
        if handler == "unsubscribe":
            del subscriptions[subscription_id]
            self.deleted_subscriptions.append(subscription_id)
            return Answer(204)
        body = seen.json or {}
        unknown = set(body) - GRAPH_PATCHABLE
        if unknown:
            self.violation(f"PATCH subscription: fields {sorted(unknown)} cannot be changed")
            return graph_error(400, "ValidationError", f"{sorted(unknown)[0]} is read-only.")
        if "expirationDateTime" in body:
            when, problem = self._expiry(body["expirationDateTime"])
            if when is None:
                return graph_error(400, "ExtensionError", problem)
            found["expirationDateTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        return Answer(200, dict(found))

    def _subscribe(self, seen: Seen) -> Answer:
        body = seen.json or {}
        unknown = set(body) - GRAPH_FIELDS
        if unknown:
            self.violation(f"POST subscriptions: unknown fields {sorted(unknown)}")
            return graph_error(400, "BadRequest", f"Unknown property {sorted(unknown)[0]}.")
        for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not isinstance(body.get(name), str) or not body[name]:
                self.violation(f"POST subscriptions: {name} missing")
                return graph_error(400, "BadRequest", f"The property '{name}' is required.")
        changes = set(body["changeType"].split(","))
        if not changes or not changes <= GRAPH_CHANGE_TYPES:
            self.violation(f"POST subscriptions: changeType {body['changeType']!r}")
            return graph_error(400, "ValidationError", "Invalid changeType.")
        state = body.get("clientState")
        if state is not None and (not isinstance(state, str) or len(state) > 128):
            self.violation("POST subscriptions: clientState over 128 characters")
            return graph_error(400, "ValidationError", "clientState is too long.")
        if not _https(body["notificationUrl"]):
            return graph_error(
                400, "ValidationError", "The notification endpoint must be an https URL."
            )
        resource = body["resource"].lstrip("/")
        parts = resource.split("/")
        if not (
            resource in ("me/events", "me/calendar/events")
            or (len(parts) == 4 and parts[:2] == ["me", "calendars"] and parts[3] == "events")
        ):
            self.violation(f"POST subscriptions: resource {body['resource']!r} not an event set")
            return graph_error(400, "ExtensionError", "Resource is not supported.")
        if len(parts) == 4 and self._calendar_key(parts[2]) is None:
            return graph_error(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        when, problem = self._expiry(body["expirationDateTime"])
        if when is None:
            return graph_error(400, "ExtensionError", problem)
        if not self._validate(body["notificationUrl"]):
            return graph_error(400, "ValidationError", VALIDATION_FAILED)
        subscription_id = str(uuid.uuid4())
        stored = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
            "id": subscription_id,
            "resource": body["resource"],
            "applicationId": "24d3b144-21ae-4080-943f-7067b395b913",
            "changeType": body["changeType"],
            "clientState": state,
            "notificationUrl": body["notificationUrl"],
            "expirationDateTime": when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
            "creatorId": "8ee44408-0679-472c-bc2a-692812af3437",
            "latestSupportedTlsVersion": "v1_2",
            "notificationUrlAppId": None,
            "includeResourceData": None,
        }
        self._subscriptions()[subscription_id] = stored
        return Answer(201, dict(stored))

    def notification(
        self, subscription_id: str, change: str = "updated", client_state: str | None = None
    ) -> tuple[str, dict]:
        """(notificationUrl, body) of Graph's change notification on this subscription."""
        found = self._subscriptions()[subscription_id]
        event_id = f"AAMkAD{secrets.token_hex(8)}="
        item = {
            "subscriptionId": subscription_id,
            "subscriptionExpirationDateTime": found["expirationDateTime"],
            "changeType": change,
            "resource": f"Users/6e7b768e-07e2-4810-8459-485f84f8f204/Events/{event_id}",
            "resourceData": {
                "@odata.type": "#Microsoft.Graph.Event",
                "@odata.id": f"Users/6e7b768e-07e2-4810-8459-485f84f8f204/Events/{event_id}",
                "@odata.etag": 'W/"DwAAABYAAAA="',
                "id": event_id,
            },
            "clientState": found["clientState"] if client_state is None else client_state,
            "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
        }
        return found["notificationUrl"], {"value": [item]}
