"""Forms for the integration pages: webhooks, API keys, event type notifications."""

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from scheduling.models import WEBHOOK_EVENTS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_control_characters(form, field):
    """One-line names: no line breaks, and no NUL (PostgreSQL cannot store it: a 500)."""
    if isinstance(field.data, str) and any(unicodedata.category(c) == "Cc" for c in field.data):
        raise ValidationError(_l("Remove line breaks and control characters from this field."))


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Receiver URL"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the URL that receives the events.")),
            Length(max=2000, message=_l("The URL may have at most 2000 characters.")),
            _no_control_characters,
        ],
    )
    description = StringField(
        _l("Description (optional)"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("At most 200 characters.")), _no_control_characters],
    )
    events = CheckboxList(
        _l("Events"),
        choices=[SelectChoice(name, name) for name in WEBHOOK_EVENTS],
        validators=[DataRequired(_l("Choose at least one event."))],
    )
    active = BooleanField(_l("Active"), default=True)


class ApiKeyForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the key a name, e.g. the system that uses it.")),
            Length(max=100, message=_l("The name may have at most 100 characters.")),
            _no_control_characters,
        ],
    )
    scope = SelectField(
        _l("Access"),
        choices=[
            SelectChoice("read", _l("Read only")),
            SelectChoice("write", _l("Read and write")),
        ],
        default="read",
    )


class NotificationForm(FlaskForm):
    reminders = StringField(
        _l("Reminders (minutes before the start, separated by commas; empty: none)"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("At most 200 characters."))],
    )
    no_show_followup = BooleanField(_l("Email a no-show a link to book again"))


def parse_minutes(text: str) -> tuple[list[int], str | None]:
    """Reminder offsets from "1440, 60"; an error message when a value is not allowed."""
    values = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= 60 * 24 * 30:
            return [], str(_l("Use whole minutes between 1 and 43200 (30 days), e.g. 1440, 60."))
        values.append(int(part))
    if len(values) > 5:
        return [], str(_l("At most 5 reminders."))
    return sorted(set(values), reverse=True), None
