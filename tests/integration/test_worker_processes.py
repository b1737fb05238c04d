"""Real worker processes: SIGKILL between sending and marking, and several workers at once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import OutboxMessage
from scheduling.operations import webhooks as ops
from scheduling.operations.notifications import emit
from tests.conftest import TEST_SECRET
from tests.webhook_receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


def start_worker(app, log: Path, lease: float = 300) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "RENDEZVOUS_SECRET_KEY": TEST_SECRET,
        "RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE": "true",
        "RENDEZVOUS_OUTBOX_LEASE_SECONDS": str(lease),
        "RENDEZVOUS_OUTBOX_BATCH": "5",
    }
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "rendezvous", "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def receiver(app):
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def subscription(make_user, receiver):
    user = make_user(role="manager")
    sub, _ = ops.create_subscription(
        user.organisation_id,
        receiver.url,
        ["booking.created"],
        "",
        user,
        clock.utcnow(),
        secret_key=TEST_SECRET,
        allow_private=True,
    )
    db.session.commit()
    return sub


def statuses() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    db.session.commit()
    return dict(rows)


def test_worker_killed_between_sending_and_marking_resends_the_same_key(
    app, receiver, subscription, tmp_path
):
    log = tmp_path / "worker.log"
    receiver.delay = 3.0  # the worker waits for the answer: time to kill it mid-delivery
    emit(subscription.organisation_id, "booking.created", {"n": 1}, clock.utcnow())
    db.session.commit()
    first = start_worker(app, log, lease=2)
    try:
        assert receiver.arrived.wait(30), log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    message = db.session.scalar(select(OutboxMessage))
    assert (message.status, message.attempts) == ("sending", 1)  # sent, never marked
    db.session.commit()
    receiver.delay = 0
    second = start_worker(app, log, lease=2)
    try:
        assert wait_for(lambda: statuses() == {"done": 1}), log.read_text()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert second.returncode == 0  # SIGTERM: finishes the current message and exits cleanly
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert receiver.requests[0].body == receiver.requests[1].body
    message = db.session.scalar(select(OutboxMessage))
    assert message.attempts == 2


def test_several_workers_never_deliver_a_message_twice(app, receiver, subscription, tmp_path):
    count = 60
    now = clock.utcnow()
    for n in range(count):
        emit(subscription.organisation_id, "booking.created", {"n": n}, now)
    db.session.commit()
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    workers = [start_worker(app, log) for log in logs]
    try:
        done = wait_for(lambda: statuses() == {"done": count}, timeout=60)
        assert done, [log.read_text() for log in logs]
        # A worker still starting (slow imports on a loaded machine) has no SIGTERM handler yet.
        started = wait_for(lambda: all(b"started" in log.read_bytes() for log in logs), 60)
        assert started, [log.read_text() for log in logs]
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(10)
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert len(keys) == count and len(set(keys)) == count
    for worker in workers:
        assert worker.returncode == 0
