"""Slots endpoint latency: one host over 7 days, each of 20 hosts over 31 days, a 20-host team.

Run: .venv/bin/python bench/bench_slots.py [--repeat 50] [--database-url URL]
Requests go through the real Flask stack (test client), against a database with 10,000 bookings.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seed import NOW, seed

from scheduling import clock, create_app
from scheduling.extensions import db


def timed(client, url: str, repeat: int) -> list[tuple[float, float]]:
    """(wall ms, this process's CPU ms) per request; CPU time varies less on a shared machine."""
    samples = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append(((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000))
        assert response.status_code == 200, response.text
    return samples


def summary(name: str, samples: list[tuple[float, float]]) -> str:
    walls = sorted(wall for wall, _ in samples)
    p95 = walls[max(0, round(0.95 * len(walls)) - 1)]
    cpu = statistics.median(cpu for _, cpu in samples)
    return f"| {name} | {len(samples)} | {statistics.median(walls):.1f} | {p95:.1f} | {cpu:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    clock.utcnow = lambda: NOW
    with app.app_context():
        db.drop_all()
        db.create_all()
        slugs = seed(NOW)
        db.session.commit()
    client = app.test_client()
    base = "/api/v1/event-types/{}/slots?start=2030-01-07&end={}&timezone=Europe/Berlin"
    week = timed(client, base.format(slugs["singles"][0], "2030-01-13"), args.repeat)
    per_host = []
    for slug in slugs["singles"]:
        per_host += timed(client, base.format(slug, "2030-02-06"), max(1, args.repeat // 10))
    team = timed(client, base.format(slugs["team"], "2030-02-06"), args.repeat)
    print(f"database: {url.split(':')[0]}, 10,000 bookings, 20 hosts")
    print("| case | requests | median ms | p95 ms | median CPU ms |")
    print("| --- | --- | --- | --- | --- |")
    print(summary("1 host, 7 days", week))
    print(summary("each of 20 hosts, 31 days (one request per host)", per_host))
    print(summary("20-member round-robin team, 31 days (union, one request)", team))
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
