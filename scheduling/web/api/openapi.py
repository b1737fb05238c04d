"""The OpenAPI 3.1 description of API v1, served at /api/v1/openapi.json.

Written by hand next to the code it describes; tests check real responses against it
(tests/web/test_api_v1.py), and schemathesis fuzzes a live server with it
(tests/web/test_openapi.py).
"""

from flask import jsonify

from scheduling.models import OUTCOMES, STATUSES
from scheduling.operations.notifications import API_VERSION

from .blueprint import bp


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


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
            "invitee": _obj({"name": STRING, "email": STRING, "timezone": STRING, "note": STRING}),
            "start": INSTANT,
            "end": INSTANT,
            "location_kind": {"type": "string", "enum": ["in_person", "phone", "video"]},
            "location": STRING,
            "source": STRING,
            "rescheduled_from": _nullable("string"),
            "cancel_reason": _nullable("string"),
            "created_at": INSTANT,
            "updated_at": INSTANT,
            "cancelled_at": _nullable("string", format="date-time"),
            "outcome": {"oneOf": [_ref("Outcome"), {"type": "null"}]},
        }
    ),
    "Lead": _obj(
        {
            "id": STRING,
            "status": {"type": "string", "enum": ["qualified", "booked", "disqualified"]},
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
        }
    ),
    "EventType": _obj(
        {
            "slug": STRING,
            "title": STRING,
            "description": STRING,
            "duration": INTEGER,
            "location_kind": STRING,
            "active": {"type": "boolean"},
            "hosts": {"type": "array", "items": INTEGER},
        }
    ),
    "BookingPage": _obj(
        {"data": {"type": "array", "items": _ref("Booking")}, "next_cursor": _nullable("string")}
    ),
    "LeadPage": _obj(
        {"data": {"type": "array", "items": _ref("Lead")}, "next_cursor": _nullable("string")}
    ),
    "HostList": _obj({"data": {"type": "array", "items": _ref("Host")}}),
    "EventTypeList": _obj({"data": {"type": "array", "items": _ref("EventType")}}),
    "PublicEventType": _obj(
        {
            "slug": STRING,
            "title": STRING,
            "description": STRING,
            "duration": INTEGER,
            "location_kind": STRING,
        }
    ),
    "Slots": _obj(
        {
            "event_type": STRING,
            "timezone": STRING,
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "duration": INTEGER,
            "slots": {"type": "array", "items": INSTANT},
        }
    ),
    "PublicBooking": _obj(
        {
            "id": STRING,
            "status": STRING,
            "event_type": STRING,
            "host": _obj({"name": STRING}),
            "start": INSTANT,
            "end": INSTANT,
            "timezone": STRING,
            "name": STRING,
            "email": STRING,
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
            "timezone",
            "name",
            "email",
            "location",
            "url",
            "cancel_url",
            "reschedule_url",
        ],
    ),
    "PublicBookingRequest": _obj(
        {
            "event_type": STRING,
            "start": {"type": "string", "format": "date-time"},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "timezone": STRING,
            "note": STRING,
            "answers": {"type": "object"},
            "lead": STRING,
        },
        required=["event_type", "start", "name", "email"],
    ),
    "CancelRequest": _obj({"reason": {"type": "string", "maxLength": 500}}, required=[]),
    "RescheduleRequest": _obj(
        {
            "start": {"type": "string", "format": "date-time"},
            "host_id": {
                "type": "integer",
                "minimum": 1,
                "description": "Move to this host (default: same)",
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


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


AUTH_ERRORS = {
    "401": _error("No API key, or a revoked one"),
}
WRITE_ERRORS = {**AUTH_ERRORS, "403": _error("The key may only read")}


def _query(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


def _json_body(schema: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema)}}}


PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Rows per page (50)"),
    _query("cursor", STRING, "next_cursor of the previous page"),
]
SECURED = [{"bearerAuth": []}]


