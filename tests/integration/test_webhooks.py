"""Webhooks end to end: outbox -> worker -> signed POST to a real receiver on loopback."""

import json
import socket
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from scheduling import clock
from scheduling.delivery.worker import Worker
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import (
    WEBHOOK_EVENTS,
    Lead,
    OutboxMessage,
    Question,
    RoutingForm,
    RoutingRule,
    WebhookDelivery,
)
from scheduling.operations import webhooks as ops
from scheduling.operations.bookings import cancel_booking
from scheduling.operations.notifications import detect_abandoned_leads
from scheduling.operations.outcomes import OutcomeInput, record_outcome
from scheduling.operations.routing import qualify
from scheduling.security.webhook_signature import verify
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.integration.test_outbox_emails import START, book
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def manager(make_user, make_event_type):
    event_type = make_event_type()
    user = make_user(role="manager", org=event_type.organisation)
    user.event_type = event_type
    return user


def subscribe(manager, url, events=WEBHOOK_EVENTS):
    sub, secret = ops.create_subscription(
        manager.organisation_id,
        url,
        list(events),
        "CRM",
        manager,
        FROZEN_NOW,
        secret_key=TEST_SECRET,
        allow_private=True,
    )
    db.session.commit()
    return sub, secret


def webhook_rows():
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        )
    )


def run(app, moving_clock):
    return Worker(app, worker_id="w1").run_once()


@pytest.fixture(autouse=True)
def _webhooks_only(app, monkeypatch):
    """These tests look at webhooks: email delivery is a no-op here."""
    from scheduling.delivery import worker

    monkeypatch.setitem(worker.HANDLERS, "email", lambda message: "dropped")


def test_receiver_failing_three_times_gets_exactly_one_accepted_delivery(
    app,
    manager,
    receiver,
    moving_clock,
):
    receiver.script = [500, 502, 503]
    _, secret = subscribe(manager, receiver.url, ["booking.created"])
    booking = book(manager.event_type)
    for _ in range(10):
        run(app, moving_clock)
        pending = [m for m in webhook_rows() if m.status == "pending"]
        if not pending:
            break
        moving_clock.now = pending[0].next_attempt_at
    assert [r.status for r in receiver.requests] == [500, 502, 503, 200]
    assert len(receiver.accepted()) == 1
    keys = {r.headers["Idempotency-Key"] for r in receiver.requests}
    bodies = {r.body for r in receiver.requests}
    assert len(keys) == 1 and len(bodies) == 1
    for request in receiver.requests:
        timestamp = int(request.headers["Rendezvous-Signature"].split(",")[0][2:])
        assert verify(request.headers["Rendezvous-Signature"], secret, request.body, timestamp)
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "booking.created"
    assert body["api_version"] and body["id"].startswith("evt_") and body["created_at"]
    assert body["data"]["booking"]["id"] == booking.uid
    assert body["data"]["booking"]["start"] == "2030-01-08T09:00:00Z"
    (message,) = webhook_rows()
    assert message.status == "done" and message.attempts == 4
    log = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(d.result, d.response_code, d.attempt) for d in log] == [
        ("failed", 500, 1),
        ("failed", 502, 2),
        ("failed", 503, 3),
        ("ok", 200, 4),
    ]
    assert run(app, moving_clock) == 0


def test_a_tampered_or_old_signature_does_not_verify(app, manager, receiver, moving_clock):
    _, secret = subscribe(manager, receiver.url, ["booking.created"])
    book(manager.event_type)
    run(app, moving_clock)
    (request,) = receiver.requests
    header = request.headers["Rendezvous-Signature"]
    sent_at = int(FROZEN_NOW.timestamp())
    assert verify(header, secret, request.body, sent_at)
    assert not verify(header, secret, request.body + b" ", sent_at)
    assert not verify(header, "whsec_other", request.body, sent_at)
    assert not verify(header, secret, request.body, sent_at + 301)


def documented_verify(now: float):
    """The receiver check of docs/webhooks.md, run as written, with its clock at `now`."""
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    snippet = text.split("Receiver check (Python, standard library only):", 1)[1]
    code = snippet.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)
    namespace["time"] = SimpleNamespace(time=lambda: now)
    return namespace["verify"]


