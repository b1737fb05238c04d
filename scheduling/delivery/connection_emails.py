"""The host's email when a Google / Microsoft calendar connection needs to be made again."""

from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext

from scheduling.errors import N_
from scheduling.extensions import db
from scheduling.models import CalendarConnection, OutboxMessage
from scheduling.operations.calendar_connections import PROVIDER_NAMES
from scheduling.operations.outbox import message_id_header

from .emails import Skip, _external, header_text, sender

SUBJECT = N_("Your %(provider)s connection needs to be renewed")


def build_connection_email(message: OutboxMessage, now: datetime) -> EmailMessage:
    """The MIME message, or Skip when the connection was renewed or removed meanwhile."""
    connection = db.session.get(CalendarConnection, message.payload.get("connection_id"))
    if connection is None or connection.status != "needs_reconnect":
        raise Skip("the connection was renewed or removed")
    host = connection.host
    organisation = host.organisation
    provider = PROVIDER_NAMES[connection.provider]
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    with force_locale(locale):
        context = {
            "host_name": host.name,
            "provider": provider,
            "account": connection.account_email or provider,
            "org_name": organisation.name,
            "url": _external(url_for("admin.hosts_calendars", host_id=host.id)),
        }
        email = EmailMessage()
        email["Subject"] = gettext(SUBJECT, provider=provider)
        email["From"] = sender(current_app.config, organisation.name)
        email["To"] = formataddr((header_text(host.name), host.email))
        email["Date"] = formatdate(now.timestamp(), usegmt=True)
        email["Message-ID"] = message_id_header(message.idempotency_key)
        email["X-Rendezvous-Idempotency-Key"] = message.idempotency_key
        email.set_content(render_template("emails/calendar_reconnect.txt", **context))
        email.add_alternative(
            render_template("emails/calendar_reconnect.html", **context), subtype="html"
        )
    email["Content-Language"] = locale
    return email
