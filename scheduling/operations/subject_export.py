"""One person's data as a JSON-safe document (GDPR Art. 15 access, Art. 20 portability).

The same document is downloaded as JSON and rendered as a readable HTML page, by the admin and by
the invitee from their booking page. Webhook receivers are named by domain only: the rest of a
receiver's URL may carry a secret.
"""

from datetime import datetime
from urllib.parse import urlsplit

from scheduling.extensions import db
from scheduling.models import Organisation, WebhookSubscription

from .payloads import iso
from .subject_requests import SubjectData, question_kinds

FORMAT_VERSION = "2026-12-06"
CONSENT_NOTE = (
    "Consent decisions hold no name or address: they are linked to you only through the "
    "attribution of a booking or a lead listed here."
)
MAIL_FILES_NOTE = (
    "Copies of emails written to the server's mail folder because no mail server is configured."
)


def _booking(booking) -> dict:
    outcome = booking.outcome
    return {
        "id": booking.uid,
        "status": booking.status,
        "event_type": booking.event_type.title,
        "host": booking.host.name,
        "start": iso(booking.start_at),
        "end": iso(booking.end_at),
        "name": booking.invitee_name,
        "email": booking.invitee_email,
        "timezone": booking.invitee_tz,
        "language": booking.invitee_locale,
        "note": booking.note,
        "cancel_reason": booking.cancel_reason,
        "reschedule_reason": booking.reschedule_reason,
        "source": booking.source,
        "created_at": iso(booking.created_at),
        "cancelled_at": iso(booking.cancelled_at),
        "outcome": None
        if outcome is None
        else {
            "status": outcome.status,
            "note": outcome.note,
            "recorded_at": iso(outcome.recorded_at),
        },
    }


def _lead(lead) -> dict:
    questions = question_kinds(lead.routing_form_id)
    answers = [
        {
            "question": questions[key].label if key in questions else key,
            "answer": value,
        }
        for key, value in (lead.answers or {}).items()
    ]
    return {
        "id": lead.uid,
        "status": lead.status,
        "event_type": lead.event_type.title,
        "name": lead.name,
        "email": lead.email,
        "answers": answers,
        "score": lead.score,
        "booking": lead.booking.uid if lead.booking is not None else None,
        "created_at": iso(lead.created_at),
        "updated_at": iso(lead.updated_at),
    }


def _attribution(row) -> dict:
    return {
        "booking": row.booking.uid if row.booking is not None else None,
        "lead": row.lead.uid if row.lead is not None else None,
        "visitor_id": row.visitor_id,
        "first_touch": row.first_touch,
        "last_touch": row.last_touch,
        "variant": row.variant.name if row.variant is not None else None,
        "created_at": iso(row.created_at),
    }


def _consent(row) -> dict:
    return {
        "decided_at": iso(row.decided_at),
        "decision": row.decision,
        "purposes": list(row.purposes or []),
        "website": row.host_origin,
        "language": row.language,
        "source": row.source,
    }


def _message(message) -> dict:
    return {
        "topic": message.topic,
        "status": message.status,
        "created_at": iso(message.created_at),
        "due_at": iso(message.next_attempt_at),
        "delivered_at": iso(message.delivered_at),
    }


def _receiver(subscription_id: int | None) -> str | None:
    subscription = db.session.get(WebhookSubscription, subscription_id) if subscription_id else None
    return urlsplit(subscription.url).hostname if subscription is not None else None


def _webhook(message) -> dict:
    return {
        **_message(message),
        "receiver": _receiver(message.subscription_id),
        "body": (message.payload or {}).get("body"),
    }


def _delivery(row) -> dict:
    return {
        "event_type": row.event_type,
        "event_id": row.event_id,
        "attempt": row.attempt,
        "result": row.result,
        "response_code": row.response_code,
        "receiver": _receiver(row.subscription_id),
        "created_at": iso(row.created_at),
    }


def export_subject(found: SubjectData, organisation: Organisation, now: datetime) -> dict:
    """The whole document; every value JSON-safe."""
    return {
        "format": f"rendezvous-subject-export/{FORMAT_VERSION}",
        "generated_at": iso(now),
        "controller": organisation.name,
        "subject": {"email": found.email},
        "counts": found.counts(),
        "bookings": [_booking(b) for b in found.bookings],
        "leads": [_lead(lead) for lead in found.leads],
        "attributions": [_attribution(a) for a in found.attributions],
        "consent_decisions": [_consent(c) for c in found.consent_decisions],
        "consent_note": CONSENT_NOTE,
        "emails": [_message(m) for m in found.emails],
        "webhook_messages": [_webhook(m) for m in found.webhook_messages],
        "webhook_deliveries": [_delivery(d) for d in found.webhook_deliveries],
        "mail_files": [
            {"name": f.path.name, "subject": f.subject, "date": f.date} for f in found.mail_files
        ],
        "mail_files_note": MAIL_FILES_NOTE,
    }
