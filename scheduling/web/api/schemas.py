"""Shape checks for API input; each returns clean values or raises InvalidRequest with fields."""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from scheduling.availability.timezones import is_valid_zone
from scheduling.availability.zone_names import canonical_zone
from scheduling.errors import InvalidRequest
from scheduling.models import LOCATION_KINDS
from scheduling.operations.bookings import Invitee

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date_arg(name: str, value: str | None, fields: dict[str, str]) -> date | None:
    if not value:
        fields[name] = "required, as YYYY-MM-DD"
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        fields[name] = "not a date in the form YYYY-MM-DD"
        return None


def parse_zone_arg(name: str, value: str | None, fields: dict[str, str]) -> str:
    if value is None or value == "":
        return "UTC"
    if not is_valid_zone(value):
        fields[name] = "unknown time zone; use an IANA name such as Europe/Paris"
        return "UTC"
    return canonical_zone(value)  # a deprecated alias (US/Eastern) means its zone


def parse_answers_arg(value: str | None, fields: dict[str, str]) -> dict | None:
    """Qualification answers passed to a GET as a JSON object in the query string."""
    if value is None:
        return None
    try:
        answers = json.loads(value)
    except (ValueError, RecursionError):  # deep nesting raises RecursionError
        answers = None
    if not isinstance(answers, dict):
        fields["answers"] = 'must be a JSON object, e.g. {"budget": "50k+"}'
        return None
    return answers


def _text(body: dict, name: str, fields: dict, *, required: bool, max_len: int) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fields[name] = "required"
        return ""
    if not isinstance(value, str):
        fields[name] = "must be a string"
        return ""
    value = value.strip()
    if len(value) > max_len:
        fields[name] = f"at most {max_len} characters"
    return value


@dataclass(frozen=True)
class BookingRequest:
    event_type: str
    start: datetime
    invitee: Invitee
    answers: dict | None = None
    lead: str = ""


def parse_instant(name: str, raw: object, fields: dict[str, str]) -> datetime | None:
    """An aware datetime from ISO 8601 text with a UTC offset; a message in fields otherwise."""
    if not isinstance(raw, str) or not raw:
        fields[name] = "required, ISO 8601 with a UTC offset"
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        fields[name] = "not an ISO 8601 date and time"
        return None
    if moment.tzinfo is None:
        fields[name] = "needs a UTC offset, e.g. 2030-01-08T09:00:00+01:00"
    elif not 1970 <= moment.year <= 2200:
        fields[name] = "out of range"
    else:
        return moment
    return None


def parse_booking_request(body: object) -> BookingRequest:
    """The shape-checked content of a POST /bookings body."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    fields: dict[str, str] = {}
    slug = _text(body, "event_type", fields, required=True, max_len=80)
    raw_start = _text(body, "start", fields, required=True, max_len=40)
    name = _text(body, "name", fields, required=True, max_len=200)
    email = _text(body, "email", fields, required=True, max_len=254)
    note = _text(body, "note", fields, required=False, max_len=5000)
    tz = _text(body, "timezone", fields, required=False, max_len=64) or "UTC"
    start = parse_instant("start", raw_start, fields) if raw_start else None
    if email and "email" not in fields:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            fields["email"] = str(exc)
    if "timezone" not in fields and not is_valid_zone(tz):
        fields["timezone"] = "unknown time zone; use an IANA name such as Europe/Paris"
    tz = canonical_zone(tz)
    answers = body.get("answers")
    if answers is not None and not isinstance(answers, dict):
        fields["answers"] = "must be an object mapping question keys to answers"
    lead = _text(body, "lead", fields, required=False, max_len=32)
    locale = _text(body, "locale", fields, required=False, max_len=20) or "en"
    languages = current_app.config["LANGUAGES"]
    if "locale" not in fields and locale not in languages:
        fields["locale"] = f"unsupported language; use one of {', '.join(languages)}"
    location = _text(body, "location", fields, required=False, max_len=20)
    if location and "location" not in fields and location not in LOCATION_KINDS:
        fields["location"] = f"unknown kind; use one of {', '.join(LOCATION_KINDS)}"
    phone = _text(body, "phone", fields, required=False, max_len=40)
    duration = body.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 0 < duration <= 1440
    ):
        fields["duration"] = "must be a whole number of minutes the event type offers"
    if fields:
        raise InvalidRequest("Some fields are missing or invalid.", fields)
    invitee = Invitee(
        name=name,
        email=email,
        tz=tz,
        note=note,
        locale=locale,
        location_kind=location,
        phone=phone,
        duration=duration,
    )
    return BookingRequest(slug, start, invitee, answers, lead)
