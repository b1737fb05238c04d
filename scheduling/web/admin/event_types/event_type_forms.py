"""The event type form: every field of an event type, shape-checked with per-field messages.

Also the small field types the routing and team forms share (whole numbers, id selects).
"""

from contextlib import suppress

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from scheduling.models import ASSIGNMENTS, LAYOUTS, LOCATION_KINDS
from scheduling.operations.event_types import BUTTON_LABEL_MAX, EventTypeData
from scheduling.operations.locations import DETAIL_MESSAGES, Location, check_link
from scheduling.routing.phones import normalise_phone
from scheduling.web.i18n import LANGUAGE_NAMES

from .duration_fields import check_durations, durations_field


class WholeNumberField(IntegerField):
    """An integer field whose range validator alone explains bad input (no second message)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            # Unreadable input leaves None: the field's NumberRange says what to enter.
            with suppress(ValueError):
                self.data = int(valuelist[0])


def optional_id(value) -> int | None:
    """An id from a select: None for the empty option, -1 for anything that is no id."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return -1


class IdSelectField(SelectField):
    """A select of ids with an optional empty first option; data is an int or None."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, coerce=optional_id, validate_choice=False, **kwargs)
        self.message = message

    def pre_validate(self, form) -> None:
        allowed = {optional_id(choice.value) for choice in self.choices or []}
        if self.data is not None and self.data not in allowed:
            raise ValidationError(self.message or _("Choose from the list."))


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
    durations = durations_field()
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
    weekly_limit = WholeNumberField(
        _l("Weekly limit per host (optional)"),
        validators=[
            Optional(),
            NumberRange(
                1, 1000, _l("Leave the weekly limit empty for no limit, or enter 1 to 1000.")
            ),
        ],
        description=_l(
            "Most meetings of this type one host takes per week (Monday to Sunday in the "
            "host's time zone); empty means no limit."
        ),
    )
    min_gap = WholeNumberField(
        _l("Minimum gap between meetings (minutes, optional)"),
        validators=[
            Optional(),
            NumberRange(
                0, 1440, _l("Enter the gap between meetings in whole minutes, from 0 to 1440.")
            ),
        ],
        description=_l(
            "Free time the host keeps between a meeting of this type and any other meeting, "
            "on top of the buffers; empty or 0 means none."
        ),
    )
    # Offered locations in this order, the first ticked one the default; details beside them.
    location_kinds = SelectMultipleField(
        _l("Where the meeting happens"),
        choices=[
            SelectChoice("video", _l("Video call (a room link is made for each booking)")),
            SelectChoice("host_phone", _l("Phone: the invitee calls the number below")),
            SelectChoice("invitee_phone", _l("Phone: the host calls the invitee's number")),
            SelectChoice("in_person", _l("In person, at the address below")),
            SelectChoice("link", _l("Custom link (e.g. your own meeting room)")),
        ],
        default=["video"],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("With more than one, the invitee chooses; the first ticked is preselected."),
    )
    location_host_phone = StringField(
        _l("Phone number invitees call"),
        filters=[strip],
        validators=[Length(max=500)],
        description=_l("With its country code, e.g. +49 30 1234567."),
    )
    location_in_person = StringField(
        _l("Address for in-person meetings"),
        filters=[strip],
        validators=[Length(max=500)],
    )
    location_link = StringField(
        _l("Meeting link"),
        filters=[strip],
        validators=[Length(max=500)],
        description=_l("An https:// address, the same for every booking."),
    )
    button_label = StringField(
        _l("Button label (optional)"),
        filters=[strip],
        validators=[
            Length(
                max=BUTTON_LABEL_MAX,
                message=_l(
                    "Use at most %(max)d characters for the button label.", max=BUTTON_LABEL_MAX
                ),
            )
        ],
        description=_l(
            "The text of the booking page's main button; empty shows "
            '"Continue to the calendar" or "Book this time".'
        ),
    )
    # Missing from a post keeps the current layout; anything else is refused with one message.
    layout = RadioField(
        _l("Page layout"),
        choices=[
            SelectChoice("standard", _l("Standard")),
            SelectChoice("compact", _l("Compact: less spacing, smaller headline")),
        ],
        default="standard",
        validate_choice=False,
        validators=[AnyOf(LAYOUTS, message=_l("Choose a layout from the list."))],
    )
    # validate_choice: an unknown code is refused with the message below, never a 500.
    default_locale = SelectField(
        _l("Default language"),
        choices=[SelectChoice("", _l("English"))]
        + [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items() if code != "en"],
        default="",
        validate_choice=False,
        validators=[
            AnyOf([None, "", *LANGUAGE_NAMES], message=_l("Choose a language from the list."))
        ],
        description=_l(
            "The booking pages' language when the visitor's browser asks for none of the "
            "offered ones; a language the visitor picks on the page always wins."
        ),
    )
    active = BooleanField(_l("Active: visitors can book it"), default=True)
    hidden = BooleanField(
        _l("Hidden: bookable by its link, the widget and the API, but not listed on public pages")
    )
    redirect_url = StringField(
        _l("Page after booking (optional)"),
        filters=[strip],
        validators=[
            Length(max=500, message=_l("Use at most %(max)d characters.", max=500)),
        ],
        description=_l(
            "Your own thank-you page, e.g. https://www.example.com/thank-you: after booking on "
            "the public page, visitors go there with ?booking=<booking id> added. It must be on "
            "an origin allowed under Embed. In the widget the page stays, and your site gets the "
            '"booked" event instead. Empty: our confirmation page.'
        ),
    )
    routing_form_id = IdSelectField(
        _l("Qualification form"),
        message=_l("Pick a qualification form from the list."),
        description=_l(
            "Questions visitors answer before the calendar; its rules may route or disqualify."
        ),
    )
    pool_id = IdSelectField(
        _l("Team (round-robin)"),
        message=_l("Pick a team from the list."),
        description=_l(
            "With a team, its active members host this event type by fair round-robin, "
            "instead of the hosts below."
        ),
    )
    # Missing from a post keeps the current mode (forms that predate it send none).
    assignment = RadioField(
        _l("Who hosts a meeting"),
        choices=[
            SelectChoice("one", _l("One of the hosts (or the team's round-robin)")),
            SelectChoice("collective", _l("All of the hosts together")),
        ],
        default="one",
        validate_choice=False,
        validators=[AnyOf(ASSIGNMENTS, message=_l("Choose who hosts a meeting from the list."))],
        description=_l(
            "All together: for a meeting that needs several people, e.g. a closer and a "
            "solution engineer. Visitors see only the times when every host below is free, "
            "and every host gets the invitation. Pick at least two hosts and no team."
        ),
    )
    host_ids = SelectMultipleField(
        _l("Hosts"),
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def set_routing_choices(self, routing_forms, pools) -> None:
        """Offer the organisation's qualification forms and teams, each with a "none" option."""
        self.routing_form_id.choices = [SelectChoice("", _("None: no questions"))] + [
            SelectChoice(str(form.id), form.name) for form in routing_forms
        ]
        self.pool_id.choices = [SelectChoice("", _("None: the hosts below"))] + [
            SelectChoice(str(pool.id), pool.name) for pool in pools
        ]

    def load_locations(self, locations: list[Location]) -> None:
        """Tick the offered kinds and fill their details (the edit page's GET)."""
        self.location_kinds.data = [item.kind for item in locations]
        for item in locations:
            field = self._fields.get(f"location_{item.kind}")
            if field is not None:
                field.data = item.detail

    def validate_location_kinds(self, field) -> None:
        kinds = field.data or []
        if not kinds:
            raise ValidationError(_l("Offer at least one location."))
        if any(kind not in LOCATION_KINDS for kind in kinds):
            raise ValidationError(_l("Pick locations from the list."))

    def _check_detail(self, field, kind: str) -> None:
        if kind in (self.location_kinds.data or []) and not field.data:
            raise ValidationError(_(DETAIL_MESSAGES[kind]))

    def validate_location_host_phone(self, field) -> None:
        self._check_detail(field, "host_phone")
        if "host_phone" in (self.location_kinds.data or []):
            try:
                field.data = normalise_phone(field.data)
            except ValueError as exc:
                raise ValidationError(_(str(exc))) from None

    def validate_location_in_person(self, field) -> None:
        self._check_detail(field, "in_person")

    def validate_location_link(self, field) -> None:
        self._check_detail(field, "link")
        if "link" in (self.location_kinds.data or []):
            try:
                check_link(field.data)
            except ValueError:
                raise ValidationError(_(DETAIL_MESSAGES["link"])) from None

    def validate_durations(self, field) -> None:
        check_durations(self.duration.data, field.data)

    def validate_host_ids(self, field) -> None:
        if not field.data and self.pool_id.data is None:
            raise ValidationError(_l("Pick at least one host, or a team."))
        known = {int(choice.value) for choice in field.choices}
        # None when a value was no number (its error is already on the field).
        if any(value not in known for value in field.data or []):
            raise ValidationError(_l("Pick hosts from the list."))

    def to_data(self) -> EventTypeData:
        """The checked values as the operation takes them."""
        return EventTypeData(
            title=self.title.data.strip(),
            slug=(self.slug.data or "").strip(),
            description=self.description.data or "",
            duration=self.duration.data,
            durations=tuple(self.durations.data or ()),
            step=self.step.data,
            buffer_before=self.buffer_before.data,
            buffer_after=self.buffer_after.data,
            min_notice=self.min_notice.data,
            horizon_days=self.horizon_days.data,
            daily_limit=self.daily_limit.data,
            weekly_limit=self.weekly_limit.data,
            min_gap=self.min_gap.data or 0,
            locations=tuple(
                Location(kind, getattr(self, f"location_{kind}").data or "")
                if f"location_{kind}" in self._fields
                else Location(kind)
                for kind in LOCATION_KINDS
                if kind in (self.location_kinds.data or [])
            ),
            active=bool(self.active.data),
            hidden=bool(self.hidden.data),
            redirect_url=self.redirect_url.data or "",
            host_ids=tuple(self.host_ids.data or ()),
            routing_form_id=self.routing_form_id.data,
            pool_id=self.pool_id.data,
            button_label=self.button_label.data or "",
            layout=self.layout.data,
            default_locale=self.default_locale.data or None,
            assignment=self.assignment.data or "one",
        )
