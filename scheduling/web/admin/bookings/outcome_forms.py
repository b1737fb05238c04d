"""The call outcome form: what happened, and for won/lost deals the value or the reason."""

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from scheduling.operations.outcomes import NOTE_MAX, OutcomeInput

# Digits with an optional decimal point or comma and up to two decimals: 1500, 1500.5, 1500,50.
_AMOUNT_RE = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,2})?")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")

STATUS_CHOICES = [
    SelectChoice("attended", _l("Attended (call held, no decision yet)")),
    SelectChoice("no_show", _l("No-show (the invitee did not come)")),
    SelectChoice("won", _l("Won")),
    SelectChoice("lost", _l("Lost")),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


class OutcomeForm(FlaskForm):
    status = RadioField(
        _l("What happened?"),
        choices=STATUS_CHOICES,
        validators=[InputRequired(_l("Choose what happened on the call."))],
    )
    deal_value = StringField(
        _l("Deal value (for won deals)"), filters=[_strip], validators=[Length(max=20)]
    )
    currency = StringField(
        _l("Currency (ISO 4217 code, e.g. EUR)"),
        filters=[_strip, _upper],
        validators=[Length(max=3, message=_l("Use the 3-letter code, e.g. EUR."))],
    )
    lost_reason_id = SelectField(_l("Reason (for lost deals)"), validate_choice=False)
    note = TextAreaField(
        _l("Note (optional)"),
        filters=[_strip],
        validators=[Length(max=NOTE_MAX, message=_l("The note may have at most 2000 characters."))],
    )

    def validate_deal_value(self, field):
        if self.status.data != "won":
            return
        if not field.data:
            raise ValidationError(_l("Enter the deal value of a won deal."))
        if not _AMOUNT_RE.fullmatch(field.data):
            raise ValidationError(
                _l("Enter the amount in digits with up to 2 decimals, e.g. 1500 or 1500.50.")
            )

    def validate_currency(self, field):
        if self.status.data == "won" and not _CURRENCY_RE.fullmatch(field.data or ""):
            raise ValidationError(_l("Enter the 3-letter currency code, e.g. EUR."))

    def validate_lost_reason_id(self, field):
        if self.status.data != "lost":
            return
        if not field.data:
            raise ValidationError(_l("Choose why the deal was lost."))
        if not (field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_l("Choose one of the listed reasons."))

    def to_input(self) -> OutcomeInput:
        """The checked values as the operation takes them."""
        status = self.status.data
        won = status == "won"
        reason = self.lost_reason_id.data
        return OutcomeInput(
            status=status,
            # validate_deal_value let only plain digits through, so Decimal() cannot fail.
            deal_value=Decimal(self.deal_value.data.replace(",", ".")) if won else None,
            currency=self.currency.data if won else None,
            lost_reason_id=int(reason) if status == "lost" and reason else None,
            note=self.note.data or "",
        )
