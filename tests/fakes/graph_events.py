"""The calendar side of the fake Microsoft Graph: event store, calendarView delta and event
writes with transactionId (Graph v1.0 reference: event, event: delta, delta query overview)."""

import base64
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode

from .graph_payloads import (
    DELTA_PARAMS,
    ENUMS,
    WRITABLE,
    graph_error,
    graph_time,
    parse_local,
    read_time,
    stamp,
)
from .graph_recurrence import occurrences, pattern_problem
from .http_fake import Answer, Seen, StoredEvent


class GraphEventsMixin:
    """calendarView delta, getSchedule and event writes over the shared event store."""

    # -- test controls ---------------------------------------------------------------------
    def add_event(
        self,
        calendar_id="primary",
        start=None,
        end=None,
        busy=True,
        title="secret",
        all_day=False,
        attendees=None,
        show_as=None,
        **extra,
    ) -> str:
        """Put an event in a calendar as if its owner had made it; returns its id."""
        key = self._require_calendar(calendar_id)
        if all_day or not isinstance(start, datetime):
            start, end = self._midnight(start), self._midnight(end)
        data = {
            "subject": title,
            "start": graph_time(start),
            "end": graph_time(end),
            "isAllDay": bool(all_day),
            "showAs": show_as or ("busy" if busy else "free"),
            "attendees": [
                {
                    "type": "required",
                    "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": {"name": email, "address": email},
                }
                for email in (attendees or [])
            ],
            **extra,
        }
        problem = pattern_problem(data.get("recurrence"))
        if problem:
            raise ValueError(problem)
        if data.get("recurrence"):
            data["type"] = "seriesMaster"
        with self._lock:
            return self._store_new(key, data).id

    @staticmethod
    def _midnight(value) -> datetime:
        day = value.date() if isinstance(value, datetime) else value
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    def change_event(self, event_id: str, **fields) -> None:
        """Change an event as its owner would: start, end, busy, title, show_as or API fields."""
        with self._lock:
            stored = self._events[event_id]
            for name in ("start", "end"):
                if name in fields:
                    stored.data[name] = graph_time(fields.pop(name))
            if "busy" in fields:
                stored.data["showAs"] = "busy" if fields.pop("busy") else "free"
            if "show_as" in fields:
                stored.data["showAs"] = fields.pop("show_as")
            if "title" in fields:
                stored.data["subject"] = fields.pop("title")
            if "all_day" in fields:
                stored.data["isAllDay"] = bool(fields.pop("all_day"))
            stored.data.update(fields)
            self._touch(stored)

    def remove_event(self, event_id: str) -> None:
        """Delete an event as its owner would (delta then reports it under @removed)."""
        with self._lock:
            stored = self._events[event_id]
            stored.removed = True
            self._touch(stored)

    # -- store -----------------------------------------------------------------------------
    def _store_new(self, key: str, data: dict) -> StoredEvent:
        seq = self._bump()
        event_id = "AAMkAGI2" + base64.urlsafe_b64encode(secrets.token_bytes(18)).decode() + "="
        now = stamp()
        stored = StoredEvent(event_id, key, {}, seq)
        stored.data = {
            "@odata.etag": f'W/"{seq}"',
            "id": event_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "changeKey": str(seq),
            "categories": [],
            "transactionId": None,
            "originalStartTimeZone": "UTC",
            "originalEndTimeZone": "UTC",
            "iCalUId": "040000008200E00074C5B7101A82E008" + secrets.token_hex(16).upper(),
            "reminderMinutesBeforeStart": 15,
            "isReminderOn": True,
            "hasAttachments": False,
            "subject": "",
            "bodyPreview": "",
            "importance": "normal",
            "sensitivity": "normal",
            "isAllDay": False,
            "isCancelled": False,
            "isOrganizer": True,
            "responseRequested": True,
            "seriesMasterId": None,
            "showAs": "busy",
            "type": "singleInstance",
            "webLink": f"{self.base_url}/owa/?itemid={event_id}",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": False,
            "allowNewTimeProposals": True,
            "isDraft": False,
            "hideAttendees": False,
            "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
            "body": {"contentType": "html", "content": ""},
            "location": {
                "displayName": "",
                "locationType": "default",
                "uniqueIdType": "unknown",
                "address": {},
                "coordinates": {},
            },
            "locations": [],
            "recurrence": None,
            "attendees": [],
            "organizer": {
                "emailAddress": {"name": self.account_email, "address": self.account_email}
            },
            "onlineMeeting": None,
            **data,
        }
        self._events[event_id] = stored
        return stored

    def _touch(self, stored: StoredEvent) -> None:
        stored.seq = self._bump()
        stored.data["@odata.etag"] = f'W/"{stored.seq}"'
        stored.data["changeKey"] = str(stored.seq)
        stored.data["lastModifiedDateTime"] = stamp()

    # -- calendarView delta ----------------------------------------------------------------
    def api_delta(self, seen: Seen, key: str) -> Answer:
        """GET .../calendarView/delta: a first round, a next page, or changes since a deltaLink."""
        query = {}
        for name, value in seen.query.items():
            canonical = DELTA_PARAMS.get(name.lower())
            if canonical is None:
                self.violation(
                    f"calendarView/delta: query parameter {name!r} is not supported "
                    "(event: delta allows startDateTime, endDateTime, $deltatoken, $skiptoken)"
                )
                continue
            query[canonical] = value
        page_size = self._max_page_size(seen)
        if "$skiptoken" in query:
            state = self._pages.pop(query["$skiptoken"], None)
            if state is None:
                self.violation(f"calendarView/delta: unknown $skiptoken {query['$skiptoken']!r}")
                return graph_error(400, "BadRequest", "The skip token is not valid.")
            return self._delta_page(seen, state["items"], state["final"], page_size)
        if "$deltatoken" in query:
            token = self._read_delta_token(query["$deltatoken"])
            if token is None or token.get("expired") or token["key"] != key:
                initial = self._initial_delta_url(seen.path, token)
                answer = graph_error(
                    410,
                    "syncStateNotFound",
                    "The sync state generation is not found. The delta token is expired and "
                    "data must be synchronized again.",
                )
                if initial:
                    answer.headers["Location"] = initial
                return answer
            low, high = token["low"], token["high"]
            items = []
            for stored in sorted(self._events.values(), key=lambda e: e.seq):
                if stored.calendar_id != key or stored.seq <= token["seq"]:
                    continue
                items += self._delta_items(stored, low, high)
        else:
            low = parse_local(query.get("startDateTime", ""), UTC)
            high = parse_local(query.get("endDateTime", ""), UTC)
            if low is None or high is None:
                self.violation("calendarView/delta: startDateTime and endDateTime are required")
                return graph_error(
                    400,
                    "ErrorInvalidParameter",
                    "This request requires a time window specified by the query "
                    "string parameters StartDateTime and EndDateTime.",
                )
            chosen = [
                (start, item["id"], item)
                for e in self._events.values()
                if e.calendar_id == key and not e.removed
                for start, _, item in occurrences(e.data, low, high)
            ]
            items = [dict(item) for _, _, item in sorted(chosen, key=lambda row: row[:2])]
        final = {"path": seen.path, "token": self._delta_token(key, low, high)}
        return self._delta_page(seen, items, final, page_size)

    def _delta_items(self, stored: StoredEvent, low: datetime, high: datetime) -> list[dict]:
        """What an incremental round reports for a changed event or series: current
        occurrences in the window, or "@removed" for a deleted one or one outside the window."""
        found = [] if stored.removed else occurrences(stored.data, low, high)
        if found:
            return [dict(item) for _, _, item in found]
        ids = [stored.id]
        if stored.data.get("recurrence"):  # a deleted series removes the occurrences seen
            ids = [item["id"] for _, _, item in occurrences(stored.data, low, high)]
        return [
            {"@odata.type": "#microsoft.graph.event", "id": one, "@removed": {"reason": "deleted"}}
            for one in ids
        ]

    def _delta_page(self, seen: Seen, items: list, final: dict, size: int) -> Answer:
        body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)"}
        if len(items) > size:
            skip = secrets.token_urlsafe(12)
            self._pages[skip] = {"items": items[size:], "final": final}
            body["@odata.nextLink"] = self._link(final["path"], {"$skiptoken": skip})
            items = items[:size]
        else:
            body["@odata.deltaLink"] = self._link(final["path"], {"$deltatoken": final["token"]})
        body["value"] = items
        return Answer(200, body, {"Preference-Applied": f"odata.maxpagesize={size}"})

    def _link(self, path: str, query: dict) -> str:
        return f"{self.base_url}{path}?{urlencode(query)}"

    def _max_page_size(self, seen: Seen) -> int:
        found = re.search(r"odata\.maxpagesize=(\d+)", seen.headers.get("Prefer", ""))
        asked = int(found.group(1)) if found else 10**6
        return max(1, min(asked, self.page_size or 10**6))

    def _delta_token(self, key: str, low: datetime, high: datetime) -> str:
        raw = f"{self._epoch}|{self._last_seq}|{key}|{low.isoformat()}|{high.isoformat()}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _read_delta_token(self, token: str) -> dict | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            epoch, seq, key, low, high = raw.split("|")
            parsed = {
                "epoch": int(epoch),
                "seq": int(seq),
                "key": key,
                "low": datetime.fromisoformat(low),
                "high": datetime.fromisoformat(high),
            }
        except ValueError:
            return None
        return parsed if parsed["epoch"] == self._epoch else {**parsed, "expired": True}

    def _initial_delta_url(self, path: str, token: dict | None) -> str:
        if not token:
            return ""
        query = {
            "startDateTime": token["low"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endDateTime": token["high"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return self._link(path, query)

    # -- writes ----------------------------------------------------------------------------
    def _check_event_body(self, body, creating: bool) -> Answer | None:
        if not isinstance(body, dict):
            self.violation("event body is not a JSON object")
            return graph_error(400, "RequestBodyRead", "A JSON object was expected.")
        for name, value in body.items():
            if name not in WRITABLE:
                self.violation(f"event: property {name!r} is not a writable event property")
                return graph_error(
                    400,
                    "RequestBodyRead",
                    f"The property '{name}' does not exist on type "
                    "'microsoft.graph.event' or is read-only.",
                )
            if name in ENUMS and value not in ENUMS[name]:
                self.violation(f"event: {name}={value!r} not one of {ENUMS[name]}")
                return graph_error(400, "RequestBodyRead", f"Invalid value for {name}.")
            if name in ("start", "end") and read_time(value) is None:
                self.violation(f"event: {name} {value!r} is not a dateTimeTimeZone Graph reads")
                return graph_error(400, "ErrorInvalidRequest", f"Invalid {name}.")
        if creating and not ("start" in body and "end" in body):
            self.violation("event: start and end are required when creating")
            return graph_error(400, "ErrorInvalidRequest", "Start and end are required.")
        return None

    def api_create_event(self, seen: Seen, key: str) -> Answer:
        """POST .../events (a repeated transactionId returns the first event)."""
        body = seen.json
        problem = self._check_event_body(body, creating=True)
        if problem:
            return problem
        if read_time(body["end"]) <= read_time(body["start"]):
            return graph_error(400, "ErrorInvalidRequest", "The end must be after the start.")
        transaction = body.get("transactionId")
        if transaction:
            for stored in self._events.values():
                if stored.data.get("transactionId") == transaction and not stored.removed:
                    return Answer(201, dict(stored.data))
        data = dict(body)
        for name in ("start", "end"):
            data[name] = graph_time(read_time(body[name]))
        if "body" in data:
            data["bodyPreview"] = str(data["body"].get("content", ""))[:255]
        problem = pattern_problem(data.get("recurrence"))
        if problem:
            self.violation(f"event: {problem}")
            return graph_error(400, "ErrorInvalidRequest", "Invalid recurrence.")
        if data.get("recurrence"):
            data["type"] = "seriesMaster"
        stored = self._store_new(key, data)
        return Answer(201, dict(stored.data))

    def _owned_event(self, event_id: str, key: str | None) -> StoredEvent | None:
        stored = self._events.get(event_id)
        if stored is None or stored.removed or (key and stored.calendar_id != key):
            return None
        return stored

    def api_get_event(self, seen: Seen, event_id: str, key: str | None) -> Answer:
        """GET an event."""
        stored = self._owned_event(event_id, key)
        if stored is None:
            return _not_found()
        return Answer(200, dict(stored.data))

    def api_update_event(self, seen: Seen, event_id: str, key: str | None) -> Answer:
        """PATCH an event (transactionId cannot change)."""
        stored = self._owned_event(event_id, key)
        if stored is None:
            return _not_found()
        body = seen.json
        problem = self._check_event_body(body, creating=False)
        if problem:
            return problem
        if "transactionId" in body and body["transactionId"] != stored.data.get("transactionId"):
            self.violation("event: transactionId cannot change after creation")
            return graph_error(400, "ErrorInvalidRequest", "transactionId cannot be changed.")
        data = dict(body)
        for name in ("start", "end"):
            if name in data:
                data[name] = graph_time(read_time(data[name]))
        merged = {**stored.data, **data}
        if read_time(merged["end"]) <= read_time(merged["start"]):
            return graph_error(400, "ErrorInvalidRequest", "The end must be after the start.")
        stored.data = merged
        self._touch(stored)
        return Answer(200, dict(stored.data))

    def api_delete_event(self, seen: Seen, event_id: str, key: str | None) -> Answer:
        """DELETE an event: 204, then 404 ErrorItemNotFound."""
        stored = self._owned_event(event_id, key)
        if stored is None:
            return _not_found()
        stored.removed = True
        self._touch(stored)
        return Answer(204)


def _not_found() -> Answer:
    return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
