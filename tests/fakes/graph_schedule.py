"""calendar: getSchedule of the fake Microsoft Graph (scheduleInformation, availabilityView)."""

import re
from datetime import UTC, timedelta

from .graph_payloads import VIEW_DIGIT, VIEW_RANK, graph_error, graph_time, read_time, zone
from .graph_recurrence import occurrences
from .http_fake import Answer, Seen


class GraphScheduleMixin:
    """POST /me/calendar/getSchedule over the shared event store (the default calendar)."""

    # -- getSchedule -----------------------------------------------------------------------
    def api_get_schedule(self, seen: Seen) -> Answer:
        """POST /me/calendar/getSchedule for the account's own address."""
        body = {}
        if not isinstance(seen.json, dict):
            self.violation("getSchedule: the body must be a JSON object")
            return graph_error(400, "RequestBodyRead", "A JSON object was expected.")
        for name, value in seen.json.items():
            canonical = {
                "schedules": "schedules",
                "starttime": "startTime",
                "endtime": "endTime",
                "availabilityviewinterval": "availabilityViewInterval",
            }.get(name.lower())
            if canonical is None:
                self.violation(f"getSchedule: unknown body property {name!r}")
                continue
            body[canonical] = value
        low, high = read_time(body.get("startTime")), read_time(body.get("endTime"))
        schedules = body.get("schedules")
        if low is None or high is None or not isinstance(schedules, list) or not schedules:
            self.violation("getSchedule: schedules, startTime and endTime are required")
            return graph_error(400, "ErrorInvalidRequest", "The request is invalid.")
        interval = body.get("availabilityViewInterval", 30)
        if isinstance(interval, str) and interval.isdigit():
            interval = int(interval)
        if not isinstance(interval, int) or not 5 <= interval <= 1440:
            self.violation(f"getSchedule: availabilityViewInterval {interval!r} not in 5..1440")
            return graph_error(400, "ErrorInvalidParameter", "availabilityViewInterval invalid.")
        tz_name, tz = self._response_zone(seen)
        value = []
        for schedule in schedules:
            if str(schedule).lower() != self.account_email.lower():
                value.append(
                    {
                        "scheduleId": schedule,
                        "availabilityView": "",
                        "error": {
                            "message": "The user is not found.",
                            "responseCode": "ErrorMailRecipientNotFound",
                        },
                    }
                )
                continue
            value.append(self._schedule(schedule, low, high, interval, tz, tz_name))
        return Answer(
            200,
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata"
                "#Collection(microsoft.graph.scheduleInformation)",
                "value": value,
            },
        )

    def _response_zone(self, seen: Seen):
        found = re.search(r'outlook\.timezone="([^"]+)"', seen.headers.get("Prefer", ""))
        if found and zone(found.group(1)) is not None:
            return found.group(1), zone(found.group(1))
        if found:
            self.violation(f"Prefer outlook.timezone {found.group(1)!r} not understood")
        return "UTC", UTC

    def _schedule(self, schedule, low, high, interval, tz, tz_name) -> dict:
        items = []
        spans = [
            (start, end, stored)
            for stored in self._events.values()
            if stored.calendar_id == "primary"
            and not stored.removed
            and stored.data["showAs"] != "free"
            for start, end, _ in occurrences(stored.data, low, high)
        ]
        for start, end, stored in sorted(spans, key=lambda row: (row[0], row[2].id)):
            items.append(
                {
                    "isPrivate": stored.data.get("sensitivity") == "private",
                    "status": stored.data["showAs"],
                    "subject": stored.data.get("subject", ""),
                    "location": (stored.data.get("location") or {}).get("displayName", ""),
                    "isMeeting": bool(stored.data.get("attendees")),
                    "isRecurring": bool(stored.data.get("recurrence")),
                    "isException": False,
                    "isReminderSet": bool(stored.data.get("isReminderOn")),
                    "start": graph_time(start, tz, tz_name),
                    "end": graph_time(end, tz, tz_name),
                    "_span": (start, end),
                }
            )
        view = []
        slot = low
        while slot < high:
            slot_end = min(slot + timedelta(minutes=interval), high)
            digit = "0"
            for item in items:
                if item["_span"][1] > slot and item["_span"][0] < slot_end:
                    candidate = VIEW_DIGIT.get(item["status"], "2")
                    digit = max(digit, candidate, key=VIEW_RANK.get)
            view.append(digit)
            slot = slot_end
        for item in items:
            del item["_span"]
        return {
            "scheduleId": schedule,
            "availabilityView": "".join(view),
            "scheduleItems": items,
            "workingHours": {
                "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "startTime": "08:00:00.0000000",
                "endTime": "17:00:00.0000000",
                "timeZone": {"name": "UTC"},
            },
        }
