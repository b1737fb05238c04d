"""Hooks called by the booking, outcome and routing operations: they write outbox messages.

Everything here runs inside the caller's transaction and only flushes, so a change and its
emails, reminders and webhooks are committed together or not at all. Emails are rendered when
delivered (from the booking row); webhook bodies are frozen now, as the event happened.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from scheduling.extensions import db
from scheduling.models import (
    Booking,
    EventTypeNotification,
    Lead,
    OutboxMessage,
    WebhookSubscription,
)

from . import outbox
from .caldav_writeback import enqueue_writeback
from .calendar_writeback import enqueue_calendar_copy
from .locking import transaction_memo
from .payloads import booking_json, iso, lead_json

DEFAULT_REMINDER_MINUTES = (1440, 60)
# The payload version, in every body (api_version) and header (Rendezvous-Version); a change of
# shape gets a new date and a changelog entry in docs/webhooks.md.
API_VERSION = "2026-12-06.2"
REMINDER = "booking.reminder"
AFTER_MEETING = "booking.after_meeting"
_WEBHOOK_ROWS = "webhook_rows"  # transaction memo: (this, booking id) -> webhook rows queued?


def notification_settings(event_type_id: int) -> tuple[list[int], bool]:
    """(reminder offsets in minutes, no-show follow-up on?) of an event type."""
    row = db.session.get(EventTypeNotification, event_type_id)
    if row is None:
        return list(DEFAULT_REMINDER_MINUTES), False
    return [int(m) for m in row.reminder_minutes or []], bool(row.no_show_followup)


def _email(booking: Booking, template: str, recipient: str, now: datetime, key: str, **extra):
    payload = {
        "template": template,
        "recipient": recipient,
        "booking_id": booking.id,
        "sequence": booking.sequence,
        **extra,
    }
    return outbox.message_row(
        booking.organisation_id,
        "email",
        template,
        payload,
        key,
        now,
        booking_id=booking.id,
    )


def _confirmations(booking: Booking, template: str, now: datetime) -> list[dict]:
    return [
        _email(
            booking,
            template,
            recipient,
            now,
            f"email:{template}:{booking.uid}:{booking.sequence}:{recipient}",
        )
        for recipient in ("invitee", "host")
    ]


def _reminders(booking: Booking, now: datetime) -> list[dict]:
    rows = []
    minutes, _ = notification_settings(booking.event_type_id)
    for offset in sorted(set(minutes), reverse=True):
        due = booking.start_at - timedelta(minutes=offset)
        if due <= now:
            continue  # booked at short notice: this reminder's moment has passed
        payload = {
            "template": REMINDER,
            "recipient": "invitee",
            "booking_id": booking.id,
            "sequence": booking.sequence,
            "minutes": offset,
            "start": iso(booking.start_at),
        }
        key = f"email:{REMINDER}:{booking.uid}:{offset}"
        rows.append(
            outbox.message_row(
                booking.organisation_id,
                "email",
                REMINDER,
                payload,
                key,
                now,
                due_at=due,
                booking_id=booking.id,
            )
        )
    return rows


def _after_meeting(booking: Booking, now: datetime) -> dict:
    """The host's "how did it go?" email with one-click outcome links, due at the meeting's end."""
    payload = {
        "template": AFTER_MEETING,
        "recipient": "host",
        "booking_id": booking.id,
        "sequence": booking.sequence,
        "end": iso(booking.end_at),
    }
    return outbox.message_row(
        booking.organisation_id,
        "email",
        AFTER_MEETING,
        payload,
        f"email:{AFTER_MEETING}:{booking.uid}:{booking.sequence}",
        now,
        due_at=max(booking.end_at, now),
        booking_id=booking.id,
    )


def _booking_emails(booking: Booking, template: str, now: datetime) -> None:
    """Confirmations, reminders and the after-meeting email of a booking: one INSERT."""
    outbox.enqueue_rows(
        [
            *_confirmations(booking, template, now),
            *_reminders(booking, now),
            _after_meeting(booking, now),
        ]
    )


_ACTIVE_SUBSCRIPTIONS = select(WebhookSubscription).where(  # built once: see emit()
    WebhookSubscription.organisation_id == bindparam("organisation_id"),
    WebhookSubscription.active.is_(True),
)


def emit(
    organisation_id: int,
    event_type: str,
    data: dict | Callable[[], dict],
    now: datetime,
    **kw,
) -> str:
    """One webhook message per active subscription to this event; returns the event id.

    `data` may be a function: a booking's hand-off blocks cost several reads, made only when
    some subscription wants the event.
    """
    event_id = kw.pop("event_id", None) or outbox.new_event_id()
    subscriptions = [
        sub
        for sub in db.session.scalars(_ACTIVE_SUBSCRIPTIONS, {"organisation_id": organisation_id})
        if event_type in (sub.events or [])
    ]
    if not subscriptions:
        return event_id
    if kw.get("booking_id") is not None:
        transaction_memo(db.session)[(_WEBHOOK_ROWS, kw["booking_id"])] = True
    body = {
        "id": event_id,
        "type": event_type,
        "created_at": iso(now),
        "api_version": API_VERSION,
        "data": data() if callable(data) else data,
    }
    for sub in subscriptions:
        outbox.enqueue_once(
            organisation_id,
            "webhook",
            event_type,
            {"body": body},
            f"webhook:{event_id}:{sub.id}",
            now,
            subscription_id=sub.id,
            **kw,
        )
    return event_id


def emit_booking_event(
    event_type: str, booking: Booking, now: datetime, previous: Booking | None = None
) -> None:
    """One webhook event about a booking (and the one it replaced), its body built when wanted.

    booking.created also notes that this transaction's booking has no earlier webhook rows:
    when emit() queued none, refresh_booking_events() has nothing to bring up to date.
    """

    def data() -> dict:
        body = {"booking": booking_json(booking)}
        if previous is not None:
            body["previous"] = booking_json(previous)
        return body

    emit(booking.organisation_id, event_type, data, now, booking_id=booking.id)
    if event_type == "booking.created":
        transaction_memo(db.session).setdefault((_WEBHOOK_ROWS, booking.id), False)


def booking_created(booking: Booking, now: datetime) -> None:
    """Confirmations (invitee and host), reminders, booking.created, calendar copy."""
    enqueue_writeback(booking, now)
    enqueue_calendar_copy(booking, now)
    _booking_emails(booking, "booking.confirmation", now)
    emit_booking_event("booking.created", booking, now)


def refresh_booking_events(booking: Booking) -> None:
    """Rebuild `data.booking` in this booking's webhook bodies not sent yet.

    booking.created is queued inside create_booking, before the routing use case links the
    lead and the assignment and before the widget records the attribution; all of that
    happens in the same transaction, so the frozen body is brought up to date before it commits.
    Only called by the use cases that create the booking, so only this transaction's rows match.
    """
    if transaction_memo(db.session).get((_WEBHOOK_ROWS, booking.id)) is False:
        db.session.flush()
        return
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.booking_id == booking.id,
            OutboxMessage.kind == "webhook",
            OutboxMessage.status == "pending",
            OutboxMessage.attempts == 0,
        )
    ).all()
    fresh = None
    for row in rows:
        body = dict(row.payload.get("body") or {})
        data = dict(body.get("data") or {})
        if (data.get("booking") or {}).get("id") != booking.uid:
            continue
        fresh = fresh or booking_json(booking)
        body["data"] = {**data, "booking": fresh}
        row.payload = {**row.payload, "body": body}  # a new dict: JSON columns track assignment
    db.session.flush()


def booking_rescheduled(old: Booking, new: Booking, now: datetime) -> None:
    """Reminders move to the new time; notices carry the same UID with a higher SEQUENCE."""
    outbox.drop_pending(old.id, REMINDER, now)
    outbox.drop_pending(old.id, AFTER_MEETING, now)
    enqueue_writeback(new, now)
    enqueue_calendar_copy(new, now)
    _booking_emails(new, "booking.rescheduled", now)
    emit_booking_event("booking.rescheduled", new, now, previous=old)


def booking_cancelled(booking: Booking, now: datetime) -> None:
    """Reminders are dropped; notices carry METHOD:CANCEL."""
    outbox.drop_pending(booking.id, REMINDER, now)
    outbox.drop_pending(booking.id, AFTER_MEETING, now)
    enqueue_writeback(booking, now)
    enqueue_calendar_copy(booking, now)
    outbox.enqueue_rows(_confirmations(booking, "booking.cancelled", now))
    emit_booking_event("booking.cancelled", booking, now)


NO_SHOW = "booking.no_show"


def outcome_recorded(booking: Booking, now: datetime) -> None:
    """booking.outcome_recorded; a no-show gets the follow-up email once, if switched on.

    The email waits the organisation's no-show delay, so an undo (or another outcome) in that
    time drops it before it leaves.
    """
    emit(
        booking.organisation_id,
        "booking.outcome_recorded",
        lambda: {"booking": booking_json(booking)},
        now,
        booking_id=booking.id,
    )
    outcome = booking.outcome
    if outcome is None or outcome.status != "no_show":
        outbox.drop_pending(booking.id, NO_SHOW, now)
        return
    _, follow_up = notification_settings(booking.event_type_id)
    if not follow_up or _no_show_email_kept(booking.id):
        return
    delay = timedelta(minutes=booking.organisation.no_show_delay_minutes)
    payload = {
        "template": NO_SHOW,
        "recipient": "invitee",
        "booking_id": booking.id,
        "sequence": booking.sequence,
    }
    # An undone no-show's message stays as "dropped"; a new marking needs a key of its own.
    key = f"email:{NO_SHOW}:{booking.uid}:{outbox.new_event_id()}"
    outbox.enqueue_once(
        booking.organisation_id,
        "email",
        NO_SHOW,
        payload,
        key,
        now,
        due_at=now + delay,
        booking_id=booking.id,
    )


def _no_show_email_kept(booking_id: int) -> bool:
    """True when a no-show email for the booking is waiting, being sent or sent: once only."""
    return (
        db.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.booking_id == booking_id,
                OutboxMessage.topic == NO_SHOW,
                OutboxMessage.status != "dropped",
            )
            .limit(1)
        )
        is not None
    )


def lead_submitted(lead: Lead, now: datetime) -> None:
    """lead.qualified or lead.disqualified, as the answers decided."""
    (lead_disqualified if lead.status == "disqualified" else lead_qualified)(lead, now)


def lead_qualified(lead: Lead, now: datetime) -> None:
    emit(lead.organisation_id, "lead.qualified", {"lead": lead_json(lead)}, now)


def lead_disqualified(lead: Lead, now: datetime) -> None:
    emit(lead.organisation_id, "lead.disqualified", {"lead": lead_json(lead)}, now)


def lead_abandoned(lead: Lead, now: datetime) -> None:
    # A deterministic event id: the periodic scan may see the same lead twice, or on two workers.
    emit(
        lead.organisation_id,
        "lead.abandoned",
        {"lead": lead_json(lead)},
        now,
        event_id="evt_" + hashlib.sha256(f"lead.abandoned:{lead.uid}".encode()).hexdigest()[:24],
    )


def detect_abandoned_leads(now: datetime, after_minutes: int, window_days: int = 7) -> int:
    """Report qualified leads with no booking `after_minutes` after answering (periodic task)."""
    latest = now - timedelta(minutes=after_minutes)
    leads = db.session.scalars(
        select(Lead).where(
            Lead.status == "qualified",
            Lead.booking_id.is_(None),
            Lead.created_at <= latest,
            Lead.created_at > latest - timedelta(days=window_days),
        )
    ).all()
    for lead in leads:
        lead_abandoned(lead, now)
    return len(leads)


def set_notification_settings(
    event_type, reminder_minutes: list[int], no_show_followup: bool, actor, now: datetime
) -> None:
    """Store an event type's reminder offsets and follow-up choice (affects new bookings)."""
    from .audit import record

    row = db.session.get(EventTypeNotification, event_type.id)
    if row is None:
        row = EventTypeNotification(event_type_id=event_type.id)
        db.session.add(row)
    row.reminder_minutes = list(reminder_minutes)
    row.no_show_followup = no_show_followup
    row.updated_at = now
    db.session.flush()
    record(
        event_type.organisation_id,
        actor,
        "event_type.notifications",
        "event_type",
        event_type.id,
        f"Reminders for {event_type.title}: {reminder_minutes or 'none'} minutes before; "
        f"no-show follow-up {'on' if no_show_followup else 'off'}",
        now,
    )
