"""Microsoft Graph v1.0: calendars, busy-time sync with calendarView/delta, schedule, events.

No Flask, no DB. Times are asked for in UTC (Prefer: outlook.timezone). The delta link the
provider returns is the sync state; a 410 on it (syncStateNotFound, resyncRequired) starts a
full read. Changes to several events go in one JSON $batch (up to 20 requests).
"""

from datetime import datetime
from urllib.parse import quote

from .busy_changes import Change, RemoteCalendar, SyncResult, parse_day, parse_instant, rfc3339
from .provider_errors import ProviderError, RemoteNotFound, SyncStateExpired, api_error
from .provider_http import Api

PAGE_SIZE = 100
BATCH_LIMIT = 20
BUSY_STATES = frozenset({"busy", "oof"})


def _prefer(page_size: int) -> dict:
    return {"Prefer": f'outlook.timezone="UTC", odata.maxpagesize={page_size}'}


def list_calendars(api: Api) -> list[RemoteCalendar]:
    """The host's calendars (every page of /me/calendars)."""
    found = []
    url: str | None = api.url("me/calendars")
    while url:
        body = api.call("GET", url).body
        for item in body.get("value") or []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            found.append(
                RemoteCalendar(
                    item["id"],
                    str(item.get("name") or item["id"])[:200],
                    bool(item.get("isDefaultCalendar")),
                    bool(item.get("canEdit", True)),
                    str((item.get("owner") or {}).get("address") or "")[:320],
                )
            )
        link = body.get("@odata.nextLink")
        url = api.check_link(link) if isinstance(link, str) else None
    return found


def account_email(api: Api, calendars: list[RemoteCalendar]) -> str:
    """The mailbox's address: the default calendar's owner (Calendars.* is enough for that),
    else /me (mail, else userPrincipalName)."""
    for calendar in calendars:
        if calendar.primary and calendar.owner:
            return calendar.owner
    body = api.call("GET", api.url("me")).body
    return str(body.get("mail") or body.get("userPrincipalName") or "")[:320]


def _change(item: dict, tz: str, include_tentative: bool) -> Change | None:
    remote_id = item.get("id")
    if not isinstance(remote_id, str):
        return None
    if "@removed" in item or item.get("isCancelled"):
        return Change(remote_id)
    show_as = item.get("showAs")
    busy = show_as in BUSY_STATES or (include_tentative and show_as == "tentative")
    if not busy:
        return Change(remote_id)
    try:
        start, end = item["start"], item["end"]
        if item.get("isAllDay"):
            begin = parse_day(start["dateTime"][:10], tz)
            finish = parse_day(end["dateTime"][:10], tz)
        else:
            begin = parse_instant(start["dateTime"], start.get("timeZone"), "UTC")
            finish = parse_instant(end["dateTime"], end.get("timeZone"), "UTC")
    except (KeyError, TypeError, ValueError):
        return Change(remote_id)
    return Change(remote_id, begin, finish, busy=True)


def _read(api: Api, url: str, tz: str, page_size: int, include_tentative: bool) -> SyncResult:
    result = SyncResult()
    while True:
        body = api.call("GET", url, headers=_prefer(page_size)).body
        result.calls += 1
        for item in body.get("value") or []:
            change = _change(item, tz, include_tentative) if isinstance(item, dict) else None
            if change is not None:
                result.changes.append(change)
        next_link = body.get("@odata.nextLink")
        if isinstance(next_link, str):
            url = api.check_link(next_link)
            continue
        delta = body.get("@odata.deltaLink")
        result.sync_state = api.check_link(delta) if isinstance(delta, str) else ""
        return result


def sync_busy(
    api: Api,
    calendar_id: str,
    delta_link: str,
    window: tuple[datetime, datetime],
    tz: str,
    page_size: int = PAGE_SIZE,
    include_tentative: bool = False,
) -> SyncResult:
    """Changes since `delta_link`, or the whole window when there is none or it expired."""
    if delta_link:
        try:
            return _read(api, api.check_link(delta_link), tz, page_size, include_tentative)
        except SyncStateExpired:
            pass
    query = f"startDateTime={rfc3339(window[0])}&endDateTime={rfc3339(window[1])}"
    url = api.url(f"me/calendars/{quote(calendar_id, safe='')}/calendarView/delta?{query}")
    result = _read(api, url, tz, page_size, include_tentative)
    result.full = True
    return result


def free_busy(
    api: Api, mailbox: str, start: datetime, end: datetime, timeout: float
) -> list[tuple[datetime, datetime]]:
    """Busy intervals of the mailbox now (getSchedule), within `timeout` seconds."""
    body = api.call(
        "POST",
        api.url("me/calendar/getSchedule"),
        json={
            "schedules": [mailbox],
            "startTime": {"dateTime": rfc3339(start)[:-1], "timeZone": "UTC"},
            "endTime": {"dateTime": rfc3339(end)[:-1], "timeZone": "UTC"},
            "availabilityViewInterval": 15,
        },
        headers={"Prefer": 'outlook.timezone="UTC"'},
        timeout=timeout,
    ).body
    busy = []
    for schedule in body.get("value") or []:
        if schedule.get("error"):
            raise ProviderError("Microsoft could not check the calendar.")
        for item in schedule.get("scheduleItems") or []:
            if item.get("status") in BUSY_STATES:
                busy.append(
                    (
                        parse_instant(item["start"]["dateTime"], item["start"].get("timeZone")),
                        parse_instant(item["end"]["dateTime"], item["end"].get("timeZone")),
                    )
                )
    return busy


def put_event(api: Api, calendar_id: str, remote_id: str, transaction_id: str, event: dict) -> str:
    """Create the booking's event (transactionId makes a repeat harmless) or update it."""
    if remote_id:
        try:
            api.call("PATCH", api.url(f"me/events/{quote(remote_id, safe='')}"), json=event)
            return remote_id
        except RemoteNotFound:
            pass
    answer = api.call(
        "POST",
        api.url(f"me/calendars/{quote(calendar_id, safe='')}/events"),
        json={**event, "transactionId": transaction_id},
    ).body
    if not isinstance(answer.get("id"), str):
        raise ProviderError("Microsoft did not return the event's id.")
    return answer["id"]


def delete_events(api: Api, remote_ids: list[str]) -> dict[str, bool]:
    """Delete events in $batch requests; per id True (deleted) or False (already gone).

    A sub-request's own error (429 with its Retry-After, 5xx) raises as if it were a call.
    """
    done: dict[str, bool] = {}
    for offset in range(0, len(remote_ids), BATCH_LIMIT):
        chunk = remote_ids[offset : offset + BATCH_LIMIT]
        requests = [
            # Graph ids are base64 ("=" padding): kept as is, as Graph's own links write them.
            {"id": str(n), "method": "DELETE", "url": f"/me/events/{quote(rid, safe='=')}"}
            for n, rid in enumerate(chunk)
        ]
        body = api.call("POST", api.url("$batch"), json={"requests": requests}).body
        answers = {str(item.get("id")): item for item in body.get("responses") or []}
        for n, rid in enumerate(chunk):
            item = answers.get(str(n))
            if item is None:
                raise ProviderError("Microsoft's batch answer missed a request.")
            status = int(item.get("status", 0))
            if status in (200, 204):
                done[rid] = True
            elif status in (404, 410):
                done[rid] = False
            else:
                headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
                raise api_error(status, headers, item.get("body") or {})
    return done


def delete_event(api: Api, remote_id: str) -> bool:
    """Remove one booking event; False when it was already gone."""
    return delete_events(api, [remote_id])[remote_id]
