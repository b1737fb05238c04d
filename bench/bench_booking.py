"""Booking POST throughput against gunicorn (2 workers) on SQLite, through real HTTP.

Run: .venv/bin/python bench/bench_booking.py [--bookings 400] [--clients 8]
Seeds a fresh database (20 hosts, 10,000 bookings), starts gunicorn on 127.0.0.1, asks the slots
API for free times, then books them from several client threads at once.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import seed  # noqa: E402

from scheduling import clock, create_app  # noqa: E402
from scheduling.extensions import db  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def post_json(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp()
    db_url = f"sqlite:///{workdir}/bench.db"
    now = clock.utcnow()
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        slugs = seed(now - timedelta(days=1))
        db.session.commit()
        db.engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "RENDEZVOUS_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                get_json(f"{base}/api/v1/event-types/team")
                break
            except OSError:
                time.sleep(0.1)
        start = (now + timedelta(days=2)).date()
        end = start + timedelta(days=27)
        jobs = []
        for slug in slugs["singles"]:
            found = get_json(
                f"{base}/api/v1/event-types/{slug}/slots?start={start}&end={end}&timezone=UTC"
            )["slots"]
            # Every third slot: 30-minute meetings on a 15-minute grid would otherwise collide.
            jobs += [(slug, when) for when in found[::3]]
        jobs = jobs[: args.bookings]
        latencies: list[float] = []
        statuses: list[int] = []
        lock = threading.Lock()
        cursor = iter(range(len(jobs)))

        def worker():
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                slug, when = jobs[index]
                began = time.perf_counter()
                status = post_json(
                    f"{base}/api/v1/bookings",
                    {"event_type": slug, "start": when, "name": "Bench", "email": "b@example.com"},
                )
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
                    statuses.append(status)

        began = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = statuses.count(201)
    ordered = sorted(latencies)
    print(f"gunicorn 2 workers, SQLite, {args.clients} concurrent clients, {len(jobs)} POSTs")
    print("| created (201) | other | seconds | bookings/s | median ms | p95 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"| {ok} | {len(statuses) - ok} | {elapsed:.2f} | {ok / elapsed:.1f} | "
        f"{statistics.median(ordered):.1f} | {p95:.1f} |"
    )


if __name__ == "__main__":
    main()
