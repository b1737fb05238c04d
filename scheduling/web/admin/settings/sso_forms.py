"""Single sign-on settings form: issuer, client, domains, just-in-time accounts, password login."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from scheduling.security.sso_rules import parse_domains
from scheduling.web.admin.event_types.event_type_forms import IdSelectField

from .settings_forms import _strip

ROLE_CHOICES = [
    SelectChoice("rep", _l("Rep: their own host, hours and bookings")),
    SelectChoice("manager", _l("Manager: every host, booking and event type")),
    SelectChoice("admin", _l("Admin: everything, users and settings included")),
]


class SsoForm(FlaskForm):
    issuer = StringField(
        _l("Issuer URL"),
        filters=[_strip],
        description=_l(
            "For example https://accounts.google.com, "
            "https://login.microsoftonline.com/<tenant id>/v2.0, "
            "https://keycloak.example.com/realms/<realm> or "
            "https://authentik.example.com/application/o/<application>/"
        ),
        validators=[
            DataRequired(_l("Enter the issuer URL.")),
            Length(max=500, message=_l("The issuer URL may have at most 500 characters.")),
        ],
    )
    client_id = StringField(
        _l("Client id"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the client id.")),
            Length(max=255, message=_l("The client id may have at most 255 characters.")),
        ],
    )
    client_secret = PasswordField(
        _l("Client secret (stored encrypted, never shown again; empty: keep the stored one)"),
        filters=[_strip],
        validators=[Length(max=2000, message=_l("The secret may have at most 2000 characters."))],
    )
    allowed_domains = TextAreaField(
        _l("Allowed email domains, one per line (empty: any address of a known user)"),
        validators=[Length(max=5000, message=_l("Too long: at most 5000 characters."))],
    )
    jit_enabled = BooleanField(
        _l("Create an account on first sign-in for unknown addresses (just in time)")
    )
    jit_role = SelectField(_l("Role of accounts created on first sign-in"), choices=ROLE_CHOICES)
    password_login_disabled = BooleanField(
        _l("Password login off: people of this organisation sign in only with single sign-on")
    )
    break_glass_user_id = IdSelectField(
        _l("Break-glass admin (may still sign in with password and two-factor)"),
        message=_l("Choose an active admin of this organisation."),
    )

    def validate_allowed_domains(self, field) -> None:
        try:
            field.domains = parse_domains(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_jit_enabled(self, field) -> None:
        if field.data and not parse_domains_or_empty(self.allowed_domains.data):
            raise ValidationError(
                _l("List the allowed email domains before creating accounts on first sign-in.")
            )


def parse_domains_or_empty(text: str | None) -> list[str]:
    try:
        return parse_domains(text or "")
    except ValueError:
        return []


class RemoveSsoForm(FlaskForm):
    """Removing single sign-on: CSRF only."""
