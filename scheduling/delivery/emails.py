"""Booking emails, rendered when the worker delivers them: HTML and text parts, .ics attached.

The outbox row names a template, a recipient role and the booking; the text comes from the
booking as it is at delivery time, and a reminder whose booking was moved or cancelled is
dropped instead of sent. No remote images, fonts or styles: the HTML is self-contained.
"""

import hashlib
import unicodedata
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, render_template, url_for
from flask_babel import force_locale, gettext

from scheduling import clock
from scheduling.errors import N_
from scheduling.extensions import db
from scheduling.ical import CalendarEvent, Person, render_calendar
from scheduling.models import Booking, OutboxMessage
from scheduling.operations.calendar_items import location_label, location_text
from scheduling.operations.outbox import message_id_header
from scheduling.operations.payloads import iso, meeting_hosts
from scheduling.web.formatting import local_datetime
from scheduling.web.outcome_tokens import LINK_OUTCOMES, make_rebook_token, outcome_link
from scheduling.web.urls import booking_link

from .mail import send

# Msgids: translated into the recipient's language when the message is built.
SUBJECTS = {
    "booking.confirmation": N_("Confirmed: %(title)s with %(other)s on %(when)s"),
    "booking.rescheduled": N_("Moved: %(title)s with %(other)s is now on %(when)s"),
    "booking.cancelled": N_("Cancelled: %(title)s with %(other)s on %(when)s"),
    "booking.reminder": N_("Reminder: %(title)s with %(other)s on %(when)s"),
    "booking.no_show": N_("We missed you: %(title)s with %(other)s"),
    "booking.after_meeting": N_("How did it go? %(title)s with %(other)s on %(when)s"),
}
ICS_SUMMARY = N_("%(title)s: %(invitee)s and %(host)s")
# (invitee METHOD, host METHOD) of the attached calendar file; None attaches nothing.
ICS_METHODS = {
    "booking.confirmation": ("REQUEST", "PUBLISH"),
    "booking.rescheduled": ("REQUEST", "PUBLISH"),
    "booking.cancelled": ("CANCEL", "CANCEL"),
}


class Skip(Exception):
    """The message is no longer wanted (booking gone, reminder for a moved booking)."""


def header_text(text: str) -> str:
    """Text safe for a header: names and titles are typed by visitors and admins, and a line
    break in one would make the header invalid (the message could never be sent) or, with a
    laxer library, start a new header. Control characters become spaces."""
    cleaned = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in text)
    return " ".join(cleaned.split())


def local_time(moment: datetime, tz: str) -> str:
    """The date, time and zone label in the message's language (force_locale around us)."""
    return local_datetime(moment, tz)


def calendar_description(booking: Booking, tz: str) -> str:
    """The file's text: when, as the recipient reads it (zone label included), then the note."""
    lines = [gettext("When: %(when)s", when=local_time(booking.start_at, tz))]
    if booking.note:
        lines.append(booking.note)
    return "\n".join(lines)


def calendar_file(
    booking: Booking, sequence: int, method: str, now: datetime, tz: str = "UTC"
) -> bytes:
    """The .ics for this booking: same UID across reschedules, SEQUENCE as when enqueued.

    A collective meeting's file is the same for everyone: organised by its first host, with
    the invitee and every other host as attendees.
    """
    hosts = meeting_hosts(booking)
    organizer = hosts[0]
    event = CalendarEvent(
        uid=booking.ical_uid,
        sequence=sequence,
        start=booking.start_at,
        end=booking.end_at,
        summary=gettext(
            ICS_SUMMARY,
            title=booking.event_type.title,
            invitee=booking.invitee_name,
            host=host_names(hosts),
        ),
        stamp=now,
        description=calendar_description(booking, tz),
        location=location_text(booking.location_kind, booking.location, gettext),
        organizer=Person(organizer.name, organizer.email),
        attendee=Person(booking.invitee_name, booking.invitee_email),
        attendees=tuple(Person(host.name, host.email) for host in hosts[1:]),
        cancelled=method == "CANCEL",
    )
    return render_calendar([event], method=method)


