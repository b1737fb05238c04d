"""Data subject requests (GDPR Art. 15-17, 20): find, export, rectify and erase one person's data.

A person is found by their email address (exact, case-insensitive) within one organisation:
bookings, leads and their answers, the widget attribution of those, the consent decisions the
attribution points at, the emails sent to them, the webhook messages and deliveries that carried
their data, and the .eml files of the no-MAIL_HOST mode addressed to them. Erasure reuses the
retention pass's pseudonymisation (operations/retention.py), so counts for reports survive.

Pending messages are dropped, not scrubbed: an email to the person is no longer wanted, and a
webhook body is a frozen copy of their data whose every useful field (name, email, answers,
note) is what must not leave any more; a body with those blanked would tell the receiver only
that "someone" booked, and the receiver already holds what was delivered earlier.

The audit entry keeps counts and a keyed hash of the address, never the address or a name.
Flush only; the caller commits.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import Text, cast, func, or_, select

from scheduling.extensions import db
from scheduling.models import (
    Booking,
    ConsentRecord,
    Lead,
    OutboxMessage,
    PrivacyRequest,
    Question,
    User,
    WebhookDelivery,
    WidgetAttribution,
)

from .audit import record
from .outbox import message_id_header
from .retention import (
    erase_booking,
    erase_consent,
    erase_delivery,
    erase_lead,
    erase_outbox_message,
)

KINDS = (
    "bookings",
    "leads",
    "attributions",
    "consent_decisions",
    "emails",
    "webhook_messages",
    "webhook_deliveries",
    "mail_files",
)
UNSENT = ("pending", "sending")
DROPPED_NOTE = "dropped: the person's data was erased on request"


@dataclass
class MailFile:
    path: Path
    subject: str
    date: str


@dataclass
class SubjectData:
    """Everything stored about one address in one organisation."""

    email: str
    bookings: list[Booking] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    attributions: list[WidgetAttribution] = field(default_factory=list)
    consent_decisions: list[ConsentRecord] = field(default_factory=list)
    emails: list[OutboxMessage] = field(default_factory=list)
    webhook_messages: list[OutboxMessage] = field(default_factory=list)
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)
    mail_files: list[MailFile] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def subject_hash(secret: str, email: str) -> str:
    """A keyed hash of the address for the audit log: it names nobody, yet a later question
    "was this address handled?" can be answered by whoever holds the key."""
    message = f"privacy-subject|{normalise_email(email)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def _bookings(organisation_id: int, email: str) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.organisation_id == organisation_id,
                func.lower(Booking.invitee_email) == email,
            )
            .order_by(Booking.start_at, Booking.id)
        )
    )


def _leads(organisation_id: int, email: str, booking_ids: list[int]) -> list[Lead]:
    condition = func.lower(Lead.email) == email
    if booking_ids:
        condition = or_(condition, Lead.booking_id.in_(booking_ids))
    return list(
        db.session.scalars(
            select(Lead)
            .where(Lead.organisation_id == organisation_id, condition)
            .order_by(Lead.created_at, Lead.id)
        )
    )


def _attributions(organisation_id: int, booking_ids, lead_ids) -> list[WidgetAttribution]:
    conditions = []
    if booking_ids:
        conditions.append(WidgetAttribution.booking_id.in_(booking_ids))
    if lead_ids:
        conditions.append(WidgetAttribution.lead_id.in_(lead_ids))
    if not conditions:
        return []
    return list(
        db.session.scalars(
            select(WidgetAttribution)
            .where(WidgetAttribution.organisation_id == organisation_id, or_(*conditions))
            .order_by(WidgetAttribution.id)
        )
    )


def _consents(organisation_id: int, attributions) -> list[ConsentRecord]:
    ids = {a.consent_record_id for a in attributions if a.consent_record_id is not None}
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.organisation_id == organisation_id, ConsentRecord.id.in_(ids))
            .order_by(ConsentRecord.decided_at)
        )
    )


def _emails(organisation_id: int, booking_ids: list[int]) -> list[OutboxMessage]:
    """Emails to the invitee of their bookings (rendered from the booking when sent)."""
    if not booking_ids:
        return []
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.organisation_id == organisation_id,
            OutboxMessage.kind == "email",
            OutboxMessage.booking_id.in_(booking_ids),
            OutboxMessage.erased_at.is_(None),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [m for m in rows if (m.payload or {}).get("recipient") == "invitee"]


def _webhook_messages(organisation_id: int, email: str, booking_ids, public_ids):
    """Webhook bodies are frozen copies: those of their bookings, or naming them or their ids."""
    text = func.lower(cast(OutboxMessage.payload, Text))
    conditions = [text.contains(value.lower(), autoescape=True) for value in (email, *public_ids)]
    if booking_ids:
        conditions.append(OutboxMessage.booking_id.in_(booking_ids))
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.organisation_id == organisation_id,
                OutboxMessage.kind == "webhook",
                OutboxMessage.erased_at.is_(None),
                or_(*conditions),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )


def _deliveries(messages: list[OutboxMessage]) -> list[WebhookDelivery]:
    if not messages:
        return []
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.outbox_id.in_([m.id for m in messages]),
                WebhookDelivery.erased_at.is_(None),
            )
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
    )


def _mail_files(organisation_id: int, email: str, mail_dir: Path | None) -> list[MailFile]:
    """.eml files addressed to them (To or Reply-To) whose Message-ID is one of this
    organisation's emails: the folder is shared by the whole installation."""
    if mail_dir is None or not mail_dir.is_dir():
        return []
    parser = BytesHeaderParser()
    matching = []
    for path in sorted(mail_dir.glob("*.eml")):
        try:
            with path.open("rb") as handle:
                headers = parser.parse(handle)
        except OSError:
            continue
        fields = [str(headers.get(name, "")) for name in ("To", "Reply-To", "Cc")]
        if any(addr.lower() == email for _name, addr in getaddresses(fields)):
            matching.append((path, headers))
    if not matching:
        return []
    keys = db.session.scalars(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.organisation_id == organisation_id, OutboxMessage.kind == "email"
        )
    )
    ours = {message_id_header(key) for key in keys}
    return [
        MailFile(path, str(headers.get("Subject", "")), str(headers.get("Date", "")))
        for path, headers in matching
        if str(headers.get("Message-ID", "")).strip() in ours
    ]


