"""Collective meetings under racing requests: never half a meeting, never a host booked twice.

Collective bookings of two hosts race one-host bookings of each host (other event types) at
overlapping times, through a threaded live server, each request in its own session and
connection, as under gunicorn. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Booking
from tests.integration.test_count_limits import _no_rate_limits  # noqa: F401 (autouse)
from tests.integration.test_double_booking import post_json, race

DAY = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
# Starts 15 minutes apart: every 60-minute meeting among them overlaps every other.
STARTS = [DAY + timedelta(minutes=15 * n) for n in range(4)]


@pytest.fixture
def world(make_org, make_host, make_event_type, frozen_now):
    org = make_org()
    anna, ben = make_host(org=org, name="Anna"), make_host(org=org, name="Ben")
    kw = {"duration": 60, "step": 15}
    together = make_event_type(hosts=[anna, ben], assignment="collective", **kw)
    only_anna = make_event_type(hosts=[anna], **kw)
    only_ben = make_event_type(hosts=[ben], **kw)
    return together.slug, only_anna.slug, only_ben.slug


def _body(slug: str, start: datetime, index: int) -> dict:
    return {
        "event_type": slug,
        "start": start.isoformat(),
        "name": f"Racer {index}",
        "email": f"racer{index}@example.com",
        "timezone": "UTC",
    }


def _confirmed() -> list[Booking]:
    db.session.rollback()  # end the snapshot: see what the requests committed
    return list(db.session.scalars(select(Booking).where(Booking.status == "confirmed")))


def _check(rows: list[Booking], created: int) -> None:
    """Every meeting whole, no host's confirmed meetings overlap, one row set per 201."""
    meetings = defaultdict(list)
    for row in rows:
        meetings[row.meeting_id or f"single-{row.id}"].append(row)
    for key, members in meetings.items():
        if isinstance(key, int):  # a collective meeting: both hosts, one time
            assert sorted(r.host.name for r in members) == ["Anna", "Ben"], members
            assert len({(r.start_at, r.end_at, r.ical_uid) for r in members}) == 1
    assert len(meetings) == created
    by_host = defaultdict(list)
    for row in rows:
        by_host[row.host_id].append((row.occupied_from, row.occupied_until))
    for intervals in by_host.values():
        for (a_from, a_until), (b_from, b_until) in combinations(intervals, 2):
            assert a_until <= b_from or b_until <= a_from, intervals


def test_collective_and_single_bookings_race_without_half_meetings(live_server, world):
    slugs = world
    count = 24
    results = race(
        count,
        lambda i: post_json(
            f"{live_server.url}/api/v1/bookings",
            _body(slugs[i % 3], STARTS[(i // 3) % len(STARTS)], i),
        ),
    )
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409, 400}, results
    assert statuses[201] >= 1
    _check(_confirmed(), statuses[201])


def test_racing_collective_bookings_book_one_meeting(live_server, world):
    slug = world[0]
    results = race(
        12,
        lambda i: post_json(
            f"{live_server.url}/api/v1/bookings", _body(slug, STARTS[i % len(STARTS)], i)
        ),
    )
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1 and set(statuses) <= {201, 409, 400}, results
    rows = _confirmed()
    assert len(rows) == 2
    _check(rows, 1)


def test_one_hosts_conflict_in_the_database_undoes_the_whole_meeting(
    make_org, make_host, make_event_type, frozen_now, monkeypatch
):
    """Past every check in Python (as when another transaction wins the race), the database's
    guard refuses the second host's row: the first host's row goes too, nothing is queued."""
    from scheduling.errors import SlotUnavailable
    from scheduling.models import OutboxMessage
    from scheduling.operations import collective
    from scheduling.operations.bookings import Invitee, create_booking

    org = make_org()
    anna, ben = make_host(org=org, name="Anna"), make_host(org=org, name="Ben")
    together = make_event_type(hosts=[anna, ben], assignment="collective")
    only_ben = make_event_type(hosts=[ben])
    invitee = Invitee("Grace", "grace@example.com", "UTC")
    create_booking(only_ben, DAY, invitee, frozen_now, video_base_url="https://v.example")
    db.session.commit()
    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    # Pretend the check saw Ben free: only the database stands in the way now.
    monkeypatch.setattr(collective.av, "busy_members", lambda *args: [])
    with pytest.raises(SlotUnavailable):
        create_booking(together, DAY, invitee, frozen_now, video_base_url="https://v.example")
    db.session.commit()  # what the failed attempt left in the transaction, if anything
    rows = _confirmed()
    assert [(row.host.name, row.event_type_id) for row in rows] == [("Ben", only_ben.id)]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
