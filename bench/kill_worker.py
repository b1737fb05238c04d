"""Kill-the-worker experiment: real `flask rendezvous worker` processes, SIGKILLed at random.

Queues N webhook messages for a local receiver, starts a worker and SIGKILLs it at a random
moment, KILLS times over, then lets a last worker finish (and stops it with SIGTERM). Prints how
many messages were lost (must be 0) and how many were received twice (at most the rows a killed
worker had claimed; the receiver sees the same Idempotency-Key again).

    .venv/bin/python bench/kill_worker.py                     # a scratch SQLite file
    .venv/bin/python bench/kill_worker.py postgresql+psycopg://user@host/scratch_db

The database is emptied and rebuilt: never point it at real data.
"""

import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = int(os.environ.get("MESSAGES", "200"))
KILLS = int(os.environ.get("KILLS", "8"))
SEED = int(os.environ.get("SEED", "1"))


def main(url: str) -> int:
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import func, select, text

    from scheduling import clock, create_app
    from scheduling.extensions import db
    from scheduling.models import Organisation, OutboxMessage
    from scheduling.operations import webhooks as ops
    from scheduling.operations.accounts import create_user
    from scheduling.operations.notifications import emit

    received: collections.Counter = collections.Counter()
    guard = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.08)  # a slow-ish receiver, so kills often land mid-request
            with guard:
                received[self.headers["Idempotency-Key"]] += 1
            try:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app = create_app({"SECRET_KEY": "experiment"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        db.drop_all()
        db.create_all()
        now = clock.utcnow()
        org = Organisation(name="Experiment", slug="experiment", created_at=now)
        db.session.add(org)
        db.session.flush()
        admin = create_user(org, "a@example.org", "A", "correct horse battery", "admin", now)
        ops.create_subscription(
            org.id,
            f"http://127.0.0.1:{server.server_port}/hook",
            ["booking.created"],
            "",
            admin,
            now,
            secret_key="experiment",
            allow_private=True,
        )
        for n in range(MESSAGES):
            emit(org.id, "booking.created", {"n": n}, now)
        db.session.commit()

    env = {
        **os.environ,
        "FLASK_APP": "app",
        "RENDEZVOUS_SECRET_KEY": "experiment",
        "RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE": "true",
        "RENDEZVOUS_OUTBOX_LEASE_SECONDS": "3",
        "RENDEZVOUS_OUTBOX_BATCH": "10",
    }
    command = [sys.executable, "-m", "flask", "rendezvous", "worker", "--interval", "0.2"]

    def start():
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def count(*conditions):
        with app.app_context():
            value = db.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(*conditions)
            )
            db.session.remove()
            return value

    rng = random.Random(SEED)
    claimed_at_kill = []
    for _ in range(KILLS):
        worker = start()
        time.sleep(rng.uniform(1.5, 4.0))  # startup takes about a second
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        claimed_at_kill.append(count(OutboxMessage.status == "sending"))
    last = start()
    deadline = time.monotonic() + 120
    while count(OutboxMessage.status != "done") and time.monotonic() < deadline:
        time.sleep(0.3)
    last.send_signal(signal.SIGTERM)
    last.wait(10)
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    server.shutdown()
    twice = {key: n for key, n in received.items() if n > 1}
    print(f"database {url.split(':')[0]}, {MESSAGES} messages, {KILLS} SIGKILLs, seed {SEED}")
    print(f"claimed but not marked at each kill: {claimed_at_kill}")
    print(f"outbox at the end: {statuses}; last worker's exit code (SIGTERM): {last.returncode}")
    print(f"distinct idempotency keys received: {len(received)}; lost: {MESSAGES - len(received)}")
    print(f"received twice (same key, an in-flight attempt): {len(twice)}")
    return 0 if len(received) == MESSAGES and statuses == {"done": MESSAGES} else 1


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else None
    if target is None:
        target = f"sqlite:///{Path(tempfile.mkdtemp()) / 'kill.db'}"
    sys.exit(main(target))
