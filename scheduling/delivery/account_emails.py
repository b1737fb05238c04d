"""Account emails (an invitation, a set-password link), rendered when the worker delivers them.

The outbox row names the link and the nonce it was sent with; the token is derived again from the
app secret here, so neither the outbox nor the link row holds anything that opens the link. A
message whose link was resent, revoked, used or has expired meanwhile is dropped, not sent.
"""

from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext

from scheduling.errors import N_
from scheduling.extensions import db
from scheduling.models import AccountLink, Organisation, OutboxMessage
from scheduling.operations.outbox import message_id_header
from scheduling.security.account_links import account_link_token

from .emails import Skip, _external, header_text, sender

SUBJECTS = {
    "account.invite": N_("You are invited to %(org)s on Rendezvous"),
    "account.password": N_("Set your Rendezvous password for %(org)s"),
}


def build_account_email(message: OutboxMessage, now: datetime) -> EmailMessage:
    """The MIME message for an account link, or Skip when the link is no longer the one sent."""
    payload = message.payload
    link = db.session.get(AccountLink, payload.get("link_id"))
    if link is None or link.nonce != payload.get("nonce") or link.state(now) != "pending":
        raise Skip("the link was resent, revoked, used or has expired")
    organisation = db.session.get(Organisation, link.organisation_id)
    token = account_link_token(current_app.config["SECRET_KEY"], link.id, link.nonce, link.purpose)
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    with force_locale(locale):
        context = {
            "link": link,
            "org_name": organisation.name,
            "url": _external(url_for("admin.account_link", link_id=link.id, token=token)),
            "expires": f"{link.expires_at:%Y-%m-%d %H:%M} UTC",
            "inviter": link.created_by.name if link.created_by else None,
        }
        template = payload["template"]
        subject = SUBJECTS[template]  # a msgid of SUBJECTS (a variable, so pybabel skips it)
        name = template.removeprefix("account.")
        email = EmailMessage()
        email["Subject"] = gettext(subject, org=header_text(organisation.name))
        email["From"] = sender(current_app.config, organisation.name)
        email["To"] = formataddr((header_text(link.name), link.email))
        email["Date"] = formatdate(now.timestamp(), usegmt=True)
        email["Message-ID"] = message_id_header(message.idempotency_key)
        email["X-Rendezvous-Idempotency-Key"] = message.idempotency_key
        email.set_content(render_template(f"emails/account_{name}.txt", **context))
        email.add_alternative(
            render_template(f"emails/account_{name}.html", **context), subtype="html"
        )
    email["Content-Language"] = locale
    return email
