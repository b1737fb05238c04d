"""The length of a booking entered by hand: one the chosen event type offers (`?duration=`)."""

from scheduling.errors import InvalidRequest
from scheduling.models import EventType
from scheduling.operations.durations import kept_duration, resolve_duration

__all__ = ["admin_duration", "kept_duration"]


def admin_duration(event_type: EventType | None, value: str | None, errors: dict) -> int | None:
    """The length asked (missing: the default) for this event type; a message in errors["duration"]
    and None when it offers no such length, or when no event type is chosen yet."""
    if event_type is None:
        return None
    try:
        return resolve_duration(event_type, value)
    except InvalidRequest as exc:
        errors["duration"] = exc.message
        return None
