"""Retention: one worker pass erases what is past each period and keeps the rest.

The clock is frozen at FROZEN_NOW; every row is placed just before or just after its cut-off
under the documented defaults (bookings 36 months after the meeting, unbooked leads 12 months,
disqualified leads 6 months, consent log 36 months, delivery logs and login attempts 30 days).
"""

import os
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import (
    AuditEntry,
    Booking,
    ConsentRecord,
    Lead,
    LoginAttempt,
    OutboxMessage,
    Outcome,
    Question,
    RoutingForm,
    WebhookDelivery,
    WebhookSubscription,
    WidgetAttribution,
    WidgetView,
)
from scheduling.operations.retention import count_due
from tests.conftest import FROZEN_NOW, login

DAY = timedelta(days=1)


@dataclass
class World:
    org: object
    old_booking: Booking
    young_booking: Booking
    booked_lead: Lead
    old_lead: Lead
    young_lead: Lead
    old_disqualified: Lead
    young_disqualified: Lead
    old_consent: ConsentRecord
    young_consent: ConsentRecord
    old_message: OutboxMessage
    young_message: OutboxMessage
    pending_message: OutboxMessage
    old_delivery: WebhookDelivery
    young_delivery: WebhookDelivery
    mail_dir: object


def _booking(event_type, end, **kw) -> Booking:
    host = event_type.hosts[0]
    uid = os.urandom(8).hex()
    values = {
        "uid": uid,
        "organisation_id": event_type.organisation_id,
        "event_type_id": event_type.id,
        "host_id": host.id,
        "invitee_name": "Ines Invitee",
        "invitee_email": "ines@example.com",
        "invitee_tz": "Europe/Berlin",
        "note": "Please call my mobile 0151 1234567",
        "start_at": end - timedelta(minutes=30),
        "end_at": end,
        "occupied_from": end - timedelta(minutes=30),
        "occupied_until": end,
        "status": "confirmed",
        "location_kind": "video",
        "ical_uid": f"{uid}@test",
        "created_at": end - 10 * DAY,
        "updated_at": end - 10 * DAY,
    }
    booking = Booking(**{**values, **kw})
    db.session.add(booking)
    db.session.flush()
    return booking


def _lead(event_type, form, status, updated, booking=None) -> Lead:
    lead = Lead(
        uid=os.urandom(8).hex(),
        organisation_id=event_type.organisation_id,
        routing_form_id=form.id,
        event_type_id=event_type.id,
        status=status,
        answers={"size": "50-200", "about": "We are Ines' bakery in Köln"},
        decision={"kind": "team", "trace": ["about = We are Ines' bakery"]},
        name="Ines Invitee",
        email="ines@example.com",
        booking_id=booking.id if booking else None,
        created_at=updated,
        updated_at=updated,
    )
    db.session.add(lead)
    db.session.flush()
    return lead


