"""The tables API v1's OpenAPI document is built from: its schemas, and one row per operation.

Written by hand next to the code it describes; tests check real responses against it
(tests/web/test_api_v1.py), and schemathesis fuzzes a live server with it
(tests/web/test_openapi.py). openapi.py turns the rows into the document it serves.
"""

from typing import NamedTuple

from scheduling.models import LOCATION_KINDS, OUTCOMES, STATUSES

from .openapi_handoff import BOOKING_EXAMPLE, BOOKING_HANDOFF_PROPERTIES, HANDOFF_SCHEMAS


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


LOCATION_KIND = {"type": "string", "enum": list(LOCATION_KINDS)}
LOCATIONS = {
    "type": "array",
    "minItems": 1,
    "description": "The offered locations, the default first; detail is the address, the "
    "number the invitee calls or the link (empty for video and invitee_phone)",
    "items": {
        "type": "object",
        "properties": {"kind": LOCATION_KIND, "detail": {"type": "string"}},
        "required": ["kind", "detail"],
    },
}


def _obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


STRING = {"type": "string"}
INSTANT = {"type": "string", "format": "date-time"}
INTEGER = {"type": "integer"}
DATE = {"type": "string", "format": "date"}
LEAD_STATUS = {"type": "string", "enum": ["qualified", "booked", "disqualified"]}
DURATION = {
    "type": "integer",
    "minimum": 1,
    "description": "Meeting length in minutes: one of the event type's durations (default: its "
    "duration)",
}
DURATIONS = {
    "type": "array",
    "items": INTEGER,
    "minItems": 1,
    "description": "Every meeting length offered, in minutes, ascending, with the default",
}

