"""Feeds read by Mozilla's ical.js (Thunderbird's parser) under Node, compared with the bookings.

Needs `npm ci` in tests/js. Without node_modules the tests skip with the reason, except in CI
(env CI set), where they fail: there the check must run.
"""

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from scheduling.cli.demo import load_demo
from scheduling.extensions import db
from scheduling.models import Booking, Host, Pool
from scheduling.operations.bookings import Invitee, create_booking, reschedule_booking
from scheduling.operations.calendar_feeds import regenerate_feed
from tests.conftest import FROZEN_NOW, TEST_SECRET

JS = Path(__file__).resolve().parent.parent / "js"
VIDEO = "https://meet.test.example"


@pytest.fixture
def icaljs():
    """A function feeding ICS text to ical.js and returning what it read."""
    node = shutil.which("node")
    missing = (
        "node is not installed"
        if node is None
        else "tests/js/node_modules is missing: run `npm ci` in tests/js"
        if not (JS / "node_modules" / "ical.js").is_dir()
        else None
    )
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"ical.js check required in CI: {missing}")
        pytest.skip(missing)

    def read(body: bytes) -> dict:
        done = subprocess.run(
            [node, str(JS / "feed_to_utc.mjs")],
            input=body,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    return read


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def expected(bookings: list[Booking]) -> dict[str, tuple]:
    return {b.ical_uid: (z(b.start_at), z(b.end_at), b.sequence) for b in bookings}


def read_both(client, url: str, icaljs) -> tuple[dict, dict]:
    response = client.get(url)
    assert response.status_code == 200
    by_js = icaljs(response.data)
    js = {e["uid"]: (e["start"], e["end"], e["sequence"]) for e in by_js["events"]}
    python = {
        str(e["uid"]): (z(e.decoded("dtstart")), z(e.decoded("dtend")), int(e["sequence"]))
        for e in Calendar.from_ical(response.data).walk("VEVENT")
    }
    return js, python | {"_name": by_js["name"], "_refresh": by_js["refresh"]}


def test_bookings_across_dst_read_the_same_in_ical_js(
    client, make_host, make_event_type, icaljs, monkeypatch
):
    """Berlin changes clocks on 31 March and 27 October 2030: times must not drift by an hour."""
    from scheduling import clock

    host = make_host(name="Anna", hours=((range(7), 0, 1440),))
    event_type = make_event_type(hosts=[host], title="Call", horizon_days=400)
    now = datetime(2030, 3, 1, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    starts = [
        datetime(2030, 3, 30, 9, tzinfo=UTC),  # before spring forward (10:00 CET)
        datetime(2030, 3, 31, 9, tzinfo=UTC),  # after it (11:00 CEST)
        datetime(2030, 10, 26, 9, tzinfo=UTC),
        datetime(2030, 10, 27, 9, tzinfo=UTC),  # after fall back
        datetime(2031, 3, 30, 9, tzinfo=UTC),
    ]
    bookings = [
        create_booking(
            event_type,
            start,
            Invitee("Ada", "ada@example.com", "Europe/Berlin"),
            now,
            video_base_url=VIDEO,
        )
        for start in starts
    ]
    moved = reschedule_booking(
        bookings[0], datetime(2030, 3, 31, 23, 30, tzinfo=UTC), now, video_base_url=VIDEO
    )
    db.session.commit()
    token = regenerate_feed(host, TEST_SECRET, now)
    db.session.commit()
    js, python = read_both(client, f"/feeds/host/{token}.ics", icaljs)
    live = [moved, *bookings[1:]]
    assert js == expected(live)
    assert {k: v for k, v in python.items() if not k.startswith("_")} == expected(live)
    assert python["_name"] == "Anna: bookings" and python["_refresh"] == "PT15M"


def test_demo_data_feeds_in_ical_js(client, icaljs, monkeypatch):
    """The demo organisation's host and team feeds, as a subscribed client reads them."""
    from scheduling import clock

    monkeypatch.setattr(clock, "utcnow", lambda: FROZEN_NOW)
    load_demo(FROZEN_NOW, VIDEO)
    db.session.commit()
    confirmed = db.session.scalars(select(Booking).where(Booking.status == "confirmed")).all()
    assert confirmed, "the demo data should contain bookings"
    checked = 0
    for host in db.session.scalars(select(Host)):
        token = regenerate_feed(host, TEST_SECRET, FROZEN_NOW)
        db.session.commit()
        mine = [
            b for b in confirmed if b.host_id == host.id and b.end_at > FROZEN_NOW - timedelta(90)
        ]
        js, _ = read_both(client, f"/feeds/host/{token}.ics", icaljs)
        assert js == expected(mine)
        checked += len(mine)
    assert checked > 0
    for pool in db.session.scalars(select(Pool)):
        token = regenerate_feed(pool, TEST_SECRET, FROZEN_NOW)
        db.session.commit()
        team = [
            b
            for b in confirmed
            if b.event_type.pool_id == pool.id and b.end_at > FROZEN_NOW - timedelta(90)
        ]
        js, python = read_both(client, f"/feeds/team/{token}.ics", icaljs)
        assert js == expected(team)
        assert python["_name"] == f"{pool.name} (team): bookings"
