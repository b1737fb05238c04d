"""Every email template, rendered by the worker and sent over SMTP, links only to the app
(PUBLIC_URL) and, for a video call, to the configured video service: no third party."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from scheduling import clock
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import CalendarConnection, EventTypeNotification, OutboxMessage
from scheduling.operations.account_links import invite_user, send_password_link
from scheduling.operations.bookings import (
    Invitee,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from scheduling.operations.calendar_connections import mark_needs_reconnect
from scheduling.operations.outcomes import OutcomeInput, record_outcome
from tests.conftest import FROZEN_NOW
from tests.third_party_urls import external_urls

PUBLIC_URL = "https://book.acme.example"
VIDEO = "https://meet.test.example"
START = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
INVITEE = Invitee("Ada Lovelace", "ada@example.org", "Europe/London", "About the offer")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"


def run_worker(app) -> None:
    Worker(app, worker_id="test-worker").run_once()


def book(event_type, start):
    booking = create_booking(event_type, start, INVITEE, clock.utcnow(), video_base_url=VIDEO)
    db.session.commit()
    return booking


def test_every_email_links_only_to_the_app_and_the_video_service(
    app, make_event_type, make_user, moving_clock, smtp_server
):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    event_type = make_event_type(locations=[{"kind": "video", "detail": ""}])
    manager = make_user(role="manager", org=event_type.organisation)
    db.session.add(
        EventTypeNotification(
            event_type_id=event_type.id,
            reminder_minutes=[60],
            no_show_followup=True,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    moved = book(event_type, START)
    missed = book(event_type, START + timedelta(hours=2))
    dropped = book(event_type, START + timedelta(hours=4))
    run_worker(app)  # confirmations
    reschedule_booking(moved, START + timedelta(hours=6), FROZEN_NOW, video_base_url=VIDEO)
    cancel_booking(dropped, "Plans changed", FROZEN_NOW)
    db.session.commit()
    run_worker(app)  # rescheduled, cancelled
    moving_clock.now = missed.start_at - timedelta(minutes=59)
    run_worker(app)  # the reminder
    moving_clock.now = START + timedelta(hours=7)  # every meeting over
    run_worker(app)  # the hosts' after-meeting emails
    record_outcome(missed, OutcomeInput(status="no_show"), manager, moving_clock.now)
    admin = make_user(role="admin", org=event_type.organisation)
    invite_user(admin, "Rita Rep", "rita@acme.example", "manager", None, moving_clock.now)
    send_password_link(admin, manager, moving_clock.now)
    db.session.commit()
    run_worker(app)  # the invitation, the set-password link
    # A host's Google calendar connection ended by the provider: the reconnect email.
    connection = CalendarConnection(
        organisation_id=event_type.organisation_id,
        host_id=event_type.hosts[0].id,
        provider="google",
        account_email="host@gmail.example",
        created_at=moving_clock.now,
        updated_at=moving_clock.now,
    )
    db.session.add(connection)
    db.session.flush()
    mark_needs_reconnect(connection, "invalid_grant", moving_clock.now)
    db.session.commit()
    moving_clock.now += timedelta(minutes=20)
    run_worker(app)  # the no-show follow-up (after its 15-minute delay), the reconnect email

    sent_topics = set(
        db.session.scalars(
            select(OutboxMessage.topic).where(
                OutboxMessage.kind == "email", OutboxMessage.status == "done"
            )
        )
    )
    templates = {  # emails/account_invite.html is the topic account.invite, and so on
        p.stem.replace("_", ".", 1)
        if p.stem.startswith(("account_", "calendar_"))
        else f"booking.{p.stem}"
        for p in TEMPLATES.glob("*.html")
        if not p.stem.startswith("_")
    }
    assert sent_topics == templates, "an email template was not rendered by this test"
    assert smtp_server.received
    problems = []
    for received in smtp_server.received:
        message = received.message
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        subject = message["Subject"]
        assert PUBLIC_URL in html + text, subject  # links to the app use PUBLIC_URL
        for part, body in (("html", html), ("text", text)):
            bad = external_urls(body, own=(PUBLIC_URL,), allowed=(VIDEO,), bare=True)
            problems += [f"{subject} ({part}): {url}" for url in bad]
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_third_party_reference():
    """The URL check itself: each kind of reference to another origin is found."""
    own = (PUBLIC_URL,)
    html = (
        '<img src="https://cdn.example.net/x.png"><a href="//evil.example/">x</a>'
        '<form action="http://track.example/f"></form>'
        '<meta http-equiv="refresh" content="0;url=https://away.example/">'
        '<img srcset="/a.png 1x, https://i.example/b.png 2x">'
        '<div style="background:url(https://fonts.example/f.woff)"></div>'
        f'<a href="{PUBLIC_URL}/booking/x">ok</a><a href="/relative">ok</a>'
        f'<a href="{VIDEO}/room">ok</a><a href="mailto:a@b.example">ok</a>'
    )
    found = external_urls(html, own=own, allowed=(VIDEO,))
    assert found == [
        "https://cdn.example.net/x.png",
        "//evil.example/",
        "http://track.example/f",
        "https://i.example/b.png",
        "https://fonts.example/f.woff",
        "https://away.example/",
    ]
    assert external_urls("Join: https://other-video.example/r", own, (VIDEO,), bare=True)
    assert external_urls(f"See {PUBLIC_URL}.evil.example/x", own, bare=True)
    assert not external_urls(f"Open {PUBLIC_URL}/booking/x", own, bare=True)
