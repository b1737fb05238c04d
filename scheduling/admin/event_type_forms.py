"""The event type form: every field of an event type, shape-checked with per-field messages."""

import re
from contextlib import suppress

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..operations.event_types import DETAIL_REQUIRED, EventTypeData

PHONE_RE = re.compile(r"\+?[0-9 ()./-]{5,40}")


class WholeNumberField(IntegerField):
    """An integer field whose range validator alone explains bad input (no second message)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            # Unreadable input leaves None: the field's NumberRange says what to enter.
            with suppress(ValueError):
                self.data = int(valuelist[0])


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _number(label, low: int, high: int, message, description=None):
    return WholeNumberField(
        label,
        validators=[InputRequired(message), NumberRange(low, high, message)],
        description=description,
    )


class EventTypeForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title, e.g. Intro call.")), Length(max=200)],
    )
    slug = StringField(
        _l("Address (slug)"),
        filters=[strip],
        validators=[
            Optional(),
            Regexp(
                r"^[a-z0-9-]{3,80}$",
                message=_l("Use 3 to 80 lowercase letters, digits and hyphens."),
            ),
        ],
        description=_l("The end of the booking link. Leave empty to make one from the title."),
    )
    description = TextAreaField(
        _l("Description (shown on the booking page)"), validators=[Length(max=5000)]
    )
    duration = _number(
        _l("Duration (minutes)"),
        5,
        720,
        _l("Enter the duration in whole minutes, from 5 to 720."),
    )
    step = _number(
        _l("Start times every (minutes)"),
        5,
        720,
        _l("Enter the step in whole minutes, from 5 to 720."),
        _l("e.g. 30 offers 09:00, 09:30, 10:00 ..."),
    )
    buffer_before = _number(
        _l("Buffer before (minutes)"),
        0,
        240,
        _l("Enter the buffer in whole minutes, from 0 to 240."),
    )
    buffer_after = _number(
        _l("Buffer after (minutes)"),
        0,
        240,
        _l("Enter the buffer in whole minutes, from 0 to 240."),
    )
    min_notice = _number(
        _l("Minimum notice (minutes)"),
        0,
        43200,
        _l("Enter the notice in whole minutes, from 0 to 43200 (30 days)."),
        _l("How long before a meeting it can still be booked; 1440 is one day."),
    )
    horizon_days = _number(
        _l("Bookable up to (days ahead)"),
        1,
        730,
        _l("Enter a number of days from 1 to 730."),
    )
    daily_limit = WholeNumberField(
        _l("Daily limit per host (optional)"),
        validators=[
            Optional(),
            NumberRange(
                1, 1000, _l("Leave the daily limit empty for no limit, or enter 1 to 1000.")
            ),
        ],
        description=_l("Most meetings of this type one host takes per day; empty means no limit."),
    )
    location_kind = RadioField(
        _l("Where the meeting happens"),
        choices=[
            SelectChoice("video", _l("Video call (a room link is made for each booking)")),
            SelectChoice("phone", _l("Phone call")),
            SelectChoice("in_person", _l("In person")),
        ],
        default="video",
        validators=[InputRequired(_l("Pick where the meeting happens."))],
    )
    location_detail = StringField(
        _l("Address or phone number"),
        validators=[Length(max=500)],
        description=_l(
            "The address for in-person meetings, the number to call for phone calls; "
            "not used for video calls."
        ),
    )
    active = BooleanField(_l("Active: visitors can book it"), default=True)
    host_ids = SelectMultipleField(
        _l("Hosts"),
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def validate_location_detail(self, field) -> None:
        kind = self.location_kind.data
        value = (field.data or "").strip()
        if kind in DETAIL_REQUIRED and not value:
            raise ValidationError(DETAIL_REQUIRED[kind])
        if kind == "phone" and (
            not PHONE_RE.fullmatch(value) or sum(c.isdigit() for c in value) < 5
        ):
            raise ValidationError(_l("Enter a phone number, e.g. +49 30 1234567."))

    def validate_host_ids(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Pick at least one host."))
        known = {int(choice.value) for choice in field.choices}
        if any(value not in known for value in field.data):
            raise ValidationError(_l("Pick hosts from the list."))

    def to_data(self) -> EventTypeData:
        """The checked values as the operation takes them."""
        return EventTypeData(
            title=self.title.data.strip(),
            slug=(self.slug.data or "").strip(),
            description=self.description.data or "",
            duration=self.duration.data,
            step=self.step.data,
            buffer_before=self.buffer_before.data,
            buffer_after=self.buffer_after.data,
            min_notice=self.min_notice.data,
            horizon_days=self.horizon_days.data,
            daily_limit=self.daily_limit.data,
            location_kind=self.location_kind.data,
            location_detail=self.location_detail.data or "",
            active=bool(self.active.data),
            host_ids=tuple(self.host_ids.data),
        )
