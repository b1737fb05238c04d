"""Google Calendar API v3: calendars, busy-time sync with sync tokens, free/busy, booking events.

No Flask, no DB. Requests ask only for the fields the app keeps (`fields=`), so titles, guests
and descriptions are not even transferred. A 410 on a sync token starts a full read.
"""

from datetime import datetime
from urllib.parse import quote

from .busy_changes import Change, RemoteCalendar, SyncResult, parse_day, parse_instant, rfc3339
from .provider_errors import ProviderError, RemoteNotFound, SyncStateExpired
from .provider_http import Api

PAGE_SIZE = 250
EVENT_FIELDS = "items(id,status,start,end,transparency),nextPageToken,nextSyncToken"
WRITABLE_ROLES = ("owner", "writer")


def _calendar_path(calendar_id: str) -> str:
    return f"calendars/{quote(calendar_id, safe='')}"


def list_calendars(api: Api) -> list[RemoteCalendar]:
    """The host's calendars (calendarList.list, every page)."""
    found, token = [], None
    while True:
        params = {"fields": "items(id,summary,primary,accessRole),nextPageToken"}
        if token:
            params["pageToken"] = token
        body = api.call("GET", api.url("users/me/calendarList"), params=params).body
        for item in body.get("items") or []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            found.append(
                RemoteCalendar(
                    item["id"],
                    str(item.get("summary") or item["id"])[:200],
                    bool(item.get("primary")),
                    item.get("accessRole") in WRITABLE_ROLES,
                )
            )
        token = body.get("nextPageToken")
        if not token:
            return found


def account_email(calendars: list[RemoteCalendar]) -> str:
    """Google names the primary calendar after the account's address."""
    for calendar in calendars:
        if calendar.primary:
            return calendar.remote_id
    return ""


def _change(item: dict, tz: str) -> Change | None:
    remote_id = item.get("id")
    if not isinstance(remote_id, str):
        return None
    if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
        return Change(remote_id)
    try:
        start, end = item.get("start") or {}, item.get("end") or {}
        if "dateTime" in start and "dateTime" in end:
            begin = parse_instant(start["dateTime"], start.get("timeZone"), tz)
            finish = parse_instant(end["dateTime"], end.get("timeZone"), tz)
        elif "date" in start and "date" in end:
            begin, finish = parse_day(start["date"], tz), parse_day(end["date"], tz)
        else:
            return Change(remote_id)
    except (TypeError, ValueError, AttributeError):
        return Change(remote_id)
    return Change(remote_id, begin, finish, busy=True)


def _read(api: Api, calendar_id: str, first: dict, tz: str, page_size: int) -> SyncResult:
    result = SyncResult()
    params = dict(first)
    url = api.url(f"{_calendar_path(calendar_id)}/events")
    while True:
        params.update({"maxResults": str(page_size), "fields": EVENT_FIELDS})
        body = api.call("GET", url, params=params).body
        result.calls += 1
        for item in body.get("items") or []:
            change = _change(item, tz) if isinstance(item, dict) else None
            if change is not None:
                result.changes.append(change)
        token = body.get("nextPageToken")
        if token:
            params = {**first, "pageToken": token}
            continue
        result.sync_state = str(body.get("nextSyncToken") or "")
        return result


def sync_busy(
    api: Api,
    calendar_id: str,
    sync_token: str,
    window: tuple[datetime, datetime],
    tz: str,
    page_size: int = PAGE_SIZE,
) -> SyncResult:
    """Changes since `sync_token`, or the whole window when there is none or it expired (410)."""
    if sync_token:
        try:
            return _read(
                api, calendar_id, {"syncToken": sync_token, "singleEvents": "true"}, tz, page_size
            )
        except SyncStateExpired:
            pass
    first = {
        "singleEvents": "true",
        "timeMin": rfc3339(window[0]),
        "timeMax": rfc3339(window[1]),
    }
    result = _read(api, calendar_id, first, tz, page_size)
    result.full = True
    return result


def free_busy(
    api: Api, calendar_ids: list[str], start: datetime, end: datetime, timeout: float
) -> list[tuple[datetime, datetime]]:
    """Busy intervals of these calendars now (freebusy.query), within `timeout` seconds."""
    body = api.call(
        "POST",
        api.url("freeBusy"),
        json={
            "timeMin": rfc3339(start),
            "timeMax": rfc3339(end),
            "items": [{"id": calendar_id} for calendar_id in calendar_ids],
        },
        timeout=timeout,
    ).body
    busy = []
    for calendar_id in calendar_ids:
        entry = (body.get("calendars") or {}).get(calendar_id) or {}
        if entry.get("errors"):
            raise ProviderError(f"Google could not check the calendar {calendar_id}.")
        for period in entry.get("busy") or []:
            busy.append((parse_instant(period["start"]), parse_instant(period["end"])))
    return busy


def put_event(
    api: Api,
    calendar_id: str,
    remote_id: str,
    ical_uid: str,
    event: dict,
) -> str:
    """Create (events.import with the booking's iCalUID) or update the booking's event."""
    body = {**event, "iCalUID": ical_uid}
    path = f"{_calendar_path(calendar_id)}/events"
    if remote_id:
        try:
            return api.call(
                "PATCH", api.url(f"{path}/{quote(remote_id, safe='')}"), json=event
            ).body.get("id", remote_id)
        except RemoteNotFound:
            pass  # removed by the host meanwhile: write it again
    answer = api.call("POST", api.url(f"{path}/import"), json=body).body
    if not isinstance(answer.get("id"), str):
        raise ProviderError("Google did not return the event's id.")
    return answer["id"]


def delete_event(api: Api, calendar_id: str, remote_id: str) -> bool:
    """Remove the booking's event; False when it was already gone (404/410 count as done)."""
    path = f"{_calendar_path(calendar_id)}/events/{quote(remote_id, safe='')}"
    try:
        api.call("DELETE", api.url(path))
    except RemoteNotFound:
        return False
    except SyncStateExpired:  # a 410 without a reason: already deleted
        return False
    return True
