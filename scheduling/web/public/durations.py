"""The meeting length a visitor picks before the calendar (`?duration=30`), carried by the flow.

A type offering one length shows no choice and adds nothing to its links. With several, every
link of the booking pages carries `duration`, the confirmation form sends it back in a hidden
field and its signed token covers it; create_booking checks it once more.
"""

from flask import request, url_for

from scheduling.models import Booking, EventType
from scheduling.operations.durations import (
    durations_of,
    kept_duration,
    offers_choice,
    resolve_duration,
)


def chosen_duration(event_type: EventType, value: str | None) -> int:
    """The length asked in the query or form (missing: the default); InvalidRequest if not
    offered (the error page names the offered ones)."""
    return resolve_duration(event_type, value)


def duration_args(event_type: EventType, minutes: int) -> dict:
    """What the flow's links carry: `duration` only when the visitor had a choice."""
    return {"duration": minutes} if offers_choice(event_type) else {}


def duration_choice(
    event_type: EventType, minutes: int, endpoint: str, args: dict, tz: str
) -> list[dict]:
    """The lengths to pick from, each with its link (same page, month, day and zone); empty
    when the event type offers one length."""
    if not offers_choice(event_type):
        return []
    base = {key: value for key, value in args.items() if key != "duration"}
    for key in ("month", "date"):  # already read by the calendar: a bad one got its 400
        if request.args.get(key):
            base[key] = request.args[key]
    return [
        {
            "minutes": value,
            "current": value == minutes,
            "url": url_for(endpoint, tz=tz, duration=value, **base),
        }
        for value in durations_of(event_type)
    ]


def rescheduled_duration(booking: Booking) -> int:
    """A moved booking keeps its own length (while the event type offers it)."""
    return kept_duration(booking)
