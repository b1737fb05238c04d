"""Feeds and imports: a host feed of 5,000 bookings, and a 2,000-event calendar imported over HTTP.

Run: .venv/bin/python bench/bench_feeds.py [--bookings 5000] [--events 2000] [--recurring 200]
Uses SQLite in a temporary folder, or DATABASE_URL when set (a database you may wipe). The feed is
asked through the app's WSGI stack (test client, no network); the calendar is served by a local
HTTP server and read through the real import path (fetch, parse, expand, store).
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from scheduling import clock, create_app  # noqa: E402
from scheduling.extensions import db  # noqa: E402
from scheduling.ical import event_bytes  # noqa: E402
from scheduling.models import Booking, EventType, Host, ImportedBusy, Organisation  # noqa: E402
from scheduling.operations import calendar_import as imports  # noqa: E402
from scheduling.operations.calendar_feeds import regenerate_feed  # noqa: E402

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


CPU: list[float] = []  # this process's CPU ms of the last timed() call, per run


def timed(function, runs: int) -> list[float]:
    times = []
    CPU.clear()
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - started) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
    return times


def seed(bookings: int) -> Host:
    org = Organisation(name="Bench", slug="bench", created_at=NOW)
    host = Host(
        organisation=org,
        name="Bench Host",
        email="b@example.com",
        tz="Europe/Berlin",
        created_at=NOW,
    )
    event_type = EventType(
        organisation=org,
        slug="call",
        title="Discovery call",
        duration=30,
        step=30,
        created_at=NOW,
    )
    db.session.add_all([org, host, event_type])
    db.session.flush()
    rows = []
    for i in range(bookings):
        start = NOW - timedelta(days=30) + timedelta(hours=i)
        rows.append(
            {
                "uid": f"b{i:08d}",
                "organisation_id": org.id,
                "event_type_id": event_type.id,
                "host_id": host.id,
                "invitee_name": f"Invitee {i}",
                "invitee_email": f"i{i}@example.com",
                "invitee_tz": "Europe/Paris",
                "note": "",
                "start_at": start,
                "end_at": start + timedelta(minutes=30),
                "occupied_from": start,
                "occupied_until": start + timedelta(minutes=30),
                "status": "confirmed",
                "location_kind": "video",
                "location": f"https://meet.example/r{i}",
                "ical_uid": f"u{i}@rendezvous",
                "sequence": 0,
                "token_version": 1,
                "cancel_reason": "",
                "reschedule_reason": "",
                "cancelled_by": "",
                "source": "public",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    db.session.execute(insert(Booking), rows)
    db.session.commit()
    return host


def calendar(events: int, recurring: int) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bench//EN",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    for i in range(events):
        day = NOW + timedelta(days=i % 120, hours=(i // 120) % 9)
        start = day.strftime("%Y%m%dT%H%M00Z")
        end = (day + timedelta(minutes=45)).strftime("%Y%m%dT%H%M00Z")
        lines += [
            "BEGIN:VEVENT",
            f"UID:e{i}@bench",
            "DTSTAMP:20300101T000000Z",
            f"SUMMARY:Event {i}",
        ]
        if i < recurring:
            local = (NOW + timedelta(days=i % 7)).strftime("%Y%m%d")
            lines += [
                f"DTSTART;TZID=Europe/Berlin:{local}T{8 + i % 9:02d}0000",
                f"DTEND;TZID=Europe/Berlin:{local}T{8 + i % 9:02d}3000",
                "RRULE:FREQ=WEEKLY" if i % 2 else "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
                f"EXDATE;TZID=Europe/Berlin:{local}T{8 + i % 9:02d}0000",
            ]
        else:
            lines += [f"DTSTART:{start}", f"DTEND:{end}"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/cal.ics"


def row(name: str, times: list[float]) -> str:
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    return f"| {name} | {len(times)} | {statistics.median(times):.1f} | {p95:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=5000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--recurring", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CALENDAR_ALLOW_PRIVATE": True,
            "CALENDAR_TIMEOUT_SECONDS": 60,
        }
    )
    clock.utcnow = lambda: NOW
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        db.drop_all()
        db.create_all()
        host = seed(args.bookings)
        token = regenerate_feed(host, "bench", NOW)
        db.session.commit()
        client = app.test_client()
        path = f"/feeds/host/{token}.ics"
        first = client.get(path)
        assert first.status_code == 200
        size = len(first.data)
        etag = first.headers["ETag"]

        def cold():
            event_bytes.cache_clear()  # every VEVENT rendered again, as after a restart
            return client.get(path)

        full = timed(cold, 5)
        full_cpu = statistics.median(CPU)
        not_modified = timed(lambda: client.get(path, headers={"If-None-Match": etag}), 20)
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        changed = []
        for minute in range(1, 6):  # one booking changed: only its event is rendered again
            booking = db.session.scalars(select(Booking).order_by(Booking.id).limit(1)).one()
            booking.updated_at = NOW + timedelta(minutes=minute)
            booking.sequence += 1
            db.session.commit()
            changed += timed(lambda: client.get(path), 1)

        body = calendar(args.events, args.recurring)
        server, cal_url = serve(body)
        source = imports.save_source(host, imports.SourceInput("ics", "Bench", cal_url), NOW)
        db.session.commit()
        started = time.perf_counter()
        outcome = imports.refresh_source(source, NOW)
        db.session.commit()
        first_import = (time.perf_counter() - started) * 1000
        assert outcome.error == "", outcome.error
        stored = db.session.query(ImportedBusy).count()
        again = timed(lambda: (imports.refresh_source(source, NOW), db.session.commit()), 5)
        server.shutdown()
        print(f"database: {db.engine.dialect.name}")
        print(f"feed: {args.bookings} bookings, {size / 1024:.0f} KiB")
        print("| case | requests | median ms | p95 ms |")
        print("| --- | --- | --- | --- |")
        print(row(f"feed of {args.bookings} bookings, full answer, nothing cached (200)", full))
        print(f"(full answer, nothing cached: median CPU of this process {full_cpu:.1f} ms)")
        print(row(f"feed of {args.bookings} bookings, after one booking changed (200)", changed))
        print(row(f"feed of {args.bookings} bookings, If-None-Match (304)", not_modified))
        print(
            f"| import {args.events} events ({args.recurring} recurring, "
            f"{len(body) / 1024:.0f} KiB) over HTTP, 120 days, parse + expand + store "
            f"({stored} busy intervals) | 1 | {first_import:.1f} | {first_import:.1f} |"
        )
        print(row("same calendar again, ETag unchanged (304)", again))


if __name__ == "__main__":
    main()
