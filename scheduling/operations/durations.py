"""Meeting lengths of an event type: what it offers, the one a visitor or client chose, checks."""

from scheduling import availability as av
from scheduling.availability.durations import (
    choose_duration,
    durations_problem,
    with_duration,
)
from scheduling.errors import N_, InvalidRequest
from scheduling.models import Booking, EventType

from .slots import settings_for


def durations_of(event_type: EventType) -> tuple[int, ...]:
    """The lengths the event type offers, ascending, with its default."""
    return event_type.offered_durations


def offers_choice(event_type: EventType) -> bool:
    """Whether the visitor picks a length (more than one is offered)."""
    return len(durations_of(event_type)) > 1


def _listed(values: tuple[int, ...]) -> str:
    return ", ".join(str(value) for value in values)


def resolve_duration(event_type: EventType, asked: object) -> int:
    """The length to book or list slots for: asked (minutes) if offered, else its default.

    An asked length the event type does not offer raises InvalidRequest naming the offered ones
    (field `duration`); nothing asked means the default.
    """
    offered = durations_of(event_type)
    minutes = choose_duration(offered, event_type.duration, asked)
    if minutes is None:
        listed = _listed(offered)
        raise InvalidRequest(
            N_("This event type offers meetings of %(offered)s minutes. Please choose one."),
            {"duration": f"not offered; use one of {listed} (minutes)"},
            offered=listed,
        )
    return minutes


def settings_for_duration(event_type: EventType, minutes: int | None) -> av.SlotSettings:
    """The engine's view of an event type for meetings of `minutes` (None: its default)."""
    settings = settings_for(event_type)
    if minutes is None or minutes == settings.duration:
        return settings
    return with_duration(settings, minutes)


def booking_minutes(booking: Booking) -> int:
    """The booking's own length in whole minutes (what it was booked for)."""
    return booking.minutes


def kept_duration(booking: Booking, asked: object = None) -> int:
    """The length a moved booking keeps: asked if given (and offered), else its own when the
    event type still offers it, else the event type's default."""
    if asked is not None and asked != "":
        return resolve_duration(booking.event_type, asked)
    own = booking_minutes(booking)
    return own if own in durations_of(booking.event_type) else booking.event_type.duration


def checked_durations(default: int, values: list[int] | tuple[int, ...]) -> list[int]:
    """The lengths to store (ascending, with the default), or InvalidRequest on `durations`.

    No values means the default alone.
    """
    chosen = sorted(set(values)) if values else [default]
    problem = durations_problem(default, chosen)
    if problem is not None:
        raise InvalidRequest(problem, {"durations": "invalid"})
    return chosen
