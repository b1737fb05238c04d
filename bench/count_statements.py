"""Count SQL statements and CPU time per request for the benchmarked requests, in one process.

Run: .venv/bin/python bench/count_statements.py {book,reject,team} [--count 200]
     [--database-url URL] [--show]
Seeds bench/seed.py's data like profile_requests.py, then sends the requests through the Flask
test client, counting statements with a `before_cursor_execute` listener (an executemany counts
once) and this process's CPU time. --show prints the statements of the last request.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import NOW, seed  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from scheduling import clock, create_app  # noqa: E402
from scheduling.extensions import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["book", "reject", "team"])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATE_LIMIT_ENABLED": False}
    )
    clock.utcnow = lambda: NOW
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        db.drop_all()
        db.create_all()
        slugs = seed(NOW)
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    requests = []
    if args.case in ("book", "reject"):
        start = (NOW + timedelta(days=2)).date()
        jobs = []
        for slug in slugs["singles"]:
            found = client.get(
                f"/api/v1/event-types/{slug}/slots?start={start}&end={start + timedelta(days=40)}"
                "&timezone=UTC"
            ).json["slots"]
            jobs.append([(slug, when) for when in found[::3]])
        jobs = [job for group in zip(*jobs, strict=False) for job in group][: args.count]
        for slug, when in jobs:
            body = {"event_type": slug, "start": when, "name": "Bench", "email": "b@example.com"}
            requests.append(("post", "/api/v1/bookings", body))
        if args.case == "reject":
            for _, path, body in requests:
                client.post(path, json=body)
    else:
        path = "/api/v1/event-types/team/slots?start=2030-01-07&end=2030-02-06"
        requests = [("get", path + "&timezone=Europe/Berlin", None)] * args.count
    if requests[0][0] == "get":
        client.get(requests[0][1])
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    per_request = []
    cpu = []
    kinds: Counter = Counter()
    expected = {"book": 201, "reject": 409, "team": 200}[args.case]
    for method, path, body in requests:
        statements.clear()
        started = time.process_time()
        response = client.post(path, json=body) if method == "post" else client.get(path)
        cpu.append((time.process_time() - started) * 1000)
        assert response.status_code == expected, (response.status_code, response.text)
        per_request.append(len(statements))
        kinds.update(s.split()[0].upper() for s in statements)
    n = len(requests)
    print(f"{args.case} on {engine.dialect.name}: {n} requests")
    print(
        f"statements per request: mean {statistics.mean(per_request):.2f}, "
        f"min {min(per_request)}, max {max(per_request)}"
    )
    print("by kind per request: " + ", ".join(f"{k} {v / n:.2f}" for k, v in kinds.most_common()))
    print(
        f"CPU ms per request: median {statistics.median(cpu):.2f}, mean {statistics.mean(cpu):.2f}"
    )
    if args.show:
        for statement in statements:
            print("---", " ".join(statement.split())[:300])


if __name__ == "__main__":
    main()