def find_subject(organisation_id: int, email: str, mail_dir: Path | None = None) -> SubjectData:
    """Everything this organisation stores about the address (exact, case-insensitive)."""
    email = normalise_email(email)
    found = SubjectData(email=email)
    if not email:
        return found
    found.bookings = _bookings(organisation_id, email)
    booking_ids = [b.id for b in found.bookings]
    found.leads = _leads(organisation_id, email, booking_ids)
    lead_ids = [lead.id for lead in found.leads]
    found.attributions = _attributions(organisation_id, booking_ids, lead_ids)
    found.consent_decisions = _consents(organisation_id, found.attributions)
    found.emails = _emails(organisation_id, booking_ids)
    public_ids = [b.uid for b in found.bookings] + [lead.uid for lead in found.leads]
    found.webhook_messages = _webhook_messages(organisation_id, email, booking_ids, public_ids)
    found.webhook_deliveries = _deliveries(found.webhook_messages)
    found.mail_files = _mail_files(organisation_id, email, mail_dir)
    return found


def question_kinds(routing_form_id: int | None) -> dict[str, Question]:
    if routing_form_id is None:
        return {}
    rows = db.session.scalars(select(Question).where(Question.routing_form_id == routing_form_id))
    return {q.key: q for q in rows}


def _summary(verb: str, counts: dict[str, int], request_id: int | None) -> str:
    done = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)
    where = f" (request #{request_id})" if request_id else ""
    return f"{verb} the data of one person{where}: {done or 'nothing found'}"


