"""User management forms (admins only): edit name, role, host link and active flag."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

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


class UserEditForm(_UserFields):
    active = BooleanField(_l("Active (may log in)"))