SCHEMAS = {
    "Error": _obj(
        {
            "error": {"type": "string", "description": "A stable code, e.g. not_found"},
            "message": STRING,
            "fields": {"type": "object", "additionalProperties": STRING},
        }
    ),
    "Outcome": _obj(
        {
            "status": {"type": "string", "enum": list(OUTCOMES)},
            "deal_value": _nullable("string", description="Decimal as a string"),
            "currency": _nullable("string"),
            "lost_reason": _nullable("string"),
            "note": STRING,
            "recorded_at": INSTANT,
        }
    ),
    "Booking": _obj(
        {
            "id": STRING,
            "status": {"type": "string", "enum": list(STATUSES)},
            "event_type": _obj({"slug": STRING, "title": STRING}),
            "host": _obj({"id": INTEGER, "name": STRING, "email": STRING}),
            "hosts": {
                "type": "array",
                "items": _obj({"id": INTEGER, "name": STRING, "email": STRING}),
                "description": "Everyone hosting the meeting: the host, or all hosts of a "
                "collective meeting (one booking row each; the first is the public one)",
            },
            "invitee": _obj({"name": STRING, "email": STRING, "timezone": STRING, "note": STRING}),
            "start": INSTANT,
            "end": INSTANT,
            "duration": {**INTEGER, "description": "The booking's own length in minutes"},
            "location_kind": LOCATION_KIND,
            "location": {
                "type": "string",
                "description": "Video room URL, number the invitee calls (host_phone), "
                "invitee's number (invitee_phone), address (in_person) or link",
            },
            "source": STRING,
            "rescheduled_from": _nullable("string"),
            "cancel_reason": _nullable("string"),
            "created_at": INSTANT,
            "updated_at": INSTANT,
            "cancelled_at": _nullable("string", format="date-time"),
            "outcome": {"oneOf": [ref("Outcome"), {"type": "null"}]},
            **BOOKING_HANDOFF_PROPERTIES,
        },
        examples=[BOOKING_EXAMPLE],
    ),
    **HANDOFF_SCHEMAS,
    "Lead": _obj(
        {
            "id": STRING,
            "status": LEAD_STATUS,
            "event_type": STRING,
            "name": STRING,
            "email": STRING,
            "answers": {"type": "object"},
            "score": INTEGER,
            "rule": STRING,
            "route": _nullable("string"),
            "booking": _nullable("string"),
            "created_at": INSTANT,
            "updated_at": INSTANT,
        }
    ),
    "Host": _obj(
        {
            "id": INTEGER,
            "name": STRING,
            "email": STRING,
            "timezone": STRING,
            "active": {"type": "boolean"},
            "out_of_office": {
                "type": "array",
                "description": "Absences not yet over (local dates in the host's zone); "
                "delegate: the colleague who takes their bookings meanwhile, or null",
                "items": _obj(
                    {"first_day": DATE, "last_day": DATE, "delegate": _nullable("integer")}
                ),
            },
        }
    ),
    "EventType": _obj(
        {
            "slug": STRING,
            "title": STRING,
            "description": STRING,
            "duration": {**INTEGER, "description": "The default length in minutes"},
            "durations": DURATIONS,
            "location_kind": {**LOCATION_KIND, "description": "The default location's kind"},
            "locations": LOCATIONS,
            "active": {"type": "boolean"},
            "hosts": {"type": "array", "items": INTEGER},
            "assignment": {
                "type": "string",
                "enum": ["one", "collective"],
                "description": "one: each meeting has one of the hosts; collective: all of "
                "them (slots are the times every host is free)",
            },
            "hidden": {
                "type": "boolean",
                "description": "Bookable by its link, the widget and the API, "
                "but not listed on public pages",
            },
            "limits": _obj(
                {
                    "per_day": {
                        **_nullable("integer"),
                        "description": "Bookings per host and local day",
                    },
                    "per_week": {
                        **_nullable("integer"),
                        "description": "Bookings per host and local ISO week",
                    },
                    "min_gap": {
                        **INTEGER,
                        "description": "Minutes kept free between a meeting and any other "
                        "of the host",
                    },
                }
            ),
        }
    ),
    "BookingPage": _obj(
        {"data": {"type": "array", "items": ref("Booking")}, "next_cursor": _nullable("string")}
    ),
    "LeadPage": _obj(
        {"data": {"type": "array", "items": ref("Lead")}, "next_cursor": _nullable("string")}
    ),
    "HostList": _obj({"data": {"type": "array", "items": ref("Host")}}),
    "EventTypeList": _obj({"data": {"type": "array", "items": ref("EventType")}}),
    "PublicEventType": _obj(
        {
            "slug": STRING,
            "title": STRING,
            "description": STRING,
            "duration": {**INTEGER, "description": "The default length in minutes"},
            "durations": DURATIONS,
            "location_kind": {**LOCATION_KIND, "description": "The default location's kind"},
            "locations": LOCATIONS,
            "default_locale": _nullable("string"),
        }
    ),
    "Slots": _obj(
        {
            "event_type": STRING,
            "timezone": STRING,
            "start": DATE,
            "end": DATE,
            "duration": {**INTEGER, "description": "The meeting length the slots are for"},
            "slots": {"type": "array", "items": INSTANT},
        }
    ),
    "PublicBooking": _obj(
        {
            "id": STRING,
            "status": STRING,
            "event_type": STRING,
            "host": _obj({"name": STRING}),
            "hosts": {
                "type": "array",
                "items": _obj({"name": STRING}),
                "description": "Everyone hosting the meeting (all hosts of a collective one)",
            },
            "start": INSTANT,
            "end": INSTANT,
            "duration": {**INTEGER, "description": "The booking's length in minutes"},
            "timezone": STRING,
            "locale": STRING,
            "name": STRING,
            "email": STRING,
            "location_kind": LOCATION_KIND,
            "location": STRING,
            "url": STRING,
            "cancel_url": STRING,
            "reschedule_url": STRING,
            "lead": STRING,
        },
        required=[
            "id",
            "status",
            "event_type",
            "host",
            "start",
            "end",
            "duration",
            "timezone",
            "name",
            "email",
            "location_kind",
            "location",
            "url",
            "cancel_url",
            "reschedule_url",
        ],
    ),
    "PublicBookingRequest": _obj(
        {
            "event_type": STRING,
            "start": INSTANT,
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "timezone": STRING,
            "locale": {
                "type": "string",
                "enum": ["en", "de", "fr", "es", "it", "nl", "pl"],
                "description": "The invitee's language (emails, .ics); default en",
            },
            "note": STRING,
            "answers": {"type": "object"},
            "lead": STRING,
            "location": {
                **LOCATION_KIND,
                "description": "One of the event type's offered kinds; default: its first",
            },
            "phone": {
                "type": "string",
                "maxLength": 40,
                "description": "The invitee's number with its country code; required when "
                "location is invitee_phone",
            },
            "duration": DURATION,
        },
        required=["event_type", "start", "name", "email"],
    ),
    "CancelRequest": _obj({"reason": {"type": "string", "maxLength": 500}}, required=[]),
    "RescheduleRequest": _obj(
        {
            "start": INSTANT,
            "host_id": {
                "type": "integer",
                "minimum": 1,
                "description": "Move to this host (default: same)",
            },
            "duration": {
                **DURATION,
                "description": "A new length in minutes, one the event type offers "
                "(default: the booking's own, while offered)",
            },
            "reason": {"type": "string", "maxLength": 500},
        },
        required=["start"],
    ),
    "OutcomeRequest": _obj(
        {
            "status": {"type": "string", "enum": list(OUTCOMES)},
            "deal_value": {
                "type": ["string", "number", "null"],
                "description": "Required for won",
            },
            "currency": _nullable(
                "string", pattern="^[A-Za-z]{3}$", description="ISO 4217, required for won"
            ),
            "lost_reason_id": _nullable("integer", minimum=1, description="Required for lost"),
            "note": {"type": "string", "maxLength": 2000},
        },
        required=["status"],
    ),
}


class Query(NamedTuple):
    name: str
    schema: dict
    description: str = ""
    required: bool = False