def document() -> dict:
    """The OpenAPI document (a fresh dict each call)."""
    paths = {
        "/event-types/{slug}": {
            "get": {
                "operationId": "getPublicEventType",
                "summary": "An active event type (public)",
                "security": [],
                "parameters": [_path("slug")],
                "responses": {
                    "200": _ok("PublicEventType"),
                    "400": _error("Invalid input"),
                    "404": _error("Unknown or inactive"),
                },
            }
        },
        "/event-types/{slug}/slots": {
            "get": {
                "operationId": "getSlots",
                "summary": "Free slot starts (public)",
                "security": [],
                "parameters": [
                    _path("slug"),
                    _query("start", {"type": "string", "format": "date"}, required=True),
                    _query("end", {"type": "string", "format": "date"}, required=True),
                    _query("timezone", STRING, "IANA zone (UTC)"),
                    _query("answers", STRING, "Qualification answers as a JSON object"),
                    _query("lead", STRING, "Id of an earlier qualification"),
                ],
                "responses": {
                    "200": _ok("Slots"),
                    "400": _error("Invalid query"),
                    "404": _error("Unknown event type or lead"),
                    "422": _error("The answers disqualify"),
                },
            }
        },
        "/bookings": {
            "post": {
                "operationId": "createBooking",
                "summary": "Book a slot (public)",
                "security": [],
                "requestBody": _json_body("PublicBookingRequest"),
                "responses": {
                    "201": _ok("PublicBooking", "Booked"),
                    "400": _error("Invalid input or not a slot"),
                    "404": _error("Unknown event type or lead"),
                    "409": _error("Taken in the meantime"),
                    "422": _error("The answers disqualify"),
                },
            },
            "get": {
                "operationId": "listBookings",
                "summary": "Bookings of the organisation, by start time",
                "security": SECURED,
                "parameters": [
                    _query("status", {"type": "string", "enum": list(STATUSES)}),
                    _query("event_type", STRING, "Event type slug"),
                    _query("host_id", {"type": "integer", "minimum": 1}),
                    _query("start_from", INSTANT, "Start at or after"),
                    _query("start_to", INSTANT, "Start before"),
                    _query("updated_since", INSTANT, "Changed at or after"),
                    *PAGING,
                ],
                "responses": {
                    "200": _ok("BookingPage"),
                    "400": _error("Invalid query"),
                    **AUTH_ERRORS,
                },
            },
        },
        "/bookings/{id}": {
            "get": {
                "operationId": "getBooking",
                "security": SECURED,
                "parameters": [_path("id")],
                "responses": {
                    "200": _ok("Booking"),
                    "400": _error("Invalid input"),
                    "404": _error("No such booking"),
                    **AUTH_ERRORS,
                },
            }
        },
        "/bookings/{id}/cancel": {
            "post": {
                "operationId": "cancelBooking",
                "security": SECURED,
                "parameters": [_path("id")],
                "requestBody": _json_body("CancelRequest", required=False),
                "responses": {
                    "200": _ok("Booking", "Cancelled"),
                    "400": _error("Invalid input"),
                    "404": _error("No such booking"),
                    "409": _error("Already cancelled, moved or past"),
                    **WRITE_ERRORS,
                },
            }
        },
        "/bookings/{id}/reschedule": {
            "post": {
                "operationId": "rescheduleBooking",
                "summary": "Move a booking; the answer is the new booking (the old one is kept)",
                "security": SECURED,
                "parameters": [_path("id")],
                "requestBody": _json_body("RescheduleRequest"),
                "responses": {
                    "201": _ok("Booking", "The new booking"),
                    "400": _error("Invalid input or not a slot"),
                    "404": _error("No such booking"),
                    "409": _error("Taken in the meantime, or the booking cannot change"),
                    **WRITE_ERRORS,
                },
            }
        },
        "/bookings/{id}/outcome": {
            "put": {
                "operationId": "recordOutcome",
                "security": SECURED,
                "parameters": [_path("id")],
                "requestBody": _json_body("OutcomeRequest"),
                "responses": {
                    "200": _ok("Booking"),
                    "400": _error("Invalid input, or the call has not started"),
                    "404": _error("No such booking"),
                    **WRITE_ERRORS,
                },
            }
        },
        "/leads": {
            "get": {
                "operationId": "listLeads",
                "security": SECURED,
                "parameters": [
                    _query(
                        "status",
                        {"type": "string", "enum": ["qualified", "booked", "disqualified"]},
                    ),
                    _query("created_from", INSTANT),
                    _query("created_to", INSTANT),
                    *PAGING,
                ],
                "responses": {
                    "200": _ok("LeadPage"),
                    "400": _error("Invalid query"),
                    **AUTH_ERRORS,
                },
            }
        },
        "/leads/{id}": {
            "get": {
                "operationId": "getLead",
                "security": SECURED,
                "parameters": [_path("id")],
                "responses": {
                    "200": _ok("Lead"),
                    "400": _error("Invalid input"),
                    "404": _error("No such lead"),
                    **AUTH_ERRORS,
                },
            }
        },
        "/hosts": {
            "get": {
                "operationId": "listHosts",
                "security": SECURED,
                "responses": {
                    "200": _ok("HostList"),
                    "400": _error("Invalid input"),
                    **AUTH_ERRORS,
                },
            }
        },
        "/event-types": {
            "get": {
                "operationId": "listEventTypes",
                "security": SECURED,
                "responses": {
                    "200": _ok("EventTypeList"),
                    "400": _error("Invalid input"),
                    **AUTH_ERRORS,
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rendezvous API",
            "version": API_VERSION,
            "description": (
                "Public booking endpoints, and the integration API for CRMs and scripts "
                "(API keys from the admin side, sent as Authorization: Bearer <key>). "
                "Errors always have the shape {error, message, fields}."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
