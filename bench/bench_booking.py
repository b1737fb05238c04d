"""Booking POST throughput and latency against gunicorn, through real HTTP, SQLite or PostgreSQL.

Run: .venv/bin/python bench/bench_booking.py [--bookings 1200] [--clients 32] [--workers 2]
     [--threads 1] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/rdv_f_bench]
Seeds a fresh database (20 hosts, 10,000 bookings; a PostgreSQL database given here is wiped),
starts gunicorn on 127.0.0.1, asks the slots API for free times, then books them from --clients
threads at once (every POST a distinct free slot: 201 expected). A second round posts the same
slots again, now taken (409 expected). Last, the resident memory of each worker is read from
/proc. Rate limits are switched off (RENDEZVOUS_RATE_LIMIT_ENABLED=false): they are not measured.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import seed  # noqa: E402
from sqlalchemy import text  # noqa: E402

from scheduling import clock, create_app  # noqa: E402
from scheduling.extensions import db  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection (gunicorn's sync workers close after each answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, payload, headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def percentile(ordered: list[float], share: float) -> float:
    return ordered[max(0, round(share * len(ordered)) - 1)]


def hammer(port: int, jobs: list[tuple[str, str]], clients: int) -> tuple[list, list, float]:
    """POST every job once from `clients` threads; (statuses, latencies in ms, seconds)."""
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
            body = {"event_type": slug, "start": when, "name": "Bench", "email": "b@example.com"}
            began = time.perf_counter()
            status, _ = request(port, "POST", "/api/v1/bookings", body)
            spent = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(spent)
                statuses.append(status)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, latencies, time.perf_counter() - began


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mib(pid: int) -> float:
    """Proportional set size: shared pages (the interpreter, libraries) split between workers."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True)
    return [int(pid) for pid in out.stdout.split()]


def row(name: str, statuses: list[int], expected: int, latencies: list[float], secs: float) -> str:
    ok = statuses.count(expected)
    ordered = sorted(latencies)
    return (
        f"| {name} | {ok} | {len(statuses) - ok} | {secs:.2f} | {ok / secs:.1f} | "
        f"{statistics.median(ordered):.1f} | {percentile(ordered, 0.99):.1f} | "
        f"{ordered[-1]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1200)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (gthread)")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    args = parser.parse_args()
    db_url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    now = clock.utcnow()
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        db.drop_all()
        db.create_all()
        slugs = seed(now - timedelta(days=1))
        db.session.commit()
        db.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "RENDEZVOUS_SECRET_KEY": "bench",
        "RENDEZVOUS_RATE_LIMIT_ENABLED": "false",
    }
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers)]
    if args.threads > 1:
        command += ["--threads", str(args.threads)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        for _ in range(300):
            try:
                request(port, "GET", "/api/v1/event-types/team")
                break
            except OSError:
                time.sleep(0.1)
        rss_idle = [rss_mib(pid) for pid in worker_pids(server.pid)]
        start = (now + timedelta(days=2)).date()
        end = start + timedelta(days=60)
        jobs = []
        for slug in slugs["singles"]:
            _, body = request(
                port,
                "GET",
                f"/api/v1/event-types/{slug}/slots?start={start}&end={end}&timezone=UTC",
            )
            # Every third slot: 30-minute meetings on a 15-minute grid would otherwise collide.
            jobs.append([(slug, when) for when in json.loads(body)["slots"][::3]])
        # Interleave the hosts so that concurrent clients book different hosts, as real traffic.
        jobs = [job for group in zip(*jobs, strict=False) for job in group][: args.bookings]
        created = hammer(port, jobs, args.clients)
        rejected = hammer(port, jobs, args.clients)
        rss_loaded = [rss_mib(pid) for pid in worker_pids(server.pid)]
        pss_loaded = [pss_mib(pid) for pid in worker_pids(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    kind = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    threads = f", {args.threads} threads each" if args.threads > 1 else " (sync)"
    print(
        f"gunicorn {args.workers} workers{threads}, {kind}, {args.clients} concurrent clients, "
        f"{len(jobs)} POSTs per round"
    )
    print("| round | expected | other | seconds | per second | p50 ms | p99 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(row("create (201)", created[0], 201, created[1], created[2]))
    print(row("same slots again (409)", rejected[0], 409, rejected[1], rejected[2]))
    others = sorted({s for s in created[0] + rejected[0] if s not in (201, 409)})
    if others:
        print(f"other statuses seen: {others}")
    idle = ", ".join(f"{value:.1f}" for value in rss_idle)
    loaded = ", ".join(f"{value:.1f}" for value in rss_loaded)
    print(f"worker RSS MiB after first request: {idle}; after both rounds: {loaded}")
    print("worker PSS MiB after both rounds: " + ", ".join(f"{v:.1f}" for v in pss_loaded))


if __name__ == "__main__":
    main()
