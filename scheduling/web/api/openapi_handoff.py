"""OpenAPI schemas of a booking's CRM hand-off blocks (lead, answers, routing, attribution).

Kept beside openapi_tables.py, which adds them to Booking; the example is the same sample booking
"Send test event" delivers, whose shape a test holds equal to a real booking's.
"""

from datetime import UTC, datetime

from scheduling.operations.webhook_sample import sample_booking


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _or_null(name: str) -> dict:
    return {"oneOf": [_ref(name), {"type": "null"}]}


def _obj(properties: dict, **extra) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), **extra}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
ID_NAME = _obj({"id": INTEGER, "name": STRING})
TOUCH = {
    "type": "object",
    "description": "UTM values, click ids (gclid, fbclid, msclkid), referrer domain, landing "
    "path and time (at); only the fields the visit had",
    "properties": {"at": {"type": "string", "format": "date-time"}},
    "required": ["at"],
    "additionalProperties": STRING,
}

HANDOFF_SCHEMAS = {
    "BookingLead": _obj(
        {
            "id": STRING,
            "status": {"type": "string", "enum": ["qualified", "booked", "disqualified"]},
        },
        description="The lead whose answers led to the booking",
    ),
    "Answer": _obj(
        {
            "key": STRING,
            "label": {"type": "string", "description": "The question as asked"},
            "value": {"description": "As stored and compared by rules (choice value, bool ...)"},
            "display": {"type": "string", "description": "What the visitor saw: choice label"},
        }
    ),
    "Routing": _obj(
        {
            "rule": _nullable("string", description="The matching rule; Fallback if none"),
            "route": _nullable("string", description="team, host, event_type or default"),
            "team": {"oneOf": [ID_NAME, {"type": "null"}]},
            "host": ID_NAME,
            "decided_by": _nullable("string", description="The round-robin step that decided"),
            "period": _nullable("string"),
            "standing": {
                "oneOf": [
                    _obj(
                        {
                            "weight": INTEGER,
                            "priority": INTEGER,
                            "share": NUMBER,
                            "expected": NUMBER,
                            "assigned": NUMBER,
                            "deficit": NUMBER,
                            "today": INTEGER,
                            "this_week": INTEGER,
                            "daily_cap": _nullable("integer"),
                            "weekly_cap": _nullable("integer"),
                            "last_booked_at": _nullable("string"),
                        },
                        description="The host's standing in the team when assigned",
                    ),
                    {"type": "null"},
                ]
            },
            "trace": {"type": "array", "items": STRING},
            "explanation": {"type": "string", "description": "All of the above in one sentence"},
        }
    ),
    "Attribution": _obj(
        {
            "first_touch": TOUCH,
            "last_touch": TOUCH,
            "variant": {
                "oneOf": [_obj({"id": INTEGER, "name": STRING, "test": STRING}), {"type": "null"}]
            },
            "consent": _obj(
                {"id": STRING, "decided_at": {"type": "string", "format": "date-time"}}
            ),
        },
        description="Only when the visitor granted consent for attribution; else null",
    ),
}

BOOKING_HANDOFF_PROPERTIES = {
    "lead": _or_null("BookingLead"),
    "answers": {"type": "array", "items": _ref("Answer")},
    "routing": _or_null("Routing"),
    "attribution": _or_null("Attribution"),
}

BOOKING_EXAMPLE = sample_booking(datetime(2030, 1, 7, 8, 0, tzinfo=UTC))
