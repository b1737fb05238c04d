"""SMTP and webhook receivers that hang, hang up or drip, as real loopback servers: the worker
times out (short timeouts here), records a failed attempt with a retry per the backoff, goes on
with the other rows of its batch, and delivers once the receiver behaves."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import OutboxMessage, WebhookDelivery
from scheduling.operations import webhooks as ops
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.fault_servers import FaultServer
from tests.integration.test_outbox_emails import book

BACKOFF = 30


@pytest.fixture
def worker_app(app, smtp_server):
    app.config.update(
        MAIL_TIMEOUT=0.5,
        WEBHOOK_TIMEOUT=0.5,
        WEBHOOK_ALLOW_PRIVATE=True,
        OUTBOX_BACKOFF_SECONDS=BACKOFF,
    )
    return app


def rows(kind: str) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.topic != "x")
    return [
        row
        for row in db.session.scalars(query.order_by(OutboxMessage.id))
        if row.next_attempt_at <= FROZEN_NOW or row.attempts  # due now or tried (no reminders)
    ]


def run(app) -> int:
    return Worker(app, worker_id="w1").run_once()


def assert_retried_per_backoff(message: OutboxMessage, error_part: str) -> None:
    assert message.status == "pending"
    assert message.attempts == 1
    assert error_part in message.last_error
    # backoff(1) = BACKOFF seconds with jitter; never at once, never the next hour
    wait = (message.next_attempt_at - FROZEN_NOW).total_seconds()
    assert BACKOFF / 2 <= wait <= BACKOFF * 2


@pytest.mark.parametrize(
    "mode, error_part",
    [
        ("hang", "timed out"),
        ("smtp-drop", "Connection unexpectedly closed"),
        ("smtp-drip", "timed out"),
    ],
)
def test_a_faulty_smtp_server_delays_emails_without_blocking_the_batch(
    worker_app, smtp_server, make_event_type, make_user, moving_clock, mode, error_part
):
    event_type = make_event_type()
    manager = make_user(role="manager", org=event_type.organisation)
    with FaultServer(mode=mode) as fault, FaultServer(mode="http-ok") as hooks:
        ops.create_subscription(
            manager.organisation_id,
            hooks.url,
            ["booking.created"],
            "CRM",
            manager,
            FROZEN_NOW,
            secret_key=TEST_SECRET,
            allow_private=True,
        )
        db.session.commit()
        book(event_type)
        worker_app.config["MAIL_PORT"] = fault.port
        assert run(worker_app) == 3  # two confirmations, one webhook: one batch
        emails = rows("email")
        assert len(emails) == 2 and fault.connections == 2  # the second was tried as well
        for message in emails:
            assert_retried_per_backoff(message, error_part)
        (hook,) = rows("webhook")
        assert hook.status == "done" and len(hooks.requests) == 1  # not held up by SMTP
        assert smtp_server.received == []
        if mode == "smtp-drip":
            # MAIL_TIMEOUT bounds the whole conversation: the worker hung up mid-greeting.
            fault.settle()
            assert fault.drips_cut == 2 and fault.drips_finished == 0

        # The server behaves again (here: the working one): the next round delivers, once each.
        worker_app.config["MAIL_PORT"] = smtp_server.port
        moving_clock.now = FROZEN_NOW + timedelta(seconds=BACKOFF * 2)
        assert run(worker_app) == 2
        assert [message.status for message in rows("email")] == ["done", "done"]
        ids = Counter(item.message["Message-ID"] for item in smtp_server.received)
        assert len(ids) == 2 and set(ids.values()) == {1}
        assert len(hooks.requests) == 1


@pytest.mark.parametrize(
    "mode, error_part",
    [("hang", "TimeoutError"), ("http-drop", "ConnectionError"), ("drip", "TimeoutError")],
)
def test_a_faulty_webhook_receiver_is_retried_and_blocks_nothing(
    worker_app, smtp_server, make_event_type, make_user, moving_clock, mode, error_part
):
    event_type = make_event_type()
    manager = make_user(role="manager", org=event_type.organisation)
    with FaultServer(mode=mode) as receiver:
        sub, _ = ops.create_subscription(
            manager.organisation_id,
            receiver.url,
            ["booking.created"],
            "CRM",
            manager,
            FROZEN_NOW,
            secret_key=TEST_SECRET,
            allow_private=True,
        )
        db.session.commit()
        book(event_type)
        assert run(worker_app) == 3
        (hook,) = rows("webhook")
        assert_retried_per_backoff(hook, error_part)
        attempt = db.session.scalar(select(WebhookDelivery))
        assert attempt.result == "failed" and error_part in attempt.error
        # The emails of the same batch went out meanwhile.
        assert [message.status for message in rows("email")] == ["done", "done"]
        assert len(smtp_server.received) == 2
        if mode == "drip":
            # The whole exchange is bounded: the worker hung up while the answer still dripped.
            receiver.settle()
            assert receiver.drips_cut == 1 and receiver.drips_finished == 0

        receiver.mode = "http-ok"
        moving_clock.now = FROZEN_NOW + timedelta(seconds=BACKOFF * 2)
        assert run(worker_app) == 1
        (hook,) = rows("webhook")
        assert hook.status == "done" and hook.attempts == 2
        assert len(receiver.requests) == 1  # delivered once
        assert sub.id == hook.subscription_id
