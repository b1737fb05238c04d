"""Meeting lengths an event type offers, and the one chosen. Pure: no Flask, no DB, no clock.

An event type keeps a default length and a list of offered lengths that includes it; the visitor
picks one before the calendar, and the engine lays out slots for that length (buffers and step
stay the event type's). A type offering one length behaves as before.
"""

from dataclasses import replace

from .model import SlotSettings

# What a person may enter: whole minutes from 5 to 720, at most 8 lengths per event type.
MIN_MINUTES = 5
MAX_MINUTES = 720
MAX_CHOICES = 8


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def offered_durations(default: int, stored: object) -> tuple[int, ...]:
    """The lengths offered, ascending and unique, always with the default.

    Stored values that are not whole positive minutes are left out, so a damaged row still
    offers at least its default.
    """
    values = {default} if _is_int(default) and default > 0 else set()
    if isinstance(stored, list | tuple):
        values.update(value for value in stored if _is_int(value) and value > 0)
    return tuple(sorted(values))


def durations_problem(default: int, values: list[int]) -> str | None:
    """Why these lengths cannot be offered (English, for a form to translate), or None."""
    if not values:
        return "Enter at least one duration."
    if len(set(values)) > MAX_CHOICES:
        return "Offer at most 8 durations."
    if any(not _is_int(v) or not MIN_MINUTES <= v <= MAX_MINUTES for v in values):
        return "Each duration must be whole minutes from 5 to 720."
    if default not in values:
        return "The default duration must be one of the offered durations."
    return None


def parse_durations(text: str) -> list[int] | None:
    """Minutes from text such as "15, 30 45", ascending and unique; None if a part is no number."""
    parts = text.replace(",", " ").split()
    try:
        values = [int(part) for part in parts]
    except ValueError:
        return None
    return sorted(set(values))


def choose_duration(offered: tuple[int, ...], default: int, asked: object) -> int | None:
    """The length to book: `asked` when it is offered, the default when nothing was asked.

    asked may be an int or the text of a query parameter; anything else, or a length that is
    not offered, gives None (the caller answers with the offered ones).
    """
    if asked is None or asked == "":
        return default if default in offered else (offered[0] if offered else None)
    if isinstance(asked, str):
        text = asked.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 4:
            return None
        asked = int(text)
    if not _is_int(asked) or asked not in offered:
        return None
    return asked


def with_duration(settings: SlotSettings, minutes: int) -> SlotSettings:
    """The event type's rules for a meeting of `minutes` (buffers, step and limits unchanged)."""
    return replace(settings, duration=minutes)
