"""Microsoft Graph payload rules the fake checks and produces: error bodies, dateTimeTimeZone,
writable event properties and enums (Graph v1.0 reference: event, dateTimeTimeZone, errors)."""

import re
import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .http_fake import Answer

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
# availabilityView digits (scheduleInformation): 0 free, 1 tentative, 2 busy, 3 oof, 4 elsewhere.
VIEW_DIGIT = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}
VIEW_RANK = {"0": 0, "4": 1, "1": 2, "2": 3, "3": 4}
# Writable properties of microsoft.graph.event (v1.0 event resource).
WRITABLE = frozenset(
    {
        "allowNewTimeProposals",
        "attendees",
        "body",
        "categories",
        "end",
        "hideAttendees",
        "importance",
        "isAllDay",
        "isOnlineMeeting",
        "isReminderOn",
        "location",
        "locations",
        "onlineMeetingProvider",
        "originalEndTimeZone",
        "originalStartTimeZone",
        "recurrence",
        "reminderMinutesBeforeStart",
        "responseRequested",
        "sensitivity",
        "showAs",
        "start",
        "subject",
        "transactionId",
        "singleValueExtendedProperties",
        "multiValueExtendedProperties",
    }
)
ENUMS = {
    "showAs": SHOW_AS,
    "importance": ("low", "normal", "high"),
    "sensitivity": ("normal", "personal", "private", "confidential"),
    "onlineMeetingProvider": (
        "unknown",
        "teamsForBusiness",
        "skypeForBusiness",
        "skypeForConsumer",
    ),
}
# Windows zone names Graph accepts besides IANA names (a few common ones).
WINDOWS_ZONES = {
    "UTC": "UTC",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Pacific Standard Time": "America/Los_Angeles",
    "Eastern Standard Time": "America/New_York",
}
DELTA_PARAMS = {
    "startdatetime": "startDateTime",
    "enddatetime": "endDateTime",
    "$deltatoken": "$deltatoken",
    "$skiptoken": "$skiptoken",
}


def graph_error(status: int, code: str, message: str) -> Answer:
    """An error body in Graph's shape ({"error": {"code", "message", "innerError"}})."""
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": secrets.token_hex(8),
        "client-request-id": secrets.token_hex(8),
    }
    return Answer(status, {"error": {"code": code, "message": message, "innerError": inner}})


def zone(name: str):
    """The tzinfo for a Graph timeZone (IANA or a known Windows name); None if not understood."""
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_local(text: str, tz) -> datetime | None:
    """Parse Graph's "2030-01-07T09:00:00.0000000" (or with an offset) into an aware instant."""
    if not isinstance(text, str):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def graph_time(moment: datetime, tz=UTC, tz_name: str = "UTC") -> dict:
    """A dateTimeTimeZone as Graph returns it."""
    local = moment.astimezone(tz)
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": tz_name}


def read_time(value) -> datetime | None:
    """The instant of a dateTimeTimeZone (None when malformed or its zone is unknown)."""
    if not isinstance(value, dict) or "dateTime" not in value or "timeZone" not in value:
        return None
    tz = zone(value["timeZone"])
    return None if tz is None else parse_local(value["dateTime"], tz)


def stamp() -> str:
    """Now, as Graph writes createdDateTime/lastModifiedDateTime."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