@pytest.fixture
def world(app, make_event_type, tmp_path, monkeypatch, frozen_now) -> World:
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    event_type = make_event_type()
    org = event_type.organisation
    now = FROZEN_NOW
    old_booking = _booking(event_type, now - timedelta(days=3 * 365 + 5))
    young_booking = _booking(event_type, now - timedelta(days=3 * 365 - 5))
    db.session.add(
        Outcome(booking_id=old_booking.id, status="lost", note="Ines said no", recorded_at=now)
    )
    db.session.add(
        Outcome(booking_id=young_booking.id, status="attended", note="Ines came", recorded_at=now)
    )
    form = RoutingForm(organisation_id=org.id, name="Qualify", created_at=now)
    db.session.add(form)
    db.session.flush()
    db.session.add_all(
        [
            Question(routing_form_id=form.id, key="size", label="Size", kind="single_choice"),
            Question(routing_form_id=form.id, key="about", label="About", kind="long_text"),
        ]
    )
    booked_lead = _lead(event_type, form, "booked", now - 4 * 365 * DAY, old_booking)
    old_lead = _lead(event_type, form, "qualified", now - 370 * DAY)
    young_lead = _lead(event_type, form, "qualified", now - 360 * DAY)
    old_disqualified = _lead(event_type, form, "disqualified", now - 190 * DAY)
    young_disqualified = _lead(event_type, form, "disqualified", now - 170 * DAY)
    touch = touch_kept()
    for condition in ({"booking_id": old_booking.id}, {"lead_id": old_lead.id}):
        db.session.add(
            WidgetAttribution(
                organisation_id=org.id,
                visitor_id="v" * 20,
                first_touch=touch,
                last_touch=touch,
                created_at=now,
                **condition,
            )
        )

    for age in (370, 360):  # views are kept like leads that never booked (12 months)
        db.session.add(
            WidgetView(
                organisation_id=org.id,
                event_type_id=event_type.id,
                viewed_at=now - age * DAY,
                first_touch=touch,
                last_touch=touch,
            )
        )

    def consent(at):
        row = ConsentRecord(
            consent_id=os.urandom(16).hex(),
            organisation_id=org.id,
            decided_at=at,
            host_origin="https://shop.example",
            notice_hash="0" * 64,
            language="de",
            purposes=["attribution"],
            decision="granted",
            source="prompt",
        )
        db.session.add(row)
        return row

    old_consent = consent(now - 3 * 366 * DAY)
    young_consent = consent(now - 3 * 364 * DAY)

    def message(status, at):
        row = OutboxMessage(
            organisation_id=org.id,
            kind="email",
            topic="booking.confirmation",
            idempotency_key=os.urandom(8).hex(),
            payload={"to": "ines@example.com", "name": "Ines"},
            status=status,
            next_attempt_at=at,
            last_error="550 ines@example.com unknown" if status == "failed" else "",
            created_at=at,
            updated_at=at,
        )
        db.session.add(row)
        return row

    old_message = message("failed", now - 31 * DAY)
    young_message = message("done", now - 29 * DAY)
    pending_message = message("pending", now - 40 * DAY)  # not finished: never touched
    subscription = WebhookSubscription(
        organisation_id=org.id,
        url="https://hooks.example/x",
        events=["booking.created"],
        secret_enc="x",
        created_at=now,
        updated_at=now,
    )
    db.session.add(subscription)
    db.session.flush()

    def delivery(at):
        row = WebhookDelivery(
            subscription_id=subscription.id,
            event_id=os.urandom(8).hex(),
            event_type="booking.created",
            idempotency_key=os.urandom(8).hex(),
            result="failed",
            response_code=500,
            error="echo: ines@example.com",
            created_at=at,
        )
        db.session.add(row)
        return row

    old_delivery = delivery(now - 31 * DAY)
    young_delivery = delivery(now - 29 * DAY)
    for age in (31, 29):
        db.session.add(
            LoginAttempt(
                email="ines@example.com",
                address="203.0.113.0/24",
                success=False,
                created_at=now - age * DAY,
            )
        )
    db.session.commit()
    mail_dir = tmp_path / "instance" / "mail"
    mail_dir.mkdir(parents=True)
    for age in (31, 29):  # named by the app clock's time, as delivery/emails.py does
        path = mail_dir / f"{now - age * DAY:%Y%m%dT%H%M%S}-abc.eml"
        path.write_text("To: ines@example.com\n\nHello Ines")
    for name, age in (("old.eml", 31), ("young.eml", 29)):  # otherwise: modification time
        path = mail_dir / name
        path.write_text("To: ines@example.com\n\nHello Ines")
        stamp = (now - age * DAY).timestamp()
        os.utime(path, (stamp, stamp))
    (mail_dir / "notes.txt").write_text("not a message")
    os.utime(mail_dir / "notes.txt", (0, 0))
    return World(
        org,
        old_booking,
        young_booking,
        booked_lead,
        old_lead,
        young_lead,
        old_disqualified,
        young_disqualified,
        old_consent,
        young_consent,
        old_message,
        young_message,
        pending_message,
        old_delivery,
        young_delivery,
        mail_dir,
    )


EXPECTED_ORG = {
    "bookings": 1,
    "leads_unbooked": 1,
    "leads_disqualified": 1,
    "consent_log": 1,
    "outbox_messages": 1,
    "webhook_deliveries": 1,
    "widget_views": 1,
}


def touch_kept() -> dict:
    return {"utm_source": "news", "utm_term": "ines", "gclid": "abc123", "at": "2026-01-01"}


def _run_worker_pass(app):
    worker = Worker(app, worker_id="test-worker")
    worker.run_periodic()


def test_dry_run_counts_what_one_worker_pass_erases(app, world):
    due = count_due(FROZEN_NOW, world.mail_dir)
    assert due.per_organisation[world.org.id] == EXPECTED_ORG
    assert due.installation == {"login_attempts": 1, "mail_files": 2}
    _run_worker_pass(app)
    db.session.expire_all()
    after = count_due(FROZEN_NOW, world.mail_dir)
    assert after.total == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert entry.changes == {**EXPECTED_ORG, "login_attempts": 1, "mail_files": 2}
    assert (
        entry.actor_label == "system" and "ines" not in (entry.summary + str(entry.changes)).lower()
    )