def audit_request(
    organisation_id: int,
    actor: User | None,
    action: str,
    counts: dict[str, int],
    secret: str,
    email: str,
    now: datetime,
    request_id: int | None = None,
    verb: str = "Exported",
) -> None:
    """The audit entry of an export, rectification or erasure: counts and a keyed hash only."""
    changes = {kind: n for kind, n in counts.items() if n}
    changes["subject"] = subject_hash(secret, email)
    summary = _summary(verb, counts, request_id)
    record(organisation_id, actor, action, "privacy_request", request_id, summary, now, changes)


def rectify_subject(
    organisation_id: int,
    email: str,
    now: datetime,
    *,
    name: str = "",
    new_email: str = "",
    phone: str = "",
) -> dict[str, int]:
    """Apply the corrected name, address and phone to all their bookings and leads (an empty
    value leaves the field as it is); returns how many bookings and leads changed. Emails not
    yet sent are rendered from the booking, so they carry the corrected details."""
    found = find_subject(organisation_id, email)
    changed = {"bookings": 0, "leads": 0}
    for booking in found.bookings:
        before = (booking.invitee_name, booking.invitee_email)
        if name:
            booking.invitee_name = name
        if new_email:
            booking.invitee_email = new_email
        if (booking.invitee_name, booking.invitee_email) != before:
            booking.updated_at = now
            changed["bookings"] += 1
    for lead in found.leads:
        if lead.erased_at is not None:
            continue
        before = (lead.name, lead.email, dict(lead.answers or {}))
        if name:
            lead.name = name
        if new_email:
            lead.email = new_email
        answers = dict(lead.answers or {})
        for key, question in question_kinds(lead.routing_form_id).items():
            value = answers.get(key)
            if question.kind == "phone" and phone and value:
                answers[key] = phone
            elif (
                question.kind == "email"
                and new_email
                and isinstance(value, str)
                and normalise_email(value) == found.email
            ):
                answers[key] = new_email
        lead.answers = answers
        if (lead.name, lead.email, answers) != before:
            lead.updated_at = now
            changed["leads"] += 1
    if new_email:
        for row in open_requests_for(organisation_id, found.email):
            row.subject_email = new_email
    db.session.flush()
    return changed


def erase_subject(
    organisation_id: int, email: str, now: datetime, mail_dir: Path | None = None
) -> dict[str, int]:
    """Pseudonymise everything found (rows stay, so counts survive), drop messages not yet sent,
    delete their mail files; returns the counts per kind."""
    found = find_subject(organisation_id, email, mail_dir)
    for booking in found.bookings:
        erase_booking(booking, now)  # with the leads of the booking and its attribution
    for lead in found.leads:
        if lead.erased_at is None:
            erase_lead(lead, now)
    for consent in found.consent_decisions:
        if consent.erased_at is None:
            erase_consent(consent, now)
    for message in (*found.emails, *found.webhook_messages):
        unsent = message.status in UNSENT
        if unsent:
            message.status = "dropped"
            message.locked_by = None
            message.locked_until = None
        erase_outbox_message(message, now)
        if unsent:
            message.last_error = DROPPED_NOTE
        message.updated_at = now
    for delivery in found.webhook_deliveries:
        erase_delivery(delivery, now)
    for mail_file in found.mail_files:
        mail_file.path.unlink(missing_ok=True)
    db.session.flush()
    return found.counts()


def open_requests_for(organisation_id: int, email: str) -> list[PrivacyRequest]:
    return list(
        db.session.scalars(
            select(PrivacyRequest).where(
                PrivacyRequest.organisation_id == organisation_id,
                PrivacyRequest.status == "open",
                func.lower(PrivacyRequest.subject_email) == normalise_email(email),
            )
        )
    )
