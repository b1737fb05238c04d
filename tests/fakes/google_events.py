"""The events and freeBusy resources of the fake Google Calendar: store, sync tokens, write-back."""

from datetime import datetime

from .google_payloads import (
    EVENT_ID,
    NOT_WITH_SYNC_TOKEN,
    SERVER_FIELDS,
    event_bounds,
    google_error,
    google_time,
    matches,
    stamp,
    zulu,
)
from .google_recurrence import instance_ids, instances, rule_problem
from .http_fake import Answer, Seen, StoredEvent, parse_instant


class GoogleEventsMixin:
    """events.* and freebusy.query over the shared event store of FakeServer."""

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
        **extra,
    ) -> str:
        """Put an event in a calendar as if its owner had made it; returns its id."""
        key = self._require_calendar(calendar_id)
        with self._lock:
            event_id = self._next_id("evt")
            data = {
                "summary": title,
                "start": google_time(start, all_day, self.time_zone),
                "end": google_time(end, all_day, self.time_zone),
                "attendees": [{"email": email} for email in (attendees or [])],
                **({} if busy else {"transparency": "transparent"}),
                **extra,
            }
            problem = rule_problem(data)
            if problem:
                raise ValueError(problem)
            self._store_new(key, event_id, data, ical_uid=f"{event_id}@google.com")
        return event_id

    def change_event(self, event_id: str, **fields) -> None:
        """Change an event as its owner would: start, end, busy, title, all_day or API fields."""
        with self._lock:
            stored = self._events[event_id]
            data = stored.data
            all_day = fields.pop("all_day", "date" in data["start"])
            for name in ("start", "end"):
                if name in fields:
                    data[name] = google_time(fields.pop(name), all_day, self.time_zone)
            if "busy" in fields:
                data.pop("transparency", None)
                if not fields.pop("busy"):
                    data["transparency"] = "transparent"
            if "title" in fields:
                data["summary"] = fields.pop("title")
            data.update(fields)
            self._touch(stored)

    def remove_event(self, event_id: str) -> None:
        """Delete an event as its owner would (incremental sync then reports it cancelled)."""
        with self._lock:
            stored = self._events[event_id]
            stored.removed = True
            stored.data["status"] = "cancelled"
            self._touch(stored)

    # -- store -----------------------------------------------------------------------------
    def _current_seq(self) -> int:
        return self._last_seq

    def _store_new(self, key: str, event_id: str, data: dict, ical_uid: str) -> StoredEvent:
        now = stamp()
        seq = self._bump()
        data = {
            "kind": "calendar#event",
            "etag": f'"{seq}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"{self.base_url}/calendar/event?eid={event_id}",
            "created": now,
            "updated": now,
            "creator": {"email": self.account_email, "self": True},
            "organizer": {"email": self.account_email, "self": True},
            "iCalUID": ical_uid,
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
            **{k: v for k, v in data.items() if k not in SERVER_FIELDS and v != []},
        }
        stored = StoredEvent(event_id, key, data, seq)
        self._events[event_id] = stored
        return stored

    def _touch(self, stored: StoredEvent) -> None:
        stored.seq = self._bump()
        stored.data["etag"] = f'"{stored.seq}"'
        stored.data["updated"] = stamp()

    def _render(self, stored: StoredEvent) -> dict:
        if stored.removed:
            return {
                "kind": "calendar#event",
                "etag": stored.data["etag"],
                "id": stored.id,
                "status": "cancelled",
            }
        return dict(stored.data)

    def _find(self, params: dict) -> tuple[StoredEvent | None, Answer | None]:
        key = self._calendar_key(params["calendarId"])
        stored = self._events.get(params["eventId"])
        if key is None or stored is None or stored.calendar_id != key:
            return None, google_error(404, "notFound", "Not Found")
        return stored, None

    def _check_times(self, data: dict) -> Answer | None:
        if "start" not in data:
            return google_error(400, "required", "Missing start time.")
        if "end" not in data:
            return google_error(400, "required", "Missing end time.")
        bounds = event_bounds(data)
        if bounds is None:
            return google_error(400, "invalid", "Invalid start or end time.")
        if bounds[1] <= bounds[0]:
            return google_error(400, "timeRangeEmpty", "The specified time range is empty.")
        problem = rule_problem(data)
        if problem:
            self.violation(f"events: {problem}")
            return google_error(400, "invalid", "Invalid recurrence rule.")
        return None

    # -- events ----------------------------------------------------------------------------
    def api_events_list(self, seen: Seen, params: dict) -> Answer:
        """events.list: a full listing, a page, or the changes since a syncToken."""
        key = self._calendar_key(params["calendarId"])
        if key is None:
            return google_error(404, "notFound", "Not Found")
        query = seen.query
        size = self._page_limit(query)
        if "pageToken" in query:
            page = self._next_page(query["pageToken"])
            if page is None:
                self.violation(f"events.list: unknown pageToken {query['pageToken']!r}")
                return google_error(400, "invalid", "Invalid Value")
            items, tail = page
        elif "syncToken" in query:
            clash = sorted(NOT_WITH_SYNC_TOKEN & set(query))
            if clash:
                self.violation(f"events.list: syncToken together with {clash}")
                return google_error(400, "invalid", "Invalid Value")
            if query.get("showDeleted") == "false":
                self.violation("events.list: showDeleted=false together with syncToken")
            read = self._read_sync_token(query["syncToken"])
            if read is None:
                return google_error(
                    410,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                )
            since, first_single = read
            single = query.get("singleEvents") == "true"
            if single != first_single:
                # discovery: the other parameters "should be the same as for the initial
                # synchronization to avoid undefined behavior"
                self.violation("events.list: singleEvents differs from the round's first request")
            changed = sorted(
                (e for e in self._events.values() if e.calendar_id == key and e.seq > since),
                key=lambda e: e.seq,
            )
            rendered = [item for e in changed for item in self._changed_items(e, single)]
            items, tail = self._paged(rendered, size, {"nextSyncToken": self._sync_token(single)})
        else:
            listed = self._full_listing(key, query, seen.lists)
            if isinstance(listed, Answer):
                return listed
            single = query.get("singleEvents") == "true"
            items, tail = self._paged(listed, size, {"nextSyncToken": self._sync_token(single)})
        entry = self._list_entry(key)
        body = {
            "kind": "calendar#events",
            "etag": f'"{self._current_seq()}"',
            "summary": entry["summary"],
            "description": "",
            "updated": stamp(),
            "timeZone": query.get("timeZone", self.time_zone),
            "accessRole": entry["accessRole"],
            "defaultReminders": [],
            **tail,
            "items": items,
        }
        return Answer(200, body)

    def _full_listing(self, key: str, query: dict, lists: dict) -> list[dict] | Answer:
        low = parse_instant(query["timeMin"]) if "timeMin" in query else None
        high = parse_instant(query["timeMax"]) if "timeMax" in query else None
        if low and high and low >= high:
            return google_error(400, "timeRangeEmpty", "The specified time range is empty.")
        if query.get("orderBy") == "startTime" and query.get("singleEvents") != "true":
            self.violation("events.list: orderBy=startTime needs singleEvents=true")
            return google_error(
                400,
                "badRequest",
                "The requested ordering is not available for the particular query.",
            )
        updated_min = parse_instant(query["updatedMin"]) if "updatedMin" in query else None
        # updatedMin always includes deleted entries (discovery: events.list updatedMin).
        show_deleted = query.get("showDeleted") == "true" or updated_min is not None
        single = query.get("singleEvents") == "true"
        chosen = []  # (start, seq, id, item)
        for stored in self._events.values():
            if stored.calendar_id != key or (stored.removed and not show_deleted):
                continue
            if not matches(stored.data, query, lists):
                continue
            if updated_min and parse_instant(stored.data["updated"]) < updated_min:
                continue
            found = instances(stored.data, low, high)
            if stored.removed or not single:
                found = found[:1]
            for start, _, item in found:
                shown = self._render(stored) if stored.removed or not single else dict(item)
                chosen.append((start, stored.seq, shown["id"], shown))
        if query.get("orderBy") == "updated":
            chosen.sort(key=lambda row: (row[1], row[2]))
        else:
            chosen.sort(key=lambda row: (row[0], row[2]))
        return [row[3] for row in chosen]

    def _changed_items(self, stored: StoredEvent, single: bool) -> list[dict]:
        """What an incremental listing reports for a changed event (a series: its instances
        when singleEvents=true)."""
        if not (single and stored.data.get("recurrence")):
            return [self._render(stored)]
        if stored.removed:
            return [
                {
                    "kind": "calendar#event",
                    "etag": stored.data["etag"],
                    "id": instance_id,
                    "status": "cancelled",
                }
                for instance_id in instance_ids(stored.data)
            ]
        return [dict(item) for _, _, item in instances(stored.data, None, None)]

    def api_events_get(self, seen: Seen, params: dict) -> Answer:
        """events.get (a deleted event comes back cancelled)."""
        stored, error = self._find(params)
        return error or Answer(200, self._render(stored))

    def api_events_insert(self, seen: Seen, params: dict) -> Answer:
        """events.insert (a given id or iCalUID must be new: 409 otherwise)."""
        key = self._calendar_key(params["calendarId"])
        if key is None:
            return google_error(404, "notFound", "Not Found")
        body = dict(seen.json)
        problem = self._check_times(body)
        if problem:
            return problem
        event_id = body.pop("id", None)
        if event_id is not None:
            if not EVENT_ID.match(event_id):
                return google_error(400, "invalid", "Invalid resource id value.")
            if event_id in self._events:
                return google_error(409, "duplicate", "The requested identifier already exists.")
        ical_uid = body.pop("iCalUID", None)
        if ical_uid and any(
            e.data.get("iCalUID") == ical_uid for e in self._events.values() if e.calendar_id == key
        ):
            return google_error(409, "duplicate", "The requested identifier already exists.")
        event_id = event_id or self._next_id("app")
        stored = self._store_new(key, event_id, body, ical_uid or f"{event_id}@google.com")
        return Answer(200, self._render(stored))

    def api_events_import(self, seen: Seen, params: dict) -> Answer:
        """events.import: create or update the event with this iCalUID."""
        key = self._calendar_key(params["calendarId"])
        if key is None:
            return google_error(404, "notFound", "Not Found")
        body = dict(seen.json)
        if not body.get("iCalUID"):
            self.violation("events.import: iCalUID missing (required for import)")
            return google_error(400, "required", "Missing iCalUID.")
        problem = self._check_times(body)
        if problem:
            return problem
        for stored in self._events.values():
            if stored.calendar_id == key and stored.data.get("iCalUID") == body["iCalUID"]:
                stored.removed = False
                stored.data.update({k: v for k, v in body.items() if k not in SERVER_FIELDS})
                stored.data["status"] = body.get("status", "confirmed")
                self._touch(stored)
                return Answer(200, self._render(stored))
        stored = self._store_new(key, self._next_id("imp"), body, body["iCalUID"])
        return Answer(200, self._render(stored))

    def api_events_patch(self, seen: Seen, params: dict) -> Answer:
        """events.patch: merge the given fields."""
        return self._write(seen, params, replace=False)

    def api_events_update(self, seen: Seen, params: dict) -> Answer:
        """events.update: replace the writable fields."""
        return self._write(seen, params, replace=True)

    def _write(self, seen: Seen, params: dict, replace: bool) -> Answer:
        stored, error = self._find(params)
        if error:
            return error
        if stored.removed:
            return google_error(410, "deleted", "Resource has been deleted")
        body = {k: v for k, v in seen.json.items() if k not in SERVER_FIELDS}
        if replace:
            kept = {k: stored.data[k] for k in SERVER_FIELDS if k in stored.data}
            merged = {**kept, "status": "confirmed", **body}
        else:
            merged = dict(stored.data)
            for name, value in body.items():
                old = merged.get(name)
                merged[name] = (
                    {**old, **value}
                    if isinstance(old, dict)
                    and isinstance(value, dict)
                    and name not in ("start", "end")
                    else value
                )
        problem = self._check_times(merged)
        if problem:
            return problem
        merged["sequence"] = stored.data.get("sequence", 0) + 1
        stored.data = merged
        self._touch(stored)
        return Answer(200, self._render(stored))

    def api_events_delete(self, seen: Seen, params: dict) -> Answer:
        """events.delete: 204, then 410 deleted."""
        stored, error = self._find(params)
        if error:
            return error
        if stored.removed:
            return google_error(410, "deleted", "Resource has been deleted")
        stored.removed = True
        stored.data["status"] = "cancelled"
        self._touch(stored)
        return Answer(204)

    # -- freebusy --------------------------------------------------------------------------
    def api_freebusy_query(self, seen: Seen, params: dict) -> Answer:
        """freebusy.query: merged busy periods of opaque events, clipped to the window."""
        body = seen.json
        low = parse_instant(body.get("timeMin", ""))
        high = parse_instant(body.get("timeMax", ""))
        if low is None or high is None:
            self.violation("freebusy.query: timeMin and timeMax are required RFC 3339 instants")
            return google_error(400, "required", "Missing timeMin or timeMax.")
        if low >= high:
            return google_error(400, "timeRangeEmpty", "The specified time range is empty.")
        calendars = {}
        for item in body.get("items", []):
            calendar_id = item.get("id", "")
            key = self._calendar_key(calendar_id)
            if key is None:
                calendars[calendar_id] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            spans = []
            for stored in self._events.values():
                if stored.calendar_id != key or stored.removed:
                    continue
                if stored.data.get("transparency") == "transparent":
                    continue
                for start, end, _ in instances(stored.data, low, high):
                    spans.append((max(start, low), min(end, high)))
            merged: list[list[datetime]] = []
            for start, end in sorted(spans):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            calendars[calendar_id] = {
                "busy": [{"start": zulu(s), "end": zulu(e)} for s, e in merged]
            }
        return Answer(
            200,
            {
                "kind": "calendar#freeBusy",
                "timeMin": zulu(low),
                "timeMax": zulu(high),
                "calendars": calendars,
            },
        )
