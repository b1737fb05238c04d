"""Two gunicorn servers and two outbox workers on one PostgreSQL database, under a mixed load.

The processes share nothing but the database: each server runs its own workers, the two outbox
workers claim from the same table. Clients book one team's event type (round-robin, a daily
limit per host, one member with a daily cap), look at slots, cancel and reschedule, on both
servers at random, for about half a minute. Afterwards the database and what reached the SMTP
server and the webhook receiver must tell the same story: no overlap, no host over a limit, one
confirmation and one booking.created per booking, and every round-robin decision taken on the
counts all earlier decisions left, for the member furthest below their fair share.
"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from scheduling import create_app
from scheduling.extensions import db
from scheduling.models import (
    Assignment,
    Booking,
    EventType,
    Host,
    Organisation,
    OutboxMessage,
    Pool,
    PoolMember,
    WeeklyHours,
)
from tests.conftest import PG_URL, TEST_SECRET, USE_PG, _config
from tests.outbox_fixtures import SmtpSink, _free_port
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.skipif(
    not USE_PG, reason="several processes on one database: PostgreSQL only (set DATABASE_URL)"
)

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
LOAD_SECONDS = 25
CLIENTS = 6
DAILY_LIMIT = 3  # per host and local day, for the event type
CAPPED = ("Cleo", 2)  # one member's daily cap in the team


@pytest.fixture
def scratch_url():
    """A fresh database beside the test database, migrated with `flask db upgrade`."""
    name = f"rdv_c_many_{os.urandom(4).hex()}"
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _env(url: str, smtp: SmtpSink) -> dict:
    return {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": url,
        "RENDEZVOUS_SECRET_KEY": TEST_SECRET,
        "RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE": "true",
        "RENDEZVOUS_MAIL_HOST": smtp.host,
        "RENDEZVOUS_MAIL_PORT": str(smtp.port),
        "RENDEZVOUS_MAIL_SECURITY": "none",
        "RENDEZVOUS_MAIL_FROM": "Bookings <bookings@example.test>",
        "RENDEZVOUS_OUTBOX_BATCH": "5",
        # Six clients on one address would hit the per-address booking limit: this test is
        # about the servers agreeing on bookings (tests/web/test_rate_limits.py covers limits).
        "RENDEZVOUS_RATE_LIMIT_ENABLED": "false",
    }


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(processes: list[subprocess.Popen]) -> list[int]:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(30))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait(10))
    return codes


def _call(method: str, url: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def _days() -> list[date]:
    """Tuesday to Thursday of next week (Berlin): in the future, in one round-robin period."""
    today = datetime.now(BERLIN).date()
    monday = today + timedelta(days=7 - today.weekday())
    return [monday + timedelta(days=n) for n in (1, 2, 3)]


def _seed(app, receiver_url: str) -> dict:
    from scheduling.operations import webhooks
    from scheduling.operations.accounts import create_user
    from scheduling.operations.api_keys import create_api_key

    now = datetime.now(UTC)
    org = Organisation(name="Many", slug="many", created_at=now)
    pool = Pool(organisation=org, name="Closers", period="week", tz="Europe/Berlin", created_at=now)
    hosts = []
    for name in ("Anna", "Ben", "Cleo"):
        host = Host(
            organisation=org,
            name=name,
            email=f"{name.lower()}@example.com",
            tz="Europe/Berlin",
            created_at=now,
        )
        host.weekly_hours = [
            WeeklyHours(weekday=d, start_minute=540, end_minute=720) for d in range(5)
        ]
        cap = CAPPED[1] if name == CAPPED[0] else None
        pool.members.append(PoolMember(host=host, joined_at=now, daily_cap=cap))
        hosts.append(host)
    event_type = EventType(
        organisation=org,
        slug="team-call",
        title="Team call",
        duration=30,
        step=30,
        daily_limit=DAILY_LIMIT,
        pool=pool,
        created_at=now,
    )
    db.session.add_all([org, pool, event_type, *hosts])
    db.session.flush()
    admin = create_user(org, "admin@example.com", "Admin", "correct horse battery", "admin", now)
    webhooks.create_subscription(
        org.id,
        receiver_url,
        ["booking.created", "booking.cancelled", "booking.rescheduled"],
        "",
        admin,
        now,
        secret_key=TEST_SECRET,
        allow_private=True,
    )
    _, token = create_api_key(admin, "Load", "write", now)
    db.session.commit()
    return {"slug": event_type.slug, "token": token, "pool_id": pool.id}


class Load:
    """Clients that look, book, cancel and move, each against a random server."""

    def __init__(self, servers: list[str], slug: str, token: str, days: list[date]):
        self.servers, self.slug, self.token, self.days = servers, slug, token, days
        self.lock = threading.Lock()
        self.attempts: list[tuple[str, int]] = []  # (invitee email, status)
        self.statuses: Counter = Counter()
        self.errors: list = []
        self.counter = 0

    def _slots(self, rng) -> list[str]:
        first, last = self.days[0], self.days[-1]
        url = (
            f"{rng.choice(self.servers)}/api/v1/event-types/{self.slug}/slots"
            f"?start={first}&end={last}&timezone=Europe/Berlin"
        )
        status, body = _call("GET", url)
        self.statuses[("slots", status)] += 1
        return body.get("slots", []) if status == 200 else []

    def client(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        mine: list[dict] = []
        try:
            while time.monotonic() < until:
                slots = self._slots(rng)
                roll = rng.random()
                server = rng.choice(self.servers)
                if mine and roll < 0.15:
                    booking = mine.pop(rng.randrange(len(mine)))
                    url = f"{server}/api/v1/bookings/{booking['id']}/cancel"
                    status, _ = _call("POST", url, {"reason": "load"}, self.token)
                    with self.lock:
                        self.statuses[("cancel", status)] += 1
                elif mine and slots and roll < 0.35:
                    booking = mine.pop(rng.randrange(len(mine)))
                    url = f"{server}/api/v1/bookings/{booking['id']}/reschedule"
                    status, body = _call("POST", url, {"start": rng.choice(slots)}, self.token)
                    with self.lock:
                        self.statuses[("reschedule", status)] += 1
                    mine.append(body if status == 201 else booking)
                elif slots:
                    with self.lock:
                        self.counter += 1
                        email = f"client{seed}-{self.counter}@example.org"
                    body = {
                        "event_type": self.slug,
                        "start": rng.choice(slots),
                        "name": f"Client {seed}",
                        "email": email,
                        "timezone": "Europe/Berlin",
                    }
                    status, answer = _call("POST", f"{server}/api/v1/bookings", body)
                    with self.lock:
                        self.statuses[("book", status)] += 1
                        self.attempts.append((email, status))
                    if status == 201:
                        mine.append(answer)
                else:
                    time.sleep(0.2)  # everything taken: wait for a cancellation
        except Exception as exc:  # reported by the test, not lost in a thread
            self.errors.append(repr(exc))

    def run(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self.client, args=(n, until)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)


def _outbox_settled() -> bool:
    db.session.rollback()
    due = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.next_attempt_at <= datetime.now(UTC),
        )
    )
    return due == 0


def test_two_servers_and_two_workers_share_one_database(scratch_url, tmp_path):
    smtp = SmtpSink("127.0.0.1", _free_port())
    controller = Controller(smtp, hostname=smtp.host, port=smtp.port)
    controller.start()
    receiver = Receiver().start()
    env = _env(scratch_url, smtp)
    migrated = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    app = create_app(_config(SQLALCHEMY_DATABASE_URI=scratch_url))
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []
    with app.app_context():
        seeded = _seed(app, receiver.url)
        try:
            ports = [_free_port(), _free_port()]
            for port in ports:
                logs.append(tmp_path / f"gunicorn-{port}.log")
                args = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2"]
                args += ["--bind", f"127.0.0.1:{port}", "app:app"]
                processes.append(_start(args, env, logs[-1]))
            for n in range(2):
                logs.append(tmp_path / f"worker-{n}.log")
                args = [sys.executable, "-m", "flask", "rendezvous", "worker", "--interval", "0.5"]
                processes.append(_start(args, env, logs[-1]))
            servers = [f"http://127.0.0.1:{port}" for port in ports]
            probe = f"/api/v1/event-types/{seeded['slug']}"
            for server in servers:
                up = _wait_for(lambda s=server: _ping(s + probe), 90)
                assert up, [log.read_text() for log in logs]

            load = Load(servers, seeded["slug"], seeded["token"], _days())
            load.run(LOAD_SECONDS)
            assert not load.errors, load.errors
            assert _stop(processes[:2]) == [0, 0], [log.read_text() for log in logs]
            settled = _wait_for(_outbox_settled, 120)
            assert settled, [log.read_text() for log in logs[2:]]
        finally:
            codes = _stop(processes)
            receiver.stop()
            controller.stop()
        try:
            assert codes == [0] * 4, [log.read_text() for log in logs]
            _check(load, seeded, smtp, receiver)
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection left for a later test's garbage collector


def _ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _root(booking: Booking) -> Booking:
    while booking.rescheduled_from is not None:
        booking = booking.rescheduled_from
    return booking


def _check(load: Load, seeded: dict, smtp: SmtpSink, receiver: Receiver) -> None:
    db.session.rollback()
    statuses = dict(load.statuses)
    booked = [email for email, status in load.attempts if status == 201]
    assert len(booked) >= 9, statuses  # the load did book (and met the limits)
    assert statuses.get(("cancel", 200)) and statuses.get(("reschedule", 201)), statuses
    unexpected = {k: v for k, v in statuses.items() if k[1] >= 500}
    assert not unexpected, statuses

    confirmed = db.session.scalars(select(Booking).where(Booking.status == "confirmed")).all()
    by_host: dict[int, list[Booking]] = defaultdict(list)
    for booking in confirmed:
        by_host[booking.host_id].append(booking)
    for bookings in by_host.values():
        bookings.sort(key=lambda b: b.occupied_from)
        for before, after in pairwise(bookings):
            assert before.occupied_until <= after.occupied_from, (before.id, after.id)
        per_day = Counter(b.start_at.astimezone(BERLIN).date() for b in bookings)
        host = bookings[0].host
        limit = CAPPED[1] if host.name == CAPPED[0] else DAILY_LIMIT
        assert max(per_day.values()) <= limit, (host.name, per_day)

    # One confirmation to the invitee and one booking.created per booking, however it was moved.
    confirmations = Counter(
        address
        for item in smtp.received
        if item.message["Subject"].startswith("Confirmed:")
        for address in item.recipients
    )
    created = Counter(
        body["data"]["booking"]["id"]
        for body in (json.loads(r.body) for r in receiver.requests)
        if body["type"] == "booking.created"
    )
    for booking in confirmed:
        root = _root(booking)
        assert confirmations[root.invitee_email] == 1, root.invitee_email
        assert created[root.uid] == 1, root.uid
    failed = {email for email, status in load.attempts if status != 201}
    assert not failed & set(confirmations), "a refused booking got a confirmation"
    assert set(booked) <= set(confirmations)
    assert sum(created.values()) == len(booked)
    assert all(200 <= r.status < 300 for r in receiver.requests)

    # Round-robin under racing processes: every decision was taken on the counts left by all
    # earlier ones (no two read the same state), and each went to the eligible member furthest
    # below their fair share. The simulation's absolute bound does not apply here: a cancelled
    # booking credits its host back on purpose, and the others wait while that host catches up.
    pool = db.session.get(Pool, seeded["pool_id"])
    decisions = db.session.scalars(select(Assignment).where(Assignment.pool_id == pool.id)).all()
    assert len(decisions) == len(booked), (len(decisions), len(booked))
    seen_before = []
    for decision in decisions:
        candidates = decision.explanation["candidates"]
        seen_before.append(round(sum(c["expected"] for c in candidates), 3))
        eligible = [c for c in candidates if c["skipped"] is None]
        winner = next(c for c in candidates if c["host_id"] == decision.explanation["winner"])
        assert winner["skipped"] is None, decision.explanation
        assert winner["deficit"] >= max(c["deficit"] for c in eligible) - 1e-6, decision.explanation
    assert sorted(seen_before) == [float(n) for n in range(len(decisions))], seen_before
    summary = {k[0] + str(k[1]): v for k, v in sorted(statuses.items())}
    print(
        f"load {summary}; confirmed {len(confirmed)}; emails {len(smtp.received)}; hooks "
        f"{len(receiver.requests)}; decisions {len(decisions)}"
    )
