"""Google Calendar v3 payload helpers of the fake: error bodies, EventDateTime in and out, the
events.list filters (iCalUID, q, eventTypes, extended properties)."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .http_fake import Answer, parse_instant

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
# Query parameters events.list refuses next to a syncToken (discovery: events.list syncToken).
NOT_WITH_SYNC_TOKEN = frozenset(
    {
        "iCalUID",
        "orderBy",
        "privateExtendedProperty",
        "q",
        "sharedExtendedProperty",
        "timeMin",
        "timeMax",
        "updatedMin",
    }
)
SERVER_FIELDS = (
    "kind",
    "etag",
    "id",
    "htmlLink",
    "created",
    "updated",
    "creator",
    "organizer",
    "iCalUID",
    "sequence",
)


def google_error(status: int, reason: str, message: str, domain: str = "global") -> Answer:
    """An error body in the shape every Google JSON API uses."""
    body = {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": status,
            "message": message,
        }
    }
    return Answer(status, body)


def google_time(value: datetime | date, all_day: bool = False, zone: str = "UTC") -> dict:
    """An EventDateTime for an aware datetime (local time in `zone`), or a date when all_day."""
    if all_day or not isinstance(value, datetime):
        return {"date": (value.date() if isinstance(value, datetime) else value).isoformat()}
    if zone == "UTC":
        return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": zone}
    local = value.astimezone(ZoneInfo(zone))
    return {"dateTime": local.isoformat(timespec="seconds"), "timeZone": zone}


def event_instant(value: dict) -> datetime | None:
    """The instant of an EventDateTime's dateTime: an RFC 3339 offset, or, without one, the
    IANA zone in timeZone (discovery: "A time zone offset is required unless a time zone is
    explicitly specified in timeZone")."""
    text = value.get("dateTime")
    moment = parse_instant(text)
    if moment is not None or not isinstance(text, str) or not value.get("timeZone"):
        return moment
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(value["timeZone"]))
    except (ValueError, ZoneInfoNotFoundError):
        return None


def event_bounds(event: dict) -> tuple[datetime, datetime] | None:
    """The UTC instants an event covers (all-day dates count from midnight UTC)."""
    bounds = []
    for key in ("start", "end"):
        value = event.get(key) or {}
        if "dateTime" in value:
            moment = event_instant(value)
            if moment is None:
                return None
            bounds.append(moment.astimezone(UTC))
        elif "date" in value:
            try:
                day = date.fromisoformat(value["date"])
            except ValueError:
                return None
            bounds.append(datetime(day.year, day.month, day.day, tzinfo=UTC))
        else:
            return None
    return bounds[0], bounds[1]


def stamp() -> str:
    """Now, as Google writes created/updated."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def zulu(moment: datetime) -> str:
    """An instant as RFC 3339 UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def matches(data: dict, query: dict, lists: dict) -> bool:
    """Whether an event passes the iCalUID, q, eventTypes and extended-property filters."""
    if "iCalUID" in query and data.get("iCalUID") != query["iCalUID"]:
        return False
    if "eventTypes" in lists and data.get("eventType", "default") not in lists["eventTypes"]:
        return False
    for kind in ("private", "shared"):
        wanted = lists.get(f"{kind}ExtendedProperty", [])
        have = (data.get("extendedProperties") or {}).get(kind) or {}
        for pair in wanted:
            name, _, value = pair.partition("=")
            if have.get(name) != value:
                return False
    if "q" in query:
        text = " ".join(
            str(data.get(k, "")) for k in ("summary", "description", "location")
        ) + " ".join(a.get("email", "") for a in data.get("attendees", []))
        if not all(term.lower() in text.lower() for term in query["q"].split()):
            return False
    return True