def test_the_documented_receiver_check_accepts_a_real_delivery_and_rejects_replays(
    app, manager, receiver, moving_clock
):
    sub, old = subscribe(manager, receiver.url, ["booking.created"])
    new = ops.rotate_secret(sub, manager, FROZEN_NOW, secret_key=TEST_SECRET, hours=24)
    db.session.commit()
    book(manager.event_type)
    run(app, moving_clock)
    (request,) = receiver.requests
    header, body = request.headers["Rendezvous-Signature"], request.body
    sent_at = FROZEN_NOW.timestamp()
    verify_as_documented = documented_verify(sent_at + 10)
    assert verify_as_documented(header, body, new)
    assert verify_as_documented(header, body, old)  # rotation window: both secrets
    assert not verify_as_documented(header, body + b" ", new)
    assert not verify_as_documented(header, body, "whsec_other")
    assert not documented_verify(sent_at + 301)(header, body, new)  # a replay, later
    assert not documented_verify(sent_at - 301)(header, body, new)  # from the future
    assert not verify_as_documented("t=\u00b2,v1=00", body, new)  # an answer, not a crash


def test_a_garbled_answer_is_a_logged_failed_attempt(app, manager, moving_clock):
    """A receiver that does not speak HTTP: logged and retried, the worker carries on."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    server = socket.create_server(("127.0.0.1", 0))

    def answer_garbage():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"this is not HTTP\r\n\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    try:
        subscribe(manager, f"http://127.0.0.1:{server.getsockname()[1]}/hook", ["booking.created"])
        book(manager.event_type)
        run(app, moving_clock)
    finally:
        thread.join(5)
        server.close()
    (message,) = webhook_rows()
    assert message.status == "pending" and "not valid HTTP" in message.last_error
    (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.result == "failed" and "not valid HTTP" in delivery.error


def test_rotation_signs_with_both_secrets_until_the_window_ends(
    app,
    manager,
    receiver,
    moving_clock,
):
    sub, old = subscribe(manager, receiver.url, ["booking.created", "booking.cancelled"])
    new = ops.rotate_secret(sub, manager, FROZEN_NOW, secret_key=TEST_SECRET, hours=24)
    db.session.commit()
    booking = book(manager.event_type)
    run(app, moving_clock)
    header = receiver.requests[0].headers["Rendezvous-Signature"]
    assert header.count("v1=") == 2
    now = int(FROZEN_NOW.timestamp())
    assert verify(header, old, receiver.requests[0].body, now)
    assert verify(header, new, receiver.requests[0].body, now)
    moving_clock.now = FROZEN_NOW + timedelta(hours=25)
    cancel_booking(booking, "", FROZEN_NOW)
    db.session.commit()
    run(app, moving_clock)
    header = receiver.requests[1].headers["Rendezvous-Signature"]
    assert header.count("v1=") == 1
    later = int(moving_clock.now.timestamp())
    assert verify(header, new, receiver.requests[1].body, later)
    assert not verify(header, old, receiver.requests[1].body, later)


def test_gone_disables_the_subscription(app, manager, receiver, moving_clock):
    receiver.default = 410
    sub, _ = subscribe(manager, receiver.url, ["booking.created", "booking.cancelled"])
    booking = book(manager.event_type)
    run(app, moving_clock)
    db.session.refresh(sub)
    assert not sub.active and "410" in sub.disabled_reason
    assert webhook_rows()[0].status == "failed"
    cancel_booking(booking, "", FROZEN_NOW)
    db.session.commit()
    assert len(webhook_rows()) == 1  # nothing queued for a disabled subscription


def test_private_addresses_are_refused_unless_allowed(app, manager, receiver, moving_clock):
    subscribe(manager, receiver.url, ["booking.created"])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    book(manager.event_type)
    run(app, moving_clock)
    assert receiver.requests == []
    (message,) = webhook_rows()
    assert message.status == "failed" and "not a public address" in message.last_error
    assert db.session.scalar(select(WebhookDelivery)).result == "refused"
    with pytest.raises(InvalidRequest) as caught:
        ops.check_subscription("http://127.0.0.1:9/x", ["booking.created"], allow_private=False)
    assert "not a public address" in caught.value.fields["url"]
    with pytest.raises(InvalidRequest) as caught:
        ops.check_subscription("ftp://example.com/", [], allow_private=False)
    assert set(caught.value.fields) == {"url", "events"}


def test_redirects_are_not_followed(app, manager, receiver, moving_clock):
    other = Receiver().start()
    try:
        receiver.default, receiver.location = 302, other.url
        subscribe(manager, receiver.url, ["booking.created"])
        book(manager.event_type)
        run(app, moving_clock)
        assert len(receiver.requests) == 1 and other.requests == []
        (message,) = webhook_rows()
        assert message.status == "pending" and message.last_error.endswith("HTTP 302")
    finally:
        other.stop()


def test_a_slow_receiver_times_out(app, manager, receiver, moving_clock):
    app.config["WEBHOOK_TIMEOUT"] = 0.3
    receiver.delay = 1.5
    subscribe(manager, receiver.url, ["booking.created"])
    book(manager.event_type)
    run(app, moving_clock)
    (message,) = webhook_rows()
    assert message.status == "pending" and "timed out" in message.last_error


def test_only_subscribed_events_and_outcomes(app, manager, receiver, moving_clock):
    subscribe(manager, receiver.url, ["booking.outcome_recorded"])
    booking = book(manager.event_type)
    assert webhook_rows() == []
    moving_clock.now = START + timedelta(hours=1)
    record_outcome(booking, OutcomeInput(status="no_show"), manager, moving_clock.now)
    db.session.commit()
    run(app, moving_clock)
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "booking.outcome_recorded"
    assert body["data"]["booking"]["outcome"]["status"] == "no_show"


def _form(manager):
    event_type = manager.event_type
    form = RoutingForm(
        organisation_id=manager.organisation_id,
        name="Fit",
        fallback_kind="host",
        fallback_target_id=event_type.hosts[0].id,
        created_at=FROZEN_NOW,
    )
    form.questions = [
        Question(key="email", label="Email", kind="email", required=True, position=0),
        Question(
            key="budget",
            label="Budget",
            kind="single_choice",
            required=True,
            position=1,
            choices=[{"value": "small", "label": "S"}, {"value": "large", "label": "L"}],
        ),
    ]
    form.rules = [
        RoutingRule(
            name="Too small",
            position=0,
            action_kind="disqualify",
            conditions=[{"field": "budget", "operator": "equals", "value": "small"}],
            message="Sorry.",
        )
    ]
    db.session.add(form)
    event_type.routing_form = form
    db.session.commit()
    return event_type


def test_lead_events_and_abandoned_once(app, manager, receiver, moving_clock):
    subscribe(manager, receiver.url, ["lead.qualified", "lead.disqualified", "lead.abandoned"])
    event_type = _form(manager)
    good = qualify(event_type, {"email": "a@example.org", "budget": "large"}, FROZEN_NOW)
    qualify(event_type, {"email": "b@example.org", "budget": "small"}, FROZEN_NOW)
    db.session.commit()
    run(app, moving_clock)
    types = sorted(json.loads(r.body)["type"] for r in receiver.requests)
    assert types == ["lead.disqualified", "lead.qualified"]
    moving_clock.now = FROZEN_NOW + timedelta(minutes=61)
    for _ in range(2):  # two scans (or two workers) report it once
        assert detect_abandoned_leads(moving_clock.now, 60) == 1
        db.session.commit()
    run(app, moving_clock)
    abandoned = [json.loads(r.body) for r in receiver.requests[2:]]
    assert [a["type"] for a in abandoned] == ["lead.abandoned"]
    assert abandoned[0]["data"]["lead"]["id"] == good.uid
    assert db.session.get(Lead, good.id).status == "qualified"


def test_send_again_queues_the_same_event_with_a_new_key(app, manager, receiver, moving_clock):
    subscribe(manager, receiver.url, ["booking.created"])
    book(manager.event_type)
    run(app, moving_clock)
    (first,) = webhook_rows()
    ops.send_again(first, manager, clock.utcnow())
    db.session.commit()
    run(app, moving_clock)
    one, two = receiver.requests
    assert json.loads(one.body)["id"] == json.loads(two.body)["id"]
    assert one.headers["Idempotency-Key"] != two.headers["Idempotency-Key"]
