"""One-click outcomes from the bookings list and the week calendar; the no-show's delay and undo."""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from scheduling import clock
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import (
    AuditEntry,
    EventTypeNotification,
    LostReason,
    OutboxMessage,
    Outcome,
    WebhookSubscription,
)
from scheduling.operations.bookings import Invitee, create_booking
from tests.conftest import FROZEN_NOW, csrf_from

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # a Monday; FROZEN_NOW is 08:00 that day
LATER = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def book(event_type, start, name="Ada Lovelace"):
    booking = create_booking(
        event_type,
        start,
        Invitee(name, f"{name.split()[0].lower()}@example.org", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url="https://meet.test.example",
    )
    db.session.commit()
    return booking


def outcome_of(booking_id):
    db.session.rollback()
    return db.session.scalar(select(Outcome).where(Outcome.booking_id == booking_id))


def messages(topic):
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
    )


def quick_forms(page_html, booking_id):
    """The one-click forms for this booking on a page (action and CSRF token)."""
    action = f'action="/admin/bookings/{booking_id}/outcome/quick"'
    return [chunk for chunk in page_html.split("<form")[1:] if action in chunk.split(">")[0]]


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def world(make_org, make_host, make_event_type, frozen_now, monkeypatch):
    org = make_org(default_currency="CHF")
    host = make_host(org=org, name="Anna Closer", tz="UTC")
    other = make_host(org=org, name="Ben Closer", tz="UTC")
    event_type = make_event_type(hosts=[host])
    other_type = make_event_type(hosts=[other])
    past = book(event_type, START)
    future = book(event_type, START + timedelta(days=1), "Fay Future")
    others = book(other_type, START, "Bob Buyer")
    reason = LostReason(organisation=org, label="Price", position=1)
    db.session.add(reason)
    db.session.add(
        WebhookSubscription(
            organisation_id=org.id,
            url="https://hooks.example/",
            events=["booking.outcome_recorded"],
            secret_enc="x",
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.add(
        EventTypeNotification(
            event_type_id=event_type.id,
            reminder_minutes=[],
            no_show_followup=True,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    fake = Clock(LATER)
    monkeypatch.setattr(clock, "utcnow", fake)
    return SimpleNamespace(
        org=org,
        host=host,
        other=other,
        past=past,
        future=future,
        others=others,
        reason=reason,
        clock=fake,
    )


def click(client, page_url, booking, **data):
    """Submit the booking's one-click form as shown on the page (its CSRF token and `next`)."""
    page = client.get(page_url)
    (form, *_) = quick_forms(page.text, booking.id)
    next_value = html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    return client.post(
        f"/admin/bookings/{booking.id}/outcome/quick",
        data={"csrf_token": csrf_from(form), "next": next_value, **data},
    )


PAGES = {"list": "/admin/bookings?status=confirmed", "calendar": "/admin/calendar?week=2030-01-07"}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("status", "extra", "check"),
    [
        ("attended", {}, lambda o: o.deal_value is None),
        ("no_show", {}, lambda o: o.lost_reason_id is None),
        ("won", {"deal_value": "1500,5"}, lambda o: o.deal_value == Decimal("1500.50")),
        ("lost", {"lost_reason_id": "REASON"}, lambda o: o.lost_reason.label == "Price"),
    ],
)
def test_each_button_records_the_outcome_and_queues_the_webhook(
    client, login_as, world, page, status, extra, check
):
    login_as("rep", host=world.host)
    extra = {k: str(world.reason.id) if v == "REASON" else v for k, v in extra.items()}
    response = click(client, PAGES[page], world.past, status=status, **extra)
    assert response.status_code == 302
    assert response.headers["Location"] == PAGES[page]  # back where the click came from
    outcome = outcome_of(world.past.id)
    assert outcome.status == status and check(outcome)
    if status == "won":
        assert outcome.currency == "CHF"
    (hook,) = messages("booking.outcome_recorded")
    assert hook.payload["body"]["data"]["booking"]["outcome"]["status"] == status
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outcome.create"))


@pytest.mark.parametrize("page", PAGES)
def test_buttons_only_for_started_calls(client, login_as, world, page):
    login_as("rep", host=world.host)
    text = client.get(PAGES[page]).text
    assert len(quick_forms(text, world.past.id)) >= 1
    assert quick_forms(text, world.future.id) == []
    for label in ("Held", "No-show", "Won", "Lost"):
        assert f">{label}</button>" in quick_forms(text, world.past.id)[0]


def test_won_without_value_and_lost_without_reason_change_nothing(client, login_as, world):
    login_as("rep", host=world.host)
    for data, message in (
        ({"status": "won"}, "Enter the deal value of a won deal"),
        ({"status": "lost"}, "Choose why the deal was lost."),
        ({"status": "lost", "lost_reason_id": "99999"}, "Choose one of the listed reasons."),
        ({"status": "maybe"}, "Choose what happened on the call."),
    ):
        response = click(client, PAGES["list"], world.past, **data)
        assert response.status_code == 302
        assert message in html.unescape(client.get(response.headers["Location"]).text)
        assert outcome_of(world.past.id) is None
    assert messages("booking.outcome_recorded") == []


def test_future_call_foreign_call_and_missing_csrf_are_refused(client, login_as, world):
    login_as("rep", host=world.host)
    token = csrf_from(client.get("/admin/account").text)
    future = client.post(
        f"/admin/bookings/{world.future.id}/outcome/quick",
        data={"csrf_token": token, "status": "attended"},
    )
    assert future.status_code == 302
    assert "once the call has started" in client.get("/admin/bookings").text
    assert outcome_of(world.future.id) is None
    foreign = client.post(
        f"/admin/bookings/{world.others.id}/outcome/quick",
        data={"csrf_token": token, "status": "attended"},
    )
    assert foreign.status_code == 404 and outcome_of(world.others.id) is None
    forged = client.post(
        f"/admin/bookings/{world.past.id}/outcome/quick", data={"status": "attended"}
    )
    assert forged.status_code in (302, 400) and outcome_of(world.past.id) is None
    offsite = client.post(
        f"/admin/bookings/{world.past.id}/outcome/quick",
        data={"csrf_token": token, "status": "attended", "next": "https://evil.example/"},
    )
    assert offsite.headers["Location"] == "/admin/bookings"


def run_worker(app):
    return Worker(app, worker_id="test-worker").run_once()


def test_no_show_email_waits_the_delay_and_undo_drops_it(app, client, login_as, world, smtp_server):
    login_as("rep", host=world.host)
    response = click(client, PAGES["list"], world.past, status="no_show")
    page = client.get(response.headers["Location"]).text
    assert "marked as a no-show" in page
    undo_form = page.split('class="undo"')[1].split("</form>")[0]
    assert f'action="/admin/bookings/{world.past.id}/outcome/undo"' in undo_form
    (email,) = messages("booking.no_show")
    assert email.next_attempt_at == LATER + timedelta(minutes=15)
    run_worker(app)  # the confirmations go now
    smtp_server.received.clear()
    world.clock.now = LATER + timedelta(minutes=14)
    run_worker(app)
    assert smtp_server.to("ada@example.org") == []  # not before the delay
    undo = client.post(
        f"/admin/bookings/{world.past.id}/outcome/undo",
        data={"csrf_token": csrf_from(undo_form), "next": "/admin/bookings"},
    )
    assert undo.status_code == 302
    assert "no email goes out" in client.get("/admin/bookings").text
    assert outcome_of(world.past.id) is None
    assert [m.status for m in messages("booking.no_show")] == ["dropped"]
    world.clock.now = LATER + timedelta(hours=1)
    run_worker(app)
    assert smtp_server.to("ada@example.org") == []
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outcome.undo"))


def test_no_show_email_goes_after_the_delay(app, client, login_as, world, smtp_server):
    world.org.no_show_delay_minutes = 5
    db.session.commit()
    login_as("rep", host=world.host)
    click(client, PAGES["calendar"], world.past, status="no_show")
    run_worker(app)
    smtp_server.received.clear()
    world.clock.now = LATER + timedelta(minutes=4)
    run_worker(app)
    assert smtp_server.to("ada@example.org") == []
    world.clock.now = LATER + timedelta(minutes=5)
    run_worker(app)
    (sent,) = smtp_server.to("ada@example.org")
    assert sent.message["Subject"].startswith("We missed you")


def test_another_outcome_instead_cancels_the_waiting_no_show_email(
    app, client, login_as, world, smtp_server
):
    login_as("rep", host=world.host)
    click(client, PAGES["list"], world.past, status="no_show")
    click(client, PAGES["list"], world.past, status="attended")
    assert [m.status for m in messages("booking.no_show")] == ["dropped"]
    # Marked a no-show again: a new email waits (the first marking's was dropped).
    click(client, PAGES["list"], world.past, status="no_show")
    assert [m.status for m in messages("booking.no_show")] == ["dropped", "pending"]
    run_worker(app)
    smtp_server.received.clear()
    world.clock.now = LATER + timedelta(minutes=20)
    run_worker(app)
    (sent,) = smtp_server.to("ada@example.org")
    assert sent.message["Subject"].startswith("We missed you")


def test_undo_of_a_call_that_is_not_a_no_show_changes_nothing(client, login_as, world):
    login_as("rep", host=world.host)
    click(client, PAGES["list"], world.past, status="attended")
    token = csrf_from(client.get("/admin/account").text)
    response = client.post(
        f"/admin/bookings/{world.past.id}/outcome/undo", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert "Nothing to undo" in client.get("/admin/bookings").text
    assert outcome_of(world.past.id).status == "attended"
    foreign = client.post(
        f"/admin/bookings/{world.others.id}/outcome/undo", data={"csrf_token": token}
    )
    assert foreign.status_code == 404
