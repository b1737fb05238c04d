"""Meeting locations: check an event type's offered ones and resolve the invitee's choice.

An event type offers one or more of LOCATION_KINDS, stored as [{"kind", "detail"}] with the
default first; a booking keeps the chosen kind and its detail (address, number, link or room).
"""

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from scheduling.errors import N_, InvalidRequest
from scheduling.models import LOCATION_KINDS, EventType
from scheduling.routing.phones import normalise_phone

DETAIL_MAX = 500  # the booking's location column
# Kinds whose detail the host gives on the event type; the others carry none there.
DETAIL_MESSAGES = {
    "host_phone": N_("Enter the phone number invitees call, with its country code."),
    "in_person": N_("Enter the address for in-person meetings."),
    "link": N_("Enter the meeting link, starting with https://."),
}
_URL_UNSAFE = re.compile(r"[\s<>\"'`\\]")


@dataclass(frozen=True)
class Location:
    kind: str
    detail: str = ""


def offered_locations(event_type: EventType) -> list[Location]:
    """The event type's locations in display order (the first is the default)."""
    items = [
        Location(str(item.get("kind", "")), str(item.get("detail") or ""))
        for item in (event_type.locations or [])
        if isinstance(item, dict) and item.get("kind") in LOCATION_KINDS
    ]
    return items or [Location("video")]


def check_link(raw: str) -> str:
    """An https URL with a host and no credentials; ValueError otherwise."""
    value = raw.strip()
    if len(value) > DETAIL_MAX or _URL_UNSAFE.search(value):
        raise ValueError(value)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(value) from None
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        raise ValueError(value)
    return value


def check_locations(items: list[Location]) -> list[dict]:
    """The locations to store, details normalised, or InvalidRequest naming the kind's field."""
    if not items:
        raise InvalidRequest(N_("Offer at least one location."), {"location_kinds": "required"})
    stored: list[dict] = []
    for item in items:
        if item.kind not in LOCATION_KINDS:
            raise InvalidRequest(N_("Pick locations from the list."), {"location_kinds": "unknown"})
        if any(done["kind"] == item.kind for done in stored):
            raise InvalidRequest(
                N_("Offer each kind of location once."), {"location_kinds": "duplicate"}
            )
        detail = item.detail.strip() if item.kind in DETAIL_MESSAGES else ""
        field = f"location_{item.kind}"
        if item.kind in DETAIL_MESSAGES and not detail:
            raise InvalidRequest(DETAIL_MESSAGES[item.kind], {field: "required"})
        if len(detail) > DETAIL_MAX:
            raise InvalidRequest(
                N_("Use at most 500 characters for a location."), {field: "too long"}
            )
        if item.kind == "host_phone":
            try:
                detail = normalise_phone(detail)
            except ValueError as exc:
                raise InvalidRequest(str(exc), {field: "invalid"}) from None
        if item.kind == "link":
            try:
                detail = check_link(detail)
            except ValueError:
                raise InvalidRequest(
                    N_("Enter the meeting link, starting with https://."), {field: "invalid"}
                ) from None
        stored.append({"kind": item.kind, "detail": detail})
    return stored


def video_room_url(base_url: str) -> str:
    """A unique, unguessable room under the organisation's own Jitsi."""
    return f"{base_url.rstrip('/')}/rendezvous-{secrets.token_hex(12)}"


def resolve_location(
    event_type: EventType, kind: str, phone: str, video_base_url: str
) -> tuple[str, str]:
    """The booking's (kind, detail) for the invitee's choice; empty kind takes the default.

    InvalidRequest (fields "location" or "phone") when the kind is not offered or the invitee's
    number is missing or not valid.
    """
    offered = offered_locations(event_type)
    if not kind:
        chosen = offered[0]
    else:
        chosen = next((item for item in offered if item.kind == kind), None)
        if chosen is None:
            raise InvalidRequest(
                N_("Choose one of the offered locations."),
                {"location": "not offered; one of " + ", ".join(i.kind for i in offered)},
            )
    if chosen.kind == "video":
        return "video", video_room_url(event_type.organisation.jitsi_base_url or video_base_url)
    if chosen.kind == "invitee_phone":
        if not phone.strip():
            raise InvalidRequest(
                N_("Enter the phone number we should call."), {"phone": "required"}
            )
        try:
            return "invitee_phone", normalise_phone(phone.strip())
        except ValueError as exc:
            raise InvalidRequest(str(exc), {"phone": "invalid"}) from None
    return chosen.kind, chosen.detail