def test_a_worker_pass_erases_old_personal_data_and_keeps_young(app, world):
    _run_worker_pass(app)
    db.session.expire_all()
    old, young = world.old_booking, world.young_booking
    assert old.invitee_name == "erased" and old.note == "" and old.erased_at == FROZEN_NOW
    assert re.fullmatch(r"erased-[0-9a-f]{16}@erased\.invalid", old.invitee_email)
    assert (old.status, old.start_at, old.host_id) != (None, None, None)
    assert young.invitee_name == "Ines Invitee" and young.note and young.erased_at is None
    outcomes = {o.booking_id: o for o in db.session.scalars(select(Outcome))}
    assert outcomes[old.id].note == "" and outcomes[old.id].status == "lost"
    assert outcomes[young.id].note == "Ines came"
    for lead in (world.booked_lead, world.old_lead, world.old_disqualified):
        assert lead.name == "erased" and lead.email.endswith("@erased.invalid")
        assert lead.answers == {"size": "50-200"}  # the choice stays, free text goes
        assert lead.decision == {"kind": "team", "trace": []}
    for lead in (world.young_lead, world.young_disqualified):
        assert lead.name == "Ines Invitee" and lead.answers["about"] and lead.erased_at is None
    for attribution in db.session.scalars(select(WidgetAttribution)):
        assert attribution.visitor_id is None
        assert attribution.first_touch == {
            "utm_source": "news",
            "gclid": "erased",
            "at": "2026-01-01",
        }
    views = db.session.scalars(select(WidgetView).order_by(WidgetView.viewed_at)).all()
    assert views[0].first_touch == {"utm_source": "news", "gclid": "erased", "at": "2026-01-01"}
    assert views[0].erased_at == FROZEN_NOW
    assert views[1].first_touch == touch_kept() and views[1].erased_at is None
    assert world.old_consent.erased_at == FROZEN_NOW and world.young_consent.erased_at is None
    assert world.old_message.payload == {} and world.old_message.last_error == ""
    assert (
        world.old_message.status == "failed" and world.old_message.topic == "booking.confirmation"
    )
    assert world.young_message.payload["to"] == "ines@example.com"
    assert world.pending_message.payload["to"] == "ines@example.com"
    assert world.old_delivery.error == "" and world.old_delivery.response_code == 500
    assert world.young_delivery.error
    ages = db.session.scalars(select(LoginAttempt.created_at)).all()
    assert ages == [FROZEN_NOW - 29 * DAY]
    young_name = f"{FROZEN_NOW - 29 * DAY:%Y%m%dT%H%M%S}-abc.eml"
    assert sorted(p.name for p in world.mail_dir.iterdir()) == [
        young_name,
        "notes.txt",
        "young.eml",
    ]


def test_counts_in_reports_survive(app, client, world, make_user):
    admin = make_user(role="admin", org=world.org)
    assert login(client, admin.email).status_code == 302
    period = "from=2026-10-01&to=2027-03-31"

    def numbers():
        page = client.get(f"/admin/dashboard?{period}").text
        body = page[page.index("<main") :]
        return re.sub(r'name="csrf_token" value="[^"]*"', "", body)

    bookings_before = db.session.scalar(select(func.count()).select_from(Booking))
    before = numbers()
    _run_worker_pass(app)
    db.session.expire_all()
    assert numbers() == before
    assert '<span class="value">2</span><span class="label">Booked (confirmed)<' in before
    assert '<span class="value">2</span><span class="label">Attended<' in before
    assert db.session.scalar(select(func.count()).select_from(Booking)) == bookings_before
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 5


def test_a_second_pass_finds_nothing_and_writes_no_audit(app, world, monkeypatch):
    _run_worker_pass(app)
    _run_worker_pass(app)  # same worker object would wait an hour; a new one runs at once
    entries = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "retention.run")
    )
    assert entries == 1


def test_the_batch_limits_one_pass(app, world):
    app.config["RETENTION_BATCH"] = 1
    extra = _booking(world.old_booking.event_type, FROZEN_NOW - 4 * 365 * DAY)
    db.session.commit()
    _run_worker_pass(app)
    db.session.expire_all()
    erased = db.session.scalars(select(Booking.id).where(Booking.erased_at.is_not(None))).all()
    assert len(erased) == 1 and extra.id in erased  # oldest first
    assert count_due(FROZEN_NOW, world.mail_dir).per_organisation[world.org.id]["bookings"] == 1


def test_cli_dry_run_then_run(app, runner, world):
    result = runner.invoke(args=["rendezvous", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "The next run would erase:" in result.output
    assert "1 bookings, 1 leads that never booked, 1 disqualified leads" in result.output
    assert "Installation: 1 login attempts, 2 mail files" in result.output
    assert db.session.scalar(select(func.count()).where(Booking.erased_at.is_not(None))) == 0
    result = runner.invoke(args=["rendezvous", "retention"])
    assert result.exit_code == 0, result.output
    assert "Erased:" in result.output and "1 bookings" in result.output
    db.session.expire_all()
    assert count_due(FROZEN_NOW, world.mail_dir).total == 0
    assert world.old_booking.invitee_name == "erased"


def test_the_worker_runs_the_pass_once_per_interval(app, world, moving_clock):
    worker = Worker(app, worker_id="hourly")
    worker.run_periodic()
    assert world.old_booking.erased_at is not None
    # Thirty days on, the young booking is due too, but the pass waits for its interval.
    moving_clock.now = FROZEN_NOW + timedelta(days=30)
    young = db.session.get(Booking, world.young_booking.id)
    worker.last_run["retention"] = moving_clock.now - timedelta(minutes=59)
    worker.run_periodic()
    db.session.expire_all()
    assert young.erased_at is None
    worker.last_run["retention"] = moving_clock.now - timedelta(minutes=61)
    worker.run_periodic()
    db.session.expire_all()
    assert young.erased_at == FROZEN_NOW + timedelta(days=30)
