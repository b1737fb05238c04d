"""Login, second factor, password and two-factor forms (session CSRF on all of them)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class TotpForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_l("Enter the 6-digit code.")), Length(min=6, max=10)],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[DataRequired(), Length(min=10, max=256)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
    )


class EnableTotpForm(FlaskForm):
    code = StringField(
        _l("Code shown by your app"),
        validators=[DataRequired(_l("Enter the 6-digit code.")), Length(min=6, max=10)],
    )


class ConfirmForm(FlaskForm):
    """A bare form for POST-only actions (logout, disable two-factor): CSRF only."""


class SsoEmailForm(FlaskForm):
    """Single sign-on: the address tells which organisation's identity provider to use."""

    email = EmailField(
        _l("Work email"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
    )
    next = HiddenField()