def host_names(hosts) -> str:
    """The hosts' names as one list in the message's language ("Ann and Ben")."""
    names = [host.name for host in hosts]
    if len(names) < 2:
        return names[0] if names else ""
    return gettext("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def recipient_locale(booking: Booking, to_invitee: bool) -> str:
    """The invitee's language for their messages (one we still offer); hosts get the default."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    locale = booking.invitee_locale if to_invitee else default
    return locale if locale in current_app.config["LANGUAGES"] else default


def build_email(message: OutboxMessage, now: datetime) -> EmailMessage:
    """The complete MIME message for an outbox row, or Skip, in the recipient's language."""
    payload = message.payload
    if str(payload.get("template", "")).startswith("account."):
        from .account_emails import build_account_email  # it imports this module's helpers

        return build_account_email(message, now)
    if str(payload.get("template", "")).startswith("calendar."):
        from .connection_emails import build_connection_email  # it imports this module too

        return build_connection_email(message, now)
    booking = db.session.get(Booking, payload.get("booking_id"))
    if booking is None:
        raise Skip("the booking no longer exists")
    locale = recipient_locale(booking, payload["recipient"] == "invitee")
    with force_locale(locale):
        email = _build_email(message, booking, now)
    email["Content-Language"] = locale
    return email


def _build_email(message: OutboxMessage, booking: Booking, now: datetime) -> EmailMessage:
    payload = message.payload
    template = payload["template"]
    if template == "booking.reminder" and (
        booking.status != "confirmed" or iso(booking.start_at) != payload.get("start")
    ):
        raise Skip("the booking was moved or cancelled")
    if template == "booking.reminder" and booking.start_at <= now:
        raise Skip("the meeting has started (the worker was down at the reminder's time)")
    if template == "booking.after_meeting" and (
        booking.status != "confirmed" or iso(booking.end_at) != payload.get("end")
    ):
        raise Skip("the booking was moved or cancelled")
    if template == "booking.after_meeting" and booking.outcome is not None:
        raise Skip("the outcome is recorded already")
    if template == "booking.no_show" and (
        booking.outcome is None or booking.outcome.status != "no_show"
    ):
        raise Skip("the no-show was taken back")
    to_invitee = payload["recipient"] == "invitee"
    tz = booking.invitee_tz if to_invitee else booking.host.tz
    hosts = meeting_hosts(booking)
    other = host_names(hosts) if to_invitee else booking.invitee_name
    when = local_time(booking.start_at, tz)
    context = {
        "booking": booking,
        "to_invitee": to_invitee,
        "when": when,
        "end": local_time(booking.end_at, tz),
        "other": other,
        "minutes": payload.get("minutes"),
        "links": {},
        # A host of a collective meeting reads who else hosts it.
        "co_hosts": "" if to_invitee else host_names([h for h in hosts if h.id != booking.host_id]),
    }
    if to_invitee and booking.status == "confirmed":
        context["links"] = {
            purpose: mail_link(booking_link(booking, purpose), lang=booking.invitee_locale)
            for purpose in ("view", "reschedule", "cancel")
        }
    if not to_invitee:
        context["admin_link"] = mail_link(
            _external(url_for("admin.bookings_detail", booking_id=booking.id))
        )
    if template == "booking.rescheduled" and booking.rescheduled_from is not None:
        context["previous_when"] = local_time(booking.rescheduled_from.start_at, tz)
    if booking.location:
        context["where"] = f"{location_label(booking.location_kind, gettext)}: {booking.location}"
    if booking.location_kind in ("video", "link") and (booking.location or "").startswith(
        "https://"
    ):
        context["join_link"] = booking.location
    if not to_invitee and template in ("booking.confirmation", "booking.after_meeting"):
        context["outcome_links"] = {
            status: mail_link(outcome_link(booking, status)) for status in LINK_OUTCOMES
        }
    if template == "booking.no_show":
        # The signed `rebook` value brings back the visitor's answers and contact details.
        again = url_for(
            "public.book", slug=booking.event_type.slug, rebook=make_rebook_token(booking)
        )
        context["book_again"] = mail_link(_external(again), lang=booking.invitee_locale)
    elif to_invitee and template == "booking.cancelled":
        again = url_for("public.book", slug=booking.event_type.slug)
        context["book_again"] = mail_link(_external(again), lang=booking.invitee_locale)
    name = template.removeprefix("booking.")
    email = EmailMessage()
    email["Subject"] = gettext(
        SUBJECTS[template],
        title=header_text(booking.event_type.title),
        other=header_text(other),
        when=when,
    )
    email["From"] = sender(current_app.config, booking.organisation.name)
    invitee = formataddr((header_text(booking.invitee_name), booking.invitee_email))
    host = formataddr((header_text(booking.host.name), booking.host.email))
    # A reply reaches the person the meeting is with, not the booking system's mailbox.
    email["To"], email["Reply-To"] = (invitee, host) if to_invitee else (host, invitee)
    email["Date"] = formatdate(now.timestamp(), usegmt=True)
    email["Message-ID"] = message_id_header(message.idempotency_key)
    email["X-Rendezvous-Idempotency-Key"] = message.idempotency_key
    email.set_content(render_template(f"emails/{name}.txt", **context))
    email.add_alternative(render_template(f"emails/{name}.html", **context), subtype="html")
    methods = ICS_METHODS.get(template)
    if methods:
        method = methods[0] if to_invitee else methods[1]
        sequence = int(payload.get("sequence", booking.sequence))
        ics = calendar_file(booking, sequence, method, now, tz)
        email.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": method},
        )
    return email


def sender(config, organisation_name: str) -> str:
    """MAIL_FROM, or bookings@ the public address's domain under the organisation's name: a
    sender at localhost is refused or filed as spam by most receiving servers."""
    if config.get("MAIL_FROM"):
        return config["MAIL_FROM"]
    return formataddr((header_text(organisation_name), f"bookings@{sender_domain(config)}"))


def sender_domain(config) -> str:
    host = (urlsplit(config.get("PUBLIC_URL") or "").hostname or "").removeprefix("www.")
    return host or "localhost"


def mail_link(url: str, lang: str | None = None) -> str:
    """The link without the embed mode's parameters: url_for adds `embed` and `ab` while an
    embedded page is being served, and a link in an email opens as a full page, not a widget.
    With `lang` (the invitee's language), the page opens in the language of the email."""
    parts = urlsplit(url)
    drop = (*_EMBED, "lang") if lang else _EMBED
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in drop]
    if lang:
        query.append(("lang", lang))
    return urlunsplit(parts._replace(query=urlencode(query)))


_EMBED = ("embed", "ab")


def _external(path: str) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"{base}{path}" if base else url_for("public.index", _external=True).rstrip("/") + path


def deliver_email(message: OutboxMessage) -> str | None:
    """Outbox handler for kind "email"; returns "dropped" for a message no longer wanted."""
    now = clock.utcnow()
    try:
        email = build_email(message, now)
    except Skip:
        return "dropped"
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:12]
    db.session.rollback()  # end the read snapshot: no transaction held while talking SMTP
    send(current_app.config, current_app.instance_path, email, f"{now:%Y%m%dT%H%M%S}-{digest}")
    return None
