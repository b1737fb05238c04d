"""Organisation settings forms: name, Jitsi, currency, privacy notice, the lost reason list."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Regexp

from scheduling.operations.settings import LABEL_MAX, PRIVACY_URL_MAX, URL_MAX

MAX_POSITION = 999


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Organisation name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the organisation's name.")),
            Length(max=200, message=_l("The name may have at most 200 characters.")),
        ],
    )
    jitsi_base_url = StringField(
        _l("Jitsi base URL (empty: the installation's default)"),
        filters=[_strip],
        validators=[
            Length(max=URL_MAX, message=_l("The address may have at most 300 characters."))
        ],
    )
    default_currency = StringField(
        _l("Default currency for won deals (ISO 4217 code)"),
        filters=[_strip, _upper],
        validators=[
            DataRequired(_l("Enter a currency code such as EUR.")),
            Regexp(r"^[A-Z]{3}$", message=_l("Use the 3-letter currency code, e.g. EUR.")),
        ],
    )
    no_show_delay_minutes = IntegerField(
        _l("Minutes before a no-show gets the “We missed you” email (time to undo)"),
        validators=[
            InputRequired(_l("Enter a number of minutes between 0 and 1440.")),
            NumberRange(0, 1440, message=_l("Enter a number of minutes between 0 and 1440.")),
        ],
    )
    privacy_url = StringField(
        _l("Address of your privacy notice (empty: none linked)"),
        filters=[_strip],
        validators=[
            Length(
                max=PRIVACY_URL_MAX,
                message=_l("The address may have at most 500 characters."),
            )
        ],
    )


class ReasonForm(FlaskForm):
    """Adds a reason, or renames one (then with the reason's id as prefix)."""

    label = StringField(
        _l("Reason"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the reason's text.")),
            Length(max=LABEL_MAX, message=_l("A reason may have at most 100 characters.")),
        ],
    )


class MoveForm(FlaskForm):
    direction = HiddenField(
        validators=[AnyOf(["up", "down"], message=_l("Move a reason up or down."))]
    )


class ActiveForm(FlaskForm):
    active = HiddenField(
        validators=[AnyOf(["yes", "no"], message=_l("Choose to deactivate or reactivate."))]
    )
