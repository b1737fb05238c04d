"""Outbox + worker + emails: rows written with the booking change, delivered over real SMTP."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import icalendar
from sqlalchemy import select

from scheduling import clock
from scheduling.delivery import mail
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import Booking, EventTypeNotification, OutboxMessage
from scheduling.operations.bookings import (
    Invitee,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from tests import outbox_fixtures
from tests.conftest import FROZEN_NOW

START = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
INVITEE = Invitee("Ada Lovelace", "ada@example.org", "Europe/London", "About the offer")


def book(event_type, start=START, invitee=INVITEE) -> Booking:
    booking = create_booking(
        event_type, start, invitee, clock.utcnow(), video_base_url="https://meet.test.example"
    )
    db.session.commit()
    return booking


def rows(**filters) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in filters.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def run_worker(app) -> int:
    return Worker(app, worker_id="test-worker").run_once()


def calendar_of(message) -> icalendar.Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))


def test_a_booking_writes_its_messages_in_the_same_transaction(app, make_event_type, moving_clock):
    event_type = make_event_type()
    booking = book(event_type)
    topics = sorted((m.topic, m.payload.get("recipient")) for m in rows(booking_id=booking.id))
    assert topics == [
        ("booking.after_meeting", "host"),
        ("booking.confirmation", "host"),
        ("booking.confirmation", "invitee"),
        ("booking.reminder", "invitee"),
        ("booking.reminder", "invitee"),
    ]
    reminders = rows(topic="booking.reminder")
    assert sorted(m.next_attempt_at for m in reminders) == [
        START - timedelta(hours=24),
        START - timedelta(hours=1),
    ]
    (after,) = rows(topic="booking.after_meeting")
    assert after.next_attempt_at == booking.end_at  # the host's "how did it go?" at the end
    assert len({m.idempotency_key for m in rows()}) == 5


def test_a_rolled_back_booking_sends_nothing(app, make_event_type, moving_clock, smtp_server):
    event_type = make_event_type()
    create_booking(event_type, START, INVITEE, FROZEN_NOW, video_base_url="https://m.example")
    db.session.flush()
    assert rows()  # written, but not committed
    db.session.rollback()
    assert rows() == []
    assert db.session.scalar(select(Booking)) is None
    moving_clock.now = START + timedelta(days=1)
    assert run_worker(app) == 0
    assert smtp_server.received == []


def test_confirmation_reaches_invitee_and_host_with_parts_and_invitation(
    app, make_event_type, moving_clock, smtp_server
):
    event_type = make_event_type(title="Strategy call")
    booking = book(event_type)
    host = booking.host
    assert run_worker(app) == 2  # the reminders are not due yet
    invitee_mail = smtp_server.to("ada@example.org")
    host_mail = smtp_server.to(host.email)
    assert len(invitee_mail) == 1 and len(host_mail) == 1
    message = invitee_mail[0].message
    assert message["Subject"].startswith("Confirmed: Strategy call with Hannah Host")
    assert message["From"] == "Bookings <b@x.test>"
    body = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Tuesday, 8 January 2030, 09:00 (United Kingdom Time (London))" in body
    assert (
        f"/booking/{booking.uid}/cancel/" in body and f"/booking/{booking.uid}/reschedule/" in html
    )
    assert "<img" not in html and "http" not in html.split("<body>")[0]  # nothing remote
    cal = calendar_of(message)
    assert cal["METHOD"] == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == START
    assert "ada@example.org" in str(event["ATTENDEE"])
    host_cal = calendar_of(host_mail[0].message)
    assert host_cal["METHOD"] == "PUBLISH"
    host_text = host_mail[0].message.get_body(("plain",)).get_content()
    assert "Tuesday, 8 January 2030, 10:00 (Central European Time (Berlin))" in host_text
    assert f"/admin/bookings/{booking.id}" in host_text and "/cancel/" not in host_text
    assert {m.status for m in rows(topic="booking.confirmation")} == {"done"}
    assert run_worker(app) == 0  # delivered once, not again


def test_reschedule_moves_reminders_and_sends_an_update(
    app, make_event_type, moving_clock, smtp_server
):
    event_type = make_event_type()
    booking = book(event_type)
    run_worker(app)
    new_start = START + timedelta(days=1)
    new = reschedule_booking(
        booking, new_start, FROZEN_NOW, video_base_url="https://meet.test.example"
    )
    db.session.commit()
    old_reminders = rows(booking_id=booking.id, topic="booking.reminder")
    assert {m.status for m in old_reminders} == {"dropped"}
    new_reminders = rows(booking_id=new.id, topic="booking.reminder")
    assert sorted(m.next_attempt_at for m in new_reminders) == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=1),
    ]
    smtp_server.received.clear()
    run_worker(app)
    update = smtp_server.to("ada@example.org")[0].message
    assert update["Subject"].startswith("Moved:")
    event = calendar_of(update).walk("VEVENT")[0]
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == new_start
    # At the old reminder times nothing is sent; at the new ones, the reminders go out.
    smtp_server.received.clear()
    moving_clock.now = START - timedelta(minutes=30)
    run_worker(app)
    assert smtp_server.received == []
    moving_clock.now = new_start - timedelta(minutes=59)
    assert run_worker(app) == 2
    subjects = [r.message["Subject"] for r in smtp_server.received]
    assert len(subjects) == 2 and all(s.startswith("Reminder:") for s in subjects)


def test_cancel_drops_reminders_and_sends_a_cancellation(
    app, make_event_type, moving_clock, smtp_server
):
    event_type = make_event_type()
    booking = book(event_type)
    run_worker(app)
    cancel_booking(booking, "Conflict", FROZEN_NOW)
    db.session.commit()
    assert {m.status for m in rows(topic="booking.reminder")} == {"dropped"}
    smtp_server.received.clear()
    moving_clock.now = START
    run_worker(app)
    assert len(smtp_server.received) == 2  # the two notices, no reminder
    notice = smtp_server.to("ada@example.org")[0].message
    cal = calendar_of(notice)
    assert cal["METHOD"] == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == booking.ical_uid  # the same event, withdrawn
    assert "Conflict" in notice.get_body(("plain",)).get_content()


def test_a_reminder_checks_its_booking_when_delivered(
    app, make_event_type, moving_clock, smtp_server
):
    """Even a reminder that escaped dropping is not sent for a cancelled booking."""
    event_type = make_event_type()
    booking = book(event_type)
    run_worker(app)
    booking.status = "cancelled"  # bypassing cancel_booking, so the rows stay pending
    db.session.commit()
    smtp_server.received.clear()
    moving_clock.now = START - timedelta(minutes=30)
    run_worker(app)
    assert smtp_server.received == []
    assert {m.status for m in rows(topic="booking.reminder")} == {"dropped"}


def test_reminder_offsets_per_event_type(app, make_event_type, moving_clock):
    event_type = make_event_type()
    db.session.add(
        EventTypeNotification(
            event_type_id=event_type.id, reminder_minutes=[120, 10, 5000], updated_at=FROZEN_NOW
        )
    )
    db.session.commit()
    book(event_type)
    due = sorted(m.next_attempt_at for m in rows(topic="booking.reminder"))
    # 5000 minutes before would be in the past: skipped.
    assert due == [START - timedelta(minutes=120), START - timedelta(minutes=10)]


def test_failing_smtp_retries_with_backoff_then_fails(
    app, make_event_type, moving_clock, monkeypatch
):
    # A closed port: a real connection error, through the real SMTP code path.
    monkeypatch.setattr(mail, "send_smtp", outbox_fixtures._REAL_SMTP)
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=1, OUTBOX_MAX_ATTEMPTS=3)
    event_type = make_event_type()
    book(event_type)
    run_worker(app)
    message = rows(topic="booking.confirmation")[0]
    assert message.status == "pending" and message.attempts == 1
    assert "SMTP error" in message.last_error
    first_delay = (message.next_attempt_at - FROZEN_NOW).total_seconds()
    assert 15 <= first_delay <= 30
    pending = rows(topic="booking.confirmation")
    moving_clock.now = min(m.next_attempt_at for m in pending) - timedelta(seconds=1)
    assert run_worker(app) == 0  # not due yet
    for attempt in (2, 3):
        moving_clock.now = max(m.next_attempt_at for m in pending)
        assert run_worker(app) == 2
        for m in pending:
            db.session.refresh(m)
            assert m.attempts == attempt
    assert {m.status for m in pending} == {"failed"}


def test_no_mail_host_writes_eml_files(app, make_event_type, moving_clock, mail_files):
    event_type = make_event_type()
    book(event_type)
    assert run_worker(app) == 2
    files = sorted(mail_files.glob("*.eml"))
    assert len(files) == 2
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert calendar_of(parsed).walk("VEVENT")


def test_stray_mail_guard_is_armed(app, make_event_type, moving_clock, _no_stray_mail):
    """Without the SMTP fixture a delivery attempt is caught (and would fail the test)."""
    event_type = make_event_type()
    book(event_type)
    run_worker(app)
    assert len(_no_stray_mail) == 2
    assert "outside the SMTP fixture" in rows(topic="booking.confirmation")[0].last_error
    _no_stray_mail.clear()  # this test wanted the violation


def test_no_show_follow_up_once_when_switched_on(
    app, make_event_type, make_user, moving_clock, smtp_server
):
    from scheduling.operations.outcomes import OutcomeInput, record_outcome

    event_type = make_event_type()
    manager = make_user(role="manager", org=event_type.organisation)
    booking = book(event_type)
    run_worker(app)
    moving_clock.now = START + timedelta(hours=1)
    record_outcome(booking, OutcomeInput(status="no_show"), manager, moving_clock.now)
    db.session.commit()
    assert rows(topic="booking.no_show") == []  # off by default
    db.session.add(
        EventTypeNotification(
            event_type_id=event_type.id,
            reminder_minutes=[60],
            no_show_followup=True,
            updated_at=FROZEN_NOW,
        )
    )
    record_outcome(booking, OutcomeInput(status="attended"), manager, moving_clock.now)
    record_outcome(booking, OutcomeInput(status="no_show"), manager, moving_clock.now)
    record_outcome(booking, OutcomeInput(status="no_show", note="x"), manager, moving_clock.now)
    db.session.commit()
    smtp_server.received.clear()
    run_worker(app)
    assert smtp_server.to("ada@example.org") == []  # the no-show email waits 15 minutes
    moving_clock.now += timedelta(minutes=15)
    run_worker(app)
    (sent,) = smtp_server.received  # late reminders (the meeting has started) are dropped
    assert {m.status for m in rows(topic="booking.reminder")} == {"dropped"}
    message = sent.message
    assert message["Subject"].startswith("We missed you")
    assert f"/book/{event_type.slug}" in message.get_body(("plain",)).get_content()
    assert sent.recipients == ["ada@example.org"]


def test_line_breaks_in_names_cannot_add_headers_and_do_not_block_the_mail(
    app, make_event_type, moving_clock, smtp_server
):
    """A name with CR/LF (the booking API accepts any text) is flattened in headers: the
    message is sent, to the one recipient, with no extra header (it used to fail forever)."""
    event_type = make_event_type(title="Call\r\nBcc: evil@example.net")
    evil = Invitee("Eve\r\nBcc: evil@example.net\nX-Evil: 1", "eve@example.org", "UTC", "")
    book(event_type, invitee=evil)
    assert run_worker(app) == 2
    assert {m.status for m in rows(topic="booking.confirmation")} == {"done"}
    (received,) = smtp_server.to("eve@example.org")
    assert received.recipients == ["eve@example.org"]
    message = received.message
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["To"] == '"Eve Bcc: evil@example.net X-Evil: 1" <eve@example.org>'
    assert "\n" not in str(message["Subject"])
    assert all("evil@example.net" not in r.recipients for r in smtp_server.received)


def test_links_follow_public_url_and_never_carry_embed_parameters(
    app, make_event_type, moving_clock, smtp_server
):
    """Even when url_for runs while an embedded page is served (g.embed), mailed links are
    plain pages under PUBLIC_URL."""
    from flask import g

    app.config["PUBLIC_URL"] = "https://book.example.com/rdv/"  # a path once, not twice
    book(make_event_type())
    g.embed, g.ab_param = True, "3.4"
    assert run_worker(app) == 2
    for received in smtp_server.received:
        for part in ("plain", "html"):
            text = received.message.get_body((part,)).get_content()
            links = re.findall(r"https?://[^\s\"<>]+", text)
            ours = [link for link in links if "meet.test.example" not in link]
            assert ours and all(link.startswith("https://book.example.com/rdv/") for link in ours)
            assert not any("/rdv/rdv/" in link for link in ours)
            assert not any("embed=" in link or "ab=" in link for link in links)
