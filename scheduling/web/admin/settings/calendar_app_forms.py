"""The form for a calendar provider's OAuth app (session CSRF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length


class ProviderAppForm(FlaskForm):
    client_id = StringField(_l("Client id"), validators=[Length(max=500)])
    client_secret = PasswordField(
        _l("Client secret"),
        description=_l(
            "Stored encrypted and never shown again. Leave empty to keep the saved one."
        ),
        validators=[Length(max=500)],
    )
