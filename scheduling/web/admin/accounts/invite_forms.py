"""Invitation and set-password forms: nobody types a password for somebody else."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from scheduling.operations.accounts import MIN_PASSWORD_LENGTH

from .user_forms import NO_HOST, ROLE_CHOICES, _strip, _UserFields

NEW_HOST = "new"


class InviteForm(_UserFields):
    """Name, role and host as when editing a user, plus the address the link goes to."""

    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("The email may have at most 254 characters.")),
            Email(_l("Enter a valid email address.")),
        ],
    )
    host_id = SelectField(_l("Linked host"), default=NEW_HOST, validate_choice=False)

    def limit_roles(self, allowed: tuple[str, ...]) -> None:
        """Offer only the roles this person may invite (the operation checks again)."""
        self.role.choices = [choice for choice in ROLE_CHOICES if choice.value in allowed]

    def chosen_host_id(self) -> int | None:
        return int(self.host_id.data) if self.host_id.data not in (NO_HOST, NEW_HOST) else None

    def wants_new_host(self) -> bool:
        return self.host_id.data == NEW_HOST


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Your password (at least 10 characters)"),
        validators=[
            DataRequired(_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("The password needs 10 to 256 characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )
