"""User management forms: create, edit, reset password (admins only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from scheduling.operations.accounts import MIN_PASSWORD_LENGTH

NO_HOST = ""
ROLE_CHOICES = [
    SelectChoice("rep", _l("Rep: own host, own bookings")),
    SelectChoice(
        "manager",
        _l(
            "Manager: all hosts, bookings, leads, event types, routing, teams, funnel, "
            "A/B tests, embed and webhooks; not users, settings, API keys, outbox or audit log"
        ),
    ),
    SelectChoice("admin", _l("Admin: everything")),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _UserFields(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the person's name.")),
            Length(max=200, message=_l("The name may have at most 200 characters.")),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)
    host_id = SelectField(
        _l("Linked host (required for reps)"), default=NO_HOST, validate_choice=False
    )

    def validate_role(self, field):
        if field.data not in {choice.value for choice in ROLE_CHOICES}:
            raise ValidationError(_l("Choose a role from the list."))

    def validate_host_id(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose a host from the list."))
        if self.role.data == "rep" and field.data == NO_HOST:
            raise ValidationError(_l("A rep must be linked to a host."))

    def chosen_host_id(self) -> int | None:
        return int(self.host_id.data) if self.host_id.data else None


class UserCreateForm(_UserFields):
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("The email may have at most 254 characters.")),
            Email(_l("Enter a valid email address.")),
        ],
    )
    password = PasswordField(
        _l("Initial password (at least 10 characters)"),
        validators=[
            DataRequired(_l("Enter an initial password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("The password needs 10 to 256 characters."),
            ),
        ],
    )


class UserEditForm(_UserFields):
    active = BooleanField(_l("Active (may log in)"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[
            DataRequired(_l("Enter the new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("The password needs 10 to 256 characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("new_password", _l("The two passwords differ.")),
        ],
    )
