"""Public forms: shape checks only; the slot rules live in the availability engine."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from scheduling.operations.bookings import Invitee
from scheduling.operations.calendar_items import location_label
from scheduling.operations.locations import Location
from scheduling.routing.phones import normalise_phone


def _strip(value):
    return value.strip() if isinstance(value, str) else value


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
    # Shown only when the event type offers several locations (set_locations fills it).
    location = RadioField(_l("Where should the meeting take place?"), validate_choice=False)
    # Shown when the invitee may be called: their number, with its country code.
    phone = StringField(
        _l("Your phone number"),
        filters=[_strip],
        validators=[Length(max=40)],  # no Optional(): it would skip validate_phone
        description=_l("With its country code, e.g. +49 30 1234567."),
    )
    # The language the page was shown in: the invitee's emails use it (checked by the view).
    locale = HiddenField()

    def set_locations(self, offered: list[Location], posted: bool) -> None:
        """Offer the event type's locations; shown anew, the default is preselected (posted,
        an unknown choice stays, for validate_location to refuse)."""
        self.offered = offered
        self.location.choices = [
            SelectChoice(item.kind, location_text_for_invitee(item)) for item in offered
        ]
        if (posted and not self.location.data) or (
            not posted and self.location.data not in {item.kind for item in offered}
        ):
            self.location.data = offered[0].kind

    @property
    def chosen_kind(self) -> str:
        offered = getattr(self, "offered", [])
        if len(offered) == 1:
            return offered[0].kind
        return self.location.data or ""

    def validate_location(self, field) -> None:
        offered = getattr(self, "offered", [])
        if len(offered) > 1 and field.data not in {item.kind for item in offered}:
            raise ValidationError(_("Please choose where the meeting takes place."))

    def validate_phone(self, field) -> None:
        if self.chosen_kind != "invitee_phone":
            return
        if not field.data:
            raise ValidationError(_("Please enter the phone number we should call."))
        try:
            field.data = normalise_phone(field.data)
        except ValueError as exc:
            raise ValidationError(_(str(exc))) from None

    def invitee(self, tz: str, locale: str) -> Invitee:
        return Invitee(
            name=self.name.data.strip(),
            email=self.email.data.strip(),
            tz=tz,
            note=(self.note.data or "").strip(),
            locale=locale,
            location_kind=self.chosen_kind,
            phone=(self.phone.data or "") if self.chosen_kind == "invitee_phone" else "",
        )


def location_text_for_invitee(item: Location) -> str:
    """A location as the booking form lists it: what kind, and where or which number."""
    if item.kind == "invitee_phone":
        return _("Phone call: we call you")
    if item.kind == "host_phone":
        return _("Phone call: you call %(number)s", number=item.detail)
    if item.kind == "in_person":
        return _("In person: %(place)s", place=item.detail)
    if item.kind == "link":
        return _("Online meeting (the link is in your confirmation)")
    return location_label(item.kind, _)


class CancelForm(PublicForm):
    reason = TextAreaField(
        _l("Reason for cancelling (optional)"), validators=[Optional(), Length(max=2000)]
    )


class RescheduleForm(PublicForm):
    pass
