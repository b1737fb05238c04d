"""The retention settings form: a whole number and a unit (days or months) per kind of data."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Regexp

from scheduling.security.retention_periods import KINDS, MAX_DAYS, MAX_MONTHS, Period, make_period

LABELS = {
    "bookings": _l("Bookings: after the meeting"),
    "leads_unbooked": _l("Leads that never booked: after their last answer"),
    "leads_disqualified": _l("Disqualified leads: after their last answer"),
    "consent_log": _l("Consent log: after the decision"),
    "delivery_logs": _l(
        "Sent, dropped and failed messages and webhook delivery records: after the last attempt"
    ),
    "login_attempts": _l("Login attempts and mail files written without a mail server"),
}
UNIT_CHOICES = [SelectChoice("d", _l("days")), SelectChoice("m", _l("months"))]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RetentionForm(FlaskForm):
    def periods(self) -> dict[str, Period]:
        """The checked periods; adds a message to the field and raises ValueError if one is off."""
        periods, bad = {}, False
        for kind in KINDS:
            amount = getattr(self, f"{kind}_amount")
            unit = getattr(self, f"{kind}_unit").data
            try:
                periods[kind] = make_period(int(amount.data), unit)
            except ValueError as exc:
                bad = True
                amount.errors = [*amount.errors, _message(str(exc))]
        if bad:
            raise ValueError("periods")
        return periods


def _message(problem: str) -> str:
    if problem == "too short":
        return _("Keep data for at least 1 day.")
    return _(
        "Keep data for at most 10 years (%(days)s days or %(months)s months).",
        days=MAX_DAYS,
        months=MAX_MONTHS,
    )


for _kind in KINDS:
    setattr(
        RetentionForm,
        f"{_kind}_amount",
        StringField(
            LABELS[_kind],
            filters=[_strip],
            validators=[
                DataRequired(_l("Enter a whole number.")),
                Regexp(r"^[0-9]{1,6}$", message=_l("Enter a whole number, such as 30.")),
            ],
        ),
    )
    setattr(
        RetentionForm,
        f"{_kind}_unit",
        SelectField(
            _l("Unit"),
            choices=UNIT_CHOICES,
            validate_choice=False,
            validators=[AnyOf(["d", "m"], message=_l("Choose days or months."))],
        ),
    )
