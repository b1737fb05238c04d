"""Public forms: shape checks only; the slot rules live in the availability engine."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from scheduling.operations.bookings import Invitee


class PublicForm(FlaskForm):
    """No session CSRF here: the flow sets no cookie and carries a signed form token instead."""

    class Meta:
        csrf = False

    form_token = HiddenField()


class BookingForm(PublicForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=200)],
    )
    email = StringField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
        ],
    )
    note = TextAreaField(
        _l("Anything we should know? (optional)"),
        validators=[Optional(), Length(max=5000)],
    )
    # The language the page was shown in: the invitee's emails use it (checked by the view).
    locale = HiddenField()

    def invitee(self, tz: str, locale: str) -> Invitee:
        return Invitee(
            name=self.name.data.strip(),
            email=self.email.data.strip(),
            tz=tz,
            note=(self.note.data or "").strip(),
            locale=locale,
        )


class CancelForm(PublicForm):
    reason = TextAreaField(
        _l("Reason for cancelling (optional)"), validators=[Optional(), Length(max=2000)]
    )


class RescheduleForm(PublicForm):
    pass
