"""The event type form's offered durations: a text field such as "15, 30, 45" (minutes)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from scheduling.availability.durations import (
    MAX_CHOICES,
    MAX_MINUTES,
    MIN_MINUTES,
    parse_durations,
)


class DurationListField(StringField):
    """Whole minutes separated by commas or spaces; data is an ascending list (empty: none
    entered, which means the default alone), or None when a part is no number."""

    def process_data(self, value):
        # One stored length is the default alone: shown empty, so changing the default is
        # enough to change it.
        values = sorted(set(value)) if isinstance(value, list | tuple) else []
        self.data = values if len(values) > 1 else []

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        self.data = parse_durations(self.raw_text[:200]) if valuelist else []

    def _value(self):
        if self.data is None:
            return getattr(self, "raw_text", "")
        if isinstance(self.data, list | tuple):
            return ", ".join(str(value) for value in self.data)
        return str(self.data or "")


def durations_field() -> DurationListField:
    return DurationListField(
        _l("Durations offered (minutes, optional)"),
        description=_l(
            "e.g. 15, 30, 45: the visitor picks one before the calendar. It must include the "
            "duration above, the default. Empty: only the duration above."
        ),
    )


def check_durations(default: int | None, values: list[int] | None) -> None:
    """Raise ValidationError with a clear message unless the lengths can be offered."""
    if values is None:
        raise ValidationError(_l("Enter whole minutes separated by commas, e.g. 15, 30, 45."))
    if not values:
        return
    if len(values) > MAX_CHOICES:
        raise ValidationError(_l("Offer at most %(n)d durations.", n=MAX_CHOICES))
    if any(not MIN_MINUTES <= value <= MAX_MINUTES for value in values):
        raise ValidationError(_l("Each duration must be whole minutes, from 5 to 720."))
    if default is not None and default not in values:
        raise ValidationError(
            _l("Include the default duration (%(n)s minutes) in the offered ones.", n=default)
        )
