"""Forms for calendar sources and feed settings (session CSRF on all of them)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from scheduling.errors import InvalidRequest
from scheduling.operations.calendar_import import SourceInput


class SourceForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("ics", _l("ICS address (Google, Outlook, Nextcloud share ...)")),
            SelectChoice("caldav", _l("CalDAV calendar (Nextcloud, mailbox.org, Radicale ...)")),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the calendar a name.")), Length(max=200)]
    )
    url = StringField(
        _l("Address"),
        description=_l(
            "https:// or webcal:// address of the calendar (for CalDAV: the calendar's own URL)."
        ),
        validators=[DataRequired(_l("Enter the calendar's address.")), Length(max=2000)],
    )
    username = StringField(_l("Username (optional)"), validators=[Length(max=200)])
    password = PasswordField(
        _l("Password (optional)"),
        description=_l("Stored encrypted. Leave empty to keep the saved one."),
        validators=[Length(max=500)],
    )
    include_tentative = BooleanField(_l("Tentative events block my time too"))
    write_back = BooleanField(_l("Add bookings here (CalDAV only)"))

    def to_data(self) -> SourceInput:
        return SourceInput(
            kind=self.kind.data,
            name=self.name.data or "",
            url=self.url.data or "",
            username=self.username.data or "",
            password=self.password.data or "",
            include_tentative=bool(self.include_tentative.data),
            write_back=bool(self.write_back.data),
        )

    def attach(self, exc: InvalidRequest) -> None:
        """Show each field's message from the domain error next to that field."""
        placed = False
        for name, message in exc.fields.items():
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, message]
                placed = True
        if not placed:
            self.form_errors.append(exc.message)


class FeedPrivacyForm(FlaskForm):
    busy_only = BooleanField(_l('Feeds show only "Busy" blocks (no names, answers or links)'))
