"""One person's data spread over every kind of row, for the data subject request tests.

Ines books with organisation A (mixed-case address), answers a routing form twice (once booked,
once not), comes through the widget with consent; the booking's real notification hooks write
her emails and webhooks (one webhook already delivered, with its delivery record); the mail
folder holds a copy of an email to her. Otto books with A too, and Ines also exists in
organisation B: neither may ever be found or touched by a request about Ines at A.
"""

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from scheduling.extensions import db
from scheduling.models import (
    Booking,
    ConsentRecord,
    Lead,
    OutboxMessage,
    Outcome,
    Question,
    RoutingForm,
    WebhookDelivery,
    WebhookSubscription,
    WidgetAttribution,
)
from scheduling.operations import notifications
from scheduling.operations.outbox import message_id_header
from tests.conftest import FROZEN_NOW

INES = "Ines.Invitee@Example.com"
INES_LOWER = INES.lower()
OTTO = "otto@example.com"
PHONE = "+49 151 1234567"


@dataclass
class SubjectWorld:
    org: object
    other_org: object
    event_type: object
    booking: Booking
    otto_booking: Booking
    other_booking: Booking
    booked_lead: Lead
    open_lead: Lead
    other_lead: Lead
    consent: ConsentRecord
    mail_dir: Path
    ines_file: Path
    otto_file: Path
    foreign_file: Path


def make_booking(event_type, email, name, start, **kw) -> Booking:
    uid = os.urandom(8).hex()
    booking = Booking(
        uid=uid,
        organisation_id=event_type.organisation_id,
        event_type_id=event_type.id,
        host_id=event_type.hosts[0].id,
        invitee_name=name,
        invitee_email=email,
        invitee_tz="Europe/Berlin",
        note=kw.pop("note", "Please call my mobile"),
        start_at=start,
        end_at=start + timedelta(minutes=30),
        occupied_from=start,
        occupied_until=start + timedelta(minutes=30),
        status="confirmed",
        location_kind="video",
        ical_uid=f"{uid}@test",
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
        **kw,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def _form(org) -> RoutingForm:
    form = RoutingForm(organisation_id=org.id, name="Qualify", created_at=FROZEN_NOW)
    db.session.add(form)
    db.session.flush()
    for position, (key, kind) in enumerate(
        (("size", "single_choice"), ("about", "long_text"), ("phone", "phone"), ("mail", "email"))
    ):
        db.session.add(
            Question(
                routing_form_id=form.id,
                position=position,
                key=key,
                label=f"Your {key}",
                kind=kind,
            )
        )
    db.session.flush()
    return form


def make_lead(event_type, form, email, status, booking=None) -> Lead:
    lead = Lead(
        uid=os.urandom(8).hex(),
        organisation_id=event_type.organisation_id,
        routing_form_id=form.id,
        event_type_id=event_type.id,
        status=status,
        answers={"size": "50-200", "about": "Ines' bakery in Köln", "phone": PHONE, "mail": email},
        decision={"kind": "team", "trace": ["about = Ines' bakery"]},
        name="Ines Invitee",
        email=email,
        booking_id=booking.id if booking else None,
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add(lead)
    db.session.flush()
    return lead


def _subscribe(org) -> WebhookSubscription:
    subscription = WebhookSubscription(
        organisation_id=org.id,
        url="https://crm.example/hooks/secret-path",
        events=["booking.created", "lead.qualified"],
        secret_enc="x",
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def _eml(folder: Path, name: str, to: str, message_id: str) -> Path:
    path = folder / f"{FROZEN_NOW:%Y%m%dT%H%M%S}-{name}.eml"
    path.write_text(
        f"From: Acme <noreply@acme.example>\nTo: Ines Invitee <{to}>\n"
        f"Subject: Your booking\nMessage-ID: {message_id}\n\nHello Ines, see you soon.\n"
    )
    return path


def build_world(app, make_event_type, tmp_path, monkeypatch) -> SubjectWorld:
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    now = FROZEN_NOW
    event_type = make_event_type()
    org = event_type.organisation
    other_type = make_event_type()
    other_org = other_type.organisation
    _subscribe(org)
    _subscribe(other_org)
    start = now + timedelta(days=2)
    booking = make_booking(event_type, INES, "Ines Invitee", start)
    db.session.add(
        Outcome(booking_id=booking.id, status="attended", note="Ines came", recorded_at=now)
    )
    otto_booking = make_booking(event_type, OTTO, "Otto Other", start + timedelta(hours=2))
    other_booking = make_booking(other_type, INES_LOWER, "Ines Invitee", start)
    form = _form(org)
    other_form = _form(other_org)
    booked_lead = make_lead(event_type, form, INES_LOWER, "booked", booking)
    open_lead = make_lead(event_type, form, INES.upper(), "qualified")
    other_lead = make_lead(other_type, other_form, INES_LOWER, "qualified")
    consent = ConsentRecord(
        consent_id=os.urandom(16).hex(),
        organisation_id=org.id,
        decided_at=now,
        host_origin="https://shop.example",
        notice_hash="0" * 64,
        language="de",
        purposes=["attribution"],
        decision="granted",
        source="prompt",
    )
    db.session.add(consent)
    db.session.flush()
    touch = {"utm_source": "news", "gclid": "abc123", "at": "2030-01-01"}
    db.session.add(
        WidgetAttribution(
            organisation_id=org.id,
            booking_id=booking.id,
            consent_record_id=consent.id,
            visitor_id="v" * 20,
            first_touch=touch,
            last_touch=touch,
            created_at=now,
        )
    )
    for row in (booking, otto_booking, other_booking):
        notifications.booking_created(row, now)
    for lead in (open_lead, other_lead):
        notifications.lead_qualified(lead, now)
    db.session.flush()
    # Ines's booking.created webhook was already delivered once, and logged.
    delivered = (
        db.session.query(OutboxMessage).filter_by(booking_id=booking.id, kind="webhook").one()
    )
    delivered.status = "done"
    delivered.delivered_at = now
    db.session.add(
        WebhookDelivery(
            subscription_id=delivered.subscription_id,
            outbox_id=delivered.id,
            event_id=delivered.payload["body"]["id"],
            event_type="booking.created",
            idempotency_key=delivered.idempotency_key,
            result="ok",
            response_code=200,
            error="",
            created_at=now,
        )
    )
    db.session.commit()
    mail_dir = tmp_path / "instance" / "mail"
    mail_dir.mkdir(parents=True)

    def key_of(row, recipient):
        return (
            db.session.query(OutboxMessage)
            .filter_by(booking_id=row.id, kind="email", topic="booking.confirmation")
            .all()
        )

    def confirmation_key(row, recipient):
        for message in key_of(row, recipient):
            if message.payload["recipient"] == recipient:
                return message.idempotency_key
        raise AssertionError("no confirmation")

    ines_file = _eml(mail_dir, "a", INES, message_id_header(confirmation_key(booking, "invitee")))
    otto_file = _eml(
        mail_dir, "b", OTTO, message_id_header(confirmation_key(otto_booking, "invitee"))
    )
    foreign_file = _eml(
        mail_dir, "c", INES_LOWER, message_id_header(confirmation_key(other_booking, "invitee"))
    )
    return SubjectWorld(
        org,
        other_org,
        event_type,
        booking,
        otto_booking,
        other_booking,
        booked_lead,
        open_lead,
        other_lead,
        consent,
        mail_dir,
        ines_file,
        otto_file,
        foreign_file,
    )
