"""Claims: disjoint between workers, expiring with the lease, renewed in long batches; the
handler and periodic-task registries."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduling.delivery import worker as worker_module
from scheduling.delivery.worker import Worker, register_handler, register_periodic
from scheduling.extensions import db
from scheduling.models import OutboxMessage
from scheduling.operations import outbox
from tests.conftest import FROZEN_NOW, USE_PG

LEASE = 300


@pytest.fixture
def org_id(make_org):
    return make_org().id


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setitem(worker_module.HANDLERS, "test", lambda message: seen.append(message.id))
    monkeypatch.setattr(worker_module, "PERIODIC", {})
    return seen


def queue(org_id, count):
    ids = [outbox.enqueue(org_id, "test", "t", {}, f"k{n}", FROZEN_NOW).id for n in range(count)]
    db.session.commit()
    return ids


def claim(worker_id, limit=10):
    ids = outbox.claim_due(worker_id, FROZEN_NOW, limit, LEASE)
    db.session.commit()
    return ids


def test_claims_are_disjoint_and_expire(app, org_id, moving_clock):
    ids = queue(org_id, 3)
    first = claim("a", limit=2)
    second = claim("b")
    assert sorted(first + second) == ids and not set(first) & set(second)
    assert claim("b") == []
    later = outbox.claim_due("b", FROZEN_NOW + timedelta(seconds=LEASE), 10, LEASE)
    db.session.commit()
    assert sorted(later) == sorted(first + second)  # every lease ran out: all taken over
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {row.locked_by for row in rows} == {"b"}
    assert {row.attempts for row in rows} == {2}


def test_a_lost_claim_is_not_delivered(app, org_id, moving_clock, calls):
    (message_id,) = queue(org_id, 1)
    claim("a")
    moving_clock.now = FROZEN_NOW + timedelta(seconds=LEASE + 1)
    assert outbox.claim_due("b", moving_clock.now, 10, LEASE) == [message_id]
    db.session.commit()
    slow = Worker(app, worker_id="a")
    assert slow.deliver(message_id) == "lost"
    assert calls == []
    assert Worker(app, worker_id="b").deliver(message_id) == "done"
    assert calls == [message_id]


def test_a_half_spent_claim_is_renewed(app, org_id, moving_clock, calls):
    (message_id,) = queue(org_id, 1)
    claim("a")
    moving_clock.now = FROZEN_NOW + timedelta(seconds=LEASE * 0.6)
    assert Worker(app, worker_id="a")._still_ours(message_id)
    row = db.session.get(OutboxMessage, message_id)
    assert row.locked_until == moving_clock.now + timedelta(seconds=LEASE)


def test_unknown_kind_fails_for_good_after_the_attempts(app, org_id, moving_clock):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    outbox.enqueue(org_id, "nobody-handles-this", "t", {}, "k", FROZEN_NOW)
    db.session.commit()
    Worker(app, worker_id="a").run_once()
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "failed" and "no handler" in row.last_error


def test_a_message_whose_workers_keep_dying_stops_after_the_attempts(
    app, org_id, moving_clock, calls
):
    """Claims that run out count as attempts: a message that kills every worker that tries
    it is marked failed (visible, with retry) instead of being tried forever."""
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    (message_id,) = queue(org_id, 1)
    for n in range(3):  # three workers claim it and die without a word
        moving_clock.now = FROZEN_NOW + timedelta(seconds=(LEASE + 1) * n)
        assert outbox.claim_due(f"dead{n}", moving_clock.now, 10, LEASE) == [message_id]
        db.session.commit()
    assert Worker(app, worker_id="dead2").deliver(message_id) == "failed"
    assert calls == []
    row = db.session.get(OutboxMessage, message_id)
    db.session.refresh(row)
    assert row.status == "failed" and "Gave up after 2 attempts" in row.last_error


def test_periodic_tasks_run_on_their_schedule(app, org_id, moving_clock, calls):
    runs = []
    register_periodic("probe", runs.append, 60)
    register_handler("test", lambda message: None)
    worker = Worker(app, worker_id="a")
    worker.run_once()
    moving_clock.now = FROZEN_NOW + timedelta(seconds=59)
    worker.run_once()
    moving_clock.now = FROZEN_NOW + timedelta(seconds=60)
    worker.run_once()
    assert runs == [FROZEN_NOW, FROZEN_NOW + timedelta(seconds=60)]


@pytest.mark.skipif(not USE_PG, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_skip_locked_hands_a_second_worker_other_rows_without_waiting(app, org_id):
    ids = queue(org_id, 4)
    first = outbox.claim_due("a", FROZEN_NOW, 2, LEASE)  # transaction left open: rows locked
    result = {}

    def other_worker():
        with app.app_context():
            result["ids"] = outbox.claim_due("b", FROZEN_NOW, 10, LEASE)
            db.session.commit()

    thread = threading.Thread(target=other_worker)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the second claim waited for the first"
    db.session.commit()
    assert sorted(first + result["ids"]) == ids and not set(first) & set(result["ids"])