# Who may call an operation: its security, and the errors that follow its own in the answers.
PUBLIC, READ, WRITE = "public", "read", "write"
SECURED = [{"bearerAuth": []}]
AUTH_ERRORS = {"401": "No API key, or a revoked one"}
ACCESS = {
    PUBLIC: ([], {}),
    READ: (SECURED, AUTH_ERRORS),
    WRITE: (SECURED, {**AUTH_ERRORS, "403": "The key may only read"}),
}


# Writes are rate-limited per client address (web/rate_limit.py): 429 with Retry-After.
RATE_LIMITED_METHODS = ("post", "put", "patch", "delete")
RATE_LIMITED = {"429": "Too many requests from this address; retry after Retry-After seconds"}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request from this address",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


class Operation(NamedTuple):
    """One method on one path; its path parameters come from the `{names}` in the path."""

    path: str
    method: str
    operation_id: str
    access: str  # PUBLIC, READ or WRITE
    returns: str  # schema of the success answer
    errors: dict[str, str]  # status -> description, listed before the access errors
    summary: str = ""
    status: str = "200"  # of the success answer
    ok: str = "OK"  # its description
    queries: tuple[Query, ...] = ()
    body: str = ""  # schema of the request body, if any
    body_required: bool = True


PAGING = (
    Query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Rows per page (50)"),
    Query("cursor", STRING, "next_cursor of the previous page"),
)

OPERATIONS = (
    Operation(
        "/event-types/{slug}",
        "get",
        "getPublicEventType",
        PUBLIC,
        "PublicEventType",
        {"400": "Invalid input", "404": "Unknown or inactive"},
        summary="An active event type (public)",
    ),
    Operation(
        "/event-types/{slug}/slots",
        "get",
        "getSlots",
        PUBLIC,
        "Slots",
        {
            "400": "Invalid query",
            "404": "Unknown event type or lead",
            "422": "The answers disqualify",
        },
        summary="Free slot starts (public)",
        queries=(
            Query("start", DATE, required=True),
            Query("end", DATE, required=True),
            Query("timezone", STRING, "IANA zone (UTC)"),
            Query("answers", STRING, "Qualification answers as a JSON object"),
            Query("lead", STRING, "Id of an earlier qualification"),
            Query("duration", DURATION, "Meeting length in minutes (default: the event type's)"),
        ),
    ),
    Operation(
        "/bookings",
        "post",
        "createBooking",
        PUBLIC,
        "PublicBooking",
        {
            "400": "Invalid input or not a slot",
            "404": "Unknown event type or lead",
            "409": "Taken in the meantime",
            "422": "The answers disqualify",
        },
        summary="Book a slot (public)",
        status="201",
        ok="Booked",
        body="PublicBookingRequest",
    ),
    Operation(
        "/bookings",
        "get",
        "listBookings",
        READ,
        "BookingPage",
        {"400": "Invalid query"},
        summary="Bookings of the organisation, by start time",
        queries=(
            Query("status", {"type": "string", "enum": list(STATUSES)}),
            Query("event_type", STRING, "Event type slug"),
            Query("host_id", {"type": "integer", "minimum": 1}),
            Query("start_from", INSTANT, "Start at or after"),
            Query("start_to", INSTANT, "Start before"),
            Query("updated_since", INSTANT, "Changed at or after"),
            *PAGING,
        ),
    ),
    Operation(
        "/bookings/{id}",
        "get",
        "getBooking",
        READ,
        "Booking",
        {"400": "Invalid input", "404": "No such booking"},
    ),
    Operation(
        "/bookings/{id}/cancel",
        "post",
        "cancelBooking",
        WRITE,
        "Booking",
        {
            "400": "Invalid input",
            "404": "No such booking",
            "409": "Already cancelled, moved or past",
        },
        ok="Cancelled",
        body="CancelRequest",
        body_required=False,
    ),
    Operation(
        "/bookings/{id}/reschedule",
        "post",
        "rescheduleBooking",
        WRITE,
        "Booking",
        {
            "400": "Invalid input or not a slot",
            "404": "No such booking",
            "409": "Taken in the meantime, or the booking cannot change",
        },
        summary="Move a booking; the answer is the new booking (the old one is kept)",
        status="201",
        ok="The new booking",
        body="RescheduleRequest",
    ),
    Operation(
        "/bookings/{id}/outcome",
        "put",
        "recordOutcome",
        WRITE,
        "Booking",
        {"400": "Invalid input, or the call has not started", "404": "No such booking"},
        body="OutcomeRequest",
    ),
    Operation(
        "/leads",
        "get",
        "listLeads",
        READ,
        "LeadPage",
        {"400": "Invalid query"},
        queries=(
            Query("status", LEAD_STATUS),
            Query("created_from", INSTANT),
            Query("created_to", INSTANT),
            *PAGING,
        ),
    ),
    Operation(
        "/leads/{id}",
        "get",
        "getLead",
        READ,
        "Lead",
        {"400": "Invalid input", "404": "No such lead"},
    ),
    Operation("/hosts", "get", "listHosts", READ, "HostList", {"400": "Invalid input"}),
    Operation(
        "/event-types", "get", "listEventTypes", READ, "EventTypeList", {"400": "Invalid input"}
    ),
)
