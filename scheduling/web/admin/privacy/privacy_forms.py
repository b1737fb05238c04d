"""Forms of the privacy area: the address to look up, and what to do with that person's data."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PHONE_MIN_DIGITS = 6


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_control(form, field) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError(_l("This contains characters that are not allowed."))


def _phone_digits(form, field) -> None:
    if field.data and sum(ch.isdigit() for ch in field.data) < PHONE_MIN_DIGITS:
        raise ValidationError(_l("Enter a phone number with at least 6 digits."))


def _address_field(label):
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("The email may have at most 254 characters.")),
            _no_control,
        ],
    )


class SearchForm(FlaskForm):
    """The exact address to look up (no pattern: one person, not a list of people)."""

    email = _address_field(_l("Email address"))


class SubjectForm(FlaskForm):
    """Carries the address (and the request, if any) from the person's page to an action."""

    email = HiddenField(filters=[_strip], validators=[DataRequired(), Length(max=254)])
    request_id = HiddenField(validators=[Optional()])


class RectifyForm(SubjectForm):
    name = StringField(
        _l("Correct name"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("The name may have at most 200 characters.")),
            _no_control,
        ],
    )
    new_email = StringField(
        _l("Correct email address"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254, message=_l("The email may have at most 254 characters.")),
            Email(_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    phone = StringField(
        _l("Correct phone number"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=40, message=_l("The phone number may have at most 40 characters.")),
            _no_control,
            _phone_digits,
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.name.data or self.new_email.data or self.phone.data):
            self.name.errors = [_l("Enter at least one corrected value.")]
            return False
        return ok


class EraseForm(SubjectForm):
    confirm = StringField(
        _l("Type the email address again to confirm"),
        filters=[_strip],
        validators=[DataRequired(_l("Type the email address to confirm the erasure."))],
    )

    def validate_confirm(self, field) -> None:
        if (field.data or "").lower() != (self.email.data or "").lower():
            raise ValidationError(_l("This is not the address whose data would be erased."))
