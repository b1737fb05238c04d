"""A minimal CalDAV client (RFC 4791): ctag check, time-range query, PUT and DELETE one event.

No Flask, no DB. Only what busy-time import and write-back need, on top of remote.http (so the
same SSRF guard, deadlines and size limits apply).
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

if TYPE_CHECKING:
    from xml.etree import ElementTree

from .http import FetchError, Policy, explain_status, request

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"

_CTAG_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">
  <d:prop><cs:getctag/><d:sync-token/><d:resourcetype/></d:prop>
</d:propfind>"""

_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter>
    <c:comp-filter name="VCALENDAR">
      <c:comp-filter name="VEVENT">
        <c:time-range start="{start}" end="{end}"/>
      </c:comp-filter>
    </c:comp-filter>
  </c:filter>
</c:calendar-query>"""


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str

    @property
    def collection(self) -> str:
        return self.url if self.url.endswith("/") else self.url + "/"

    def headers(self, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if self.username or self.password:
            pair = f"{self.username}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers


def _xml(body: bytes) -> "ElementTree.Element":
    # The XML parser loads with the first answer: a worker that never syncs never needs it.
    from xml.etree import ElementTree

    # WebDAV answers never need a DTD; refusing one rules out entity expansion attacks.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise FetchError("The CalDAV server sent an answer with a DTD, which is not accepted.")
    try:
        return ElementTree.fromstring(body)  # noqa: S314 (no DTD, see above)
    except ElementTree.ParseError as exc:
        raise FetchError(f"The CalDAV server sent an unreadable answer ({exc}).") from None


def _check(status: int, what: str) -> None:
    if status == 404:
        raise FetchError(f"No calendar was found at this address (HTTP 404) while {what}.")
    if status >= 300:
        raise FetchError(explain_status(status))


def collection_tag(account: Account, policy: Policy) -> str:
    """The calendar's ctag or sync-token: it changes whenever any event changes."""
    response = request(
        "PROPFIND",
        account.collection,
        policy,
        account.headers(Depth="0", **{"Content-Type": "application/xml; charset=utf-8"}),
        _CTAG_BODY,
    )
    _check(response.status, "reading the calendar")
    root = _xml(response.body)
    if root.find(f".//{DAV}resourcetype/{CALDAV}calendar") is None:
        raise FetchError("This address is not a CalDAV calendar (no calendar resource type).")
    for tag in (f".//{CS}getctag", f".//{DAV}sync-token"):
        element = root.find(tag)
        if element is not None and element.text:
            return element.text.strip()
    return ""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def query_events(account: Account, start: datetime, end: datetime, policy: Policy) -> list[bytes]:
    """The calendar-data of every event overlapping [start, end)."""
    body = _QUERY.format(start=_stamp(start), end=_stamp(end)).encode()
    response = request(
        "REPORT",
        account.collection,
        policy,
        account.headers(Depth="1", **{"Content-Type": "application/xml; charset=utf-8"}),
        body,
    )
    _check(response.status, "querying events")
    root = _xml(response.body)
    return [
        element.text.encode()
        for element in root.iter(f"{CALDAV}calendar-data")
        if element.text and element.text.strip()
    ]


def resource_url(account: Account, uid: str) -> str:
    """One resource per iCal UID, named after it (safe characters only)."""
    return urljoin(account.collection, quote(uid, safe="") + ".ics")


def put_event(account: Account, href: str, data: bytes, policy: Policy) -> None:
    """Create or replace the resource (PUT is idempotent)."""
    response = request(
        "PUT",
        href,
        policy,
        account.headers(**{"Content-Type": "text/calendar; charset=utf-8"}),
        data,
    )
    _check(response.status, "writing the booking")


def delete_event(account: Account, href: str, policy: Policy) -> None:
    """Remove the resource; one that is already gone counts as removed."""
    response = request("DELETE", href, policy, account.headers())
    if response.status in (404, 410):
        return
    _check(response.status, "removing the booking")
