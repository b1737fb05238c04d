"""A worker that loses its database mid-batch: when the database is back it records what it
had delivered and delivers the rest of its claims at once (the clock never moves, so nothing
waits for the lease), each email exactly once. Real SMTP; the database is really cut
(tests/db_outage.py)."""

import logging
from collections import Counter

import pytest
from sqlalchemy import select

from scheduling.delivery import worker as worker_module
from scheduling.delivery.emails import deliver_email
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import OutboxMessage
from tests.db_outage import database_outage
from tests.integration.test_outbox_emails import book

MAIL = ("MAIL_HOST", "MAIL_PORT", "MAIL_SECURITY", "MAIL_FROM")


def statuses(app) -> Counter:
    """Read through the test's own app: the worker's may be cut off."""
    with app.app_context():
        db.session.rollback()  # a fresh snapshot
        return Counter(db.session.scalars(select(OutboxMessage.status)))


@pytest.fixture
def outage(app, tmp_path, smtp_server):
    with database_outage(tmp_path, OUTBOX_BATCH=10) as cut:
        cut.app.config.update({key: app.config[key] for key in MAIL})
        yield cut


def test_a_worker_that_lost_the_database_finishes_its_batch_once_it_is_back(
    app, outage, make_event_type, moving_clock, smtp_server, monkeypatch, caplog
):
    event_type = make_event_type()
    book(event_type)
    book(event_type, start=event_type.created_at.replace(day=9, hour=9))
    # 4 confirmations due now; 4 reminders and 2 after-meeting emails (to the hosts) later
    assert statuses(app) == {"pending": 10}

    sent = []

    def deliver_then_lose_the_database(message):
        result = deliver_email(message)
        sent.append(message.id)
        if len(sent) == 2:
            outage.cut()  # the email went out; recording it fails
        return result

    monkeypatch.setitem(worker_module.HANDLERS, "email", deliver_then_lose_the_database)
    worker = Worker(outage.app, worker_id="w1")
    with outage.app.app_context(), caplog.at_level(logging.INFO):
        assert worker.run_round() == 0  # the round broke off: nothing counted
        assert worker.run_round() == 0  # still down: one more quiet round
        assert len(smtp_server.received) == 2
        assert statuses(app) == {"done": 1, "sending": 3, "pending": 6}
        warnings = [r for r in caplog.records if r.name == worker_module.log.name]
        assert [r.levelname for r in warnings] == ["WARNING"]  # one line for the outage
        assert warnings[0].exc_info is None

        outage.restore()
        # The email sent but not recorded is only recorded; the two never tried are delivered.
        assert worker.run_round() == 2
    assert statuses(app) == {"done": 4, "pending": 6}
    ids = Counter(item.message["Message-ID"] for item in smtp_server.received)
    assert len(ids) == 4 and set(ids.values()) == {1}  # each confirmation exactly once
    assert worker.held == {} and worker.unrecorded == {}
