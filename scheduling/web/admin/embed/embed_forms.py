"""Forms of the widget's admin pages: embed settings and A/B tests."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from scheduling.attribution import MAX_COOKIE_DAYS
from scheduling.operations.ab_tests import MAX_VARIANTS
from scheduling.operations.embed_settings import PROMPT_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EmbedSettingsForm(FlaskForm):
    allowed_origins = TextAreaField(
        _l("Pages allowed to embed the widget (one origin a line, e.g. https://www.example.com)"),
        validators=[Length(max=12000, message=_l("At most 12000 characters."))],
    )
    cookie_days = IntegerField(
        _l("Attribution cookie lifetime in days (at most 395, 13 months)"),
        invalid_value_message=_l("Enter a number of days."),
        validators=[
            InputRequired(_l("Enter a number of days.")),
            NumberRange(1, MAX_COOKIE_DAYS, _l("Between 1 and 395 days.")),
        ],
    )
    own_prompt = BooleanField(_l("Show our own consent prompt when the page has no consent tool"))
    prompt_text = TextAreaField(
        _l("Text of the prompt (empty: the standard text)"),
        filters=[_strip],
        validators=[Length(max=PROMPT_MAX, message=_l("At most 1000 characters."))],
    )


class VariantForm(Form):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[Optional(), Length(max=60, message=_l("At most 60 characters."))],
    )
    weight = IntegerField(
        _l("Traffic share (0 to 100)"),
        invalid_value_message=_l("Enter a whole number from 0 to 100."),
        default=0,
        validators=[Optional(), NumberRange(0, 100, _l("Between 0 and 100."))],
    )
    headline = StringField(
        _l("Headline"), filters=[_strip], validators=[Length(max=200, message=_l("At most 200."))]
    )
    intro = TextAreaField(
        _l("Intro text"),
        filters=[_strip],
        validators=[Length(max=2000, message=_l("At most 2000."))],
    )
    button_label = StringField(
        _l("Button label"), filters=[_strip], validators=[Length(max=60, message=_l("At most 60."))]
    )
    layout = SelectField(
        _l("Layout"),
        default="standard",
        validators=[AnyOf(["standard", "compact"], message=_l("Choose a layout."))],
    )
    question_order = StringField(
        _l("Question order (question keys, comma-separated; empty keeps the order)"),
        filters=[_strip],
        validators=[Length(max=1000, message=_l("At most 1000 characters."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.layout.choices = [("standard", _l("Standard")), ("compact", _l("Compact"))]


class AbTestForm(FlaskForm):
    name = StringField(
        _l("Test name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the test a name.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )
    event_type = SelectField(
        _l("Event type"),
        coerce=int,
        invalid_value_message=_l("Choose an event type from the list."),
        invalid_choice_message=_l("Choose an event type from the list."),
    )
    variants = FieldList(FormField(VariantForm), min_entries=MAX_VARIANTS, max_entries=MAX_VARIANTS)


class StopForm(FlaskForm):
    winner = SelectField(
        _l("Promote a winner"),
        coerce=int,
        invalid_value_message=_l("Choose a winner from the list, or none."),
        invalid_choice_message=_l("Choose a winner from the list, or none."),
    )


class ConversionNamesForm(FlaskForm):
    """Offline conversion names as created in the ad platforms; empty leaves a goal out."""

    conversion_booked = StringField(
        _l("Conversion name for a booking"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("At most 100 characters."))],
    )
    conversion_attended = StringField(
        _l("Conversion name for an attended call"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("At most 100 characters."))],
    )
    conversion_won = StringField(
        _l("Conversion name for a won deal (with its value and currency)"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("At most 100 characters."))],
    )
