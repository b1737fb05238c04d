"""Profile the benchmarked requests in one process with pyinstrument (bench/requirements.txt).

Run: .venv/bin/python bench/profile_requests.py {book,reject,team,feed} [--count 200]
     [--database-url URL]
Seeds the data of bench/seed.py (or bench_feeds' 5,000-booking host for `feed`), then sends the
requests through the Flask test client under the profiler and prints where the time goes.
"""

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pyinstrument import Profiler  # noqa: E402
from seed import NOW, seed  # noqa: E402
from sqlalchemy import text  # noqa: E402

from scheduling import clock, create_app  # noqa: E402
from scheduling.extensions import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["book", "reject", "team", "feed"])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database-url", default="")
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
        if args.case == "feed":
            import bench_feeds
            from bench_feeds import seed as seed_feed

            from scheduling.ical import event_bytes
            from scheduling.operations.calendar_feeds import regenerate_feed

            clock.utcnow = lambda: bench_feeds.NOW
            host = seed_feed(5000)
            token = regenerate_feed(host, "bench", bench_feeds.NOW)
            db.session.commit()
        else:
            slugs = seed(NOW)
            db.session.commit()
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
    elif args.case == "team":
        path = "/api/v1/event-types/team/slots?start=2030-01-07&end=2030-02-06"
        requests = [("get", path + "&timezone=Europe/Berlin", None)] * args.count
    else:
        requests = [("get", f"/feeds/host/{token}.ics", None)] * args.count
    client.get(requests[0][1]) if requests[0][0] == "get" else None
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for method, path, body in requests:
        if args.case == "feed":
            event_bytes.cache_clear()
        response = client.post(path, json=body) if method == "post" else client.get(path)
        assert response.status_code in (200, 201, 409), response.text
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
