"""Count-based limits hold when requests race: the daily limit, team caps, a lead's one booking.

Only overlaps have a constraint; counts are checked by reading, so the booking transaction must
hold a lock over what it counts (operations/locking.py). These races go through a threaded live
server, each request in its own session and connection, as under gunicorn.
"""

import json
import os
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Absence, Booking, Lead, Pool, PoolMember, RoutingForm
from tests.conftest import FROZEN_NOW
from tests.integration.test_double_booking import post_json, race

# Tuesday 2030-01-08 onwards; Europe/Berlin hosts work 09:00-17:00 local (08:00-16:00 UTC).
DAYS = [datetime(2030, 1, 8 + n, tzinfo=UTC) for n in range(3)]
SLOT_HOURS = (8, 10, 12, 14)  # four non-overlapping 30-minute slots a day (UTC)
PER_DAY = 32


@pytest.fixture(autouse=True)
def _no_rate_limits(app):
    """Every racer comes from 127.0.0.1; these races are about counts, not the per-address limit."""
    app.config["RATE_LIMIT_ENABLED"] = False


def _body(slug: str, start: datetime, index: int, **extra) -> dict:
    return {
        "event_type": slug,
        "start": start.isoformat(),
        "name": f"Racer {index}",
        "email": f"racer{index}@example.com",
        "timezone": "UTC",
        **extra,
    }


def _starts() -> list[datetime]:
    """PER_DAY requests a day, spread over the day's four slots."""
    return [
        day + timedelta(hours=SLOT_HOURS[i % len(SLOT_HOURS)])
        for day in DAYS
        for i in range(PER_DAY)
    ]


def _confirmed() -> list[Booking]:
    db.session.rollback()  # end the snapshot: see what the requests committed
    return db.session.scalars(select(Booking).where(Booking.status == "confirmed")).all()


def test_racing_bookings_keep_the_daily_limit(live_server, make_event_type, frozen_now):
    slug = make_event_type(daily_limit=3).slug
    starts = _starts()
    results = race(
        len(starts),
        lambda i: post_json(f"{live_server.url}/api/v1/bookings", _body(slug, starts[i], i)),
    )
    assert all(status in (201, 409, 400) for status, _ in results), results
    per_day = Counter(b.start_at.date() for b in _confirmed())
    assert [per_day[day.date()] for day in DAYS] == [3, 3, 3]
    assert Counter(status for status, _ in results)[201] == 9


def _week_starts() -> list[datetime]:
    """PER_DAY requests a day on Tuesday to Friday of one ISO week (2030-W02, Berlin)."""
    days = [datetime(2030, 1, 8 + n, tzinfo=UTC) for n in range(4)]
    return [
        day + timedelta(hours=SLOT_HOURS[i % len(SLOT_HOURS)])
        for day in days
        for i in range(PER_DAY // 2)
    ]


def test_racing_bookings_keep_the_weekly_limit(live_server, make_event_type, frozen_now):
    # Each day has its own day lock: only the week lock keeps four days' requests in line.
    slug = make_event_type(weekly_limit=2).slug
    starts = _week_starts()
    results = race(
        len(starts),
        lambda i: post_json(f"{live_server.url}/api/v1/bookings", _body(slug, starts[i], i)),
    )
    assert all(status in (201, 409, 400) for status, _ in results), results
    assert len(_confirmed()) == 2
    assert Counter(status for status, _ in results)[201] == 2


def test_racing_bookings_keep_the_minimum_gap(live_server, make_event_type, frozen_now):
    # A day's gap between 30-minute meetings: requests on different days (different day
    # locks) still compete, so only the per-host lock keeps them apart.
    slug = make_event_type(min_gap=1440).slug
    starts = _week_starts()
    results = race(
        len(starts),
        lambda i: post_json(f"{live_server.url}/api/v1/bookings", _body(slug, starts[i], i)),
    )
    assert all(status in (201, 409, 400) for status, _ in results), results
    meetings = sorted((b.start_at, b.end_at) for b in _confirmed())
    assert len(meetings) >= 2
    for (_, end), (start, _) in pairwise(meetings):
        assert start - end >= timedelta(minutes=1440), meetings


def _team(make_org, make_host, make_event_type, **caps):
    org = make_org()
    pool = Pool(organisation=org, name="Closers", period="week", tz="UTC", created_at=FROZEN_NOW)
    hosts = [make_host(org=org, name=name) for name in ("Anna", "Ben")]
    for host in hosts:
        pool.members.append(PoolMember(host=host, joined_at=FROZEN_NOW, **caps))
    db.session.add(pool)
    event_type = make_event_type(hosts=[], organisation=org)
    event_type.pool = pool
    db.session.commit()
    return event_type, pool, hosts


def test_racing_team_bookings_keep_each_members_daily_cap(
    live_server, make_org, make_host, make_event_type, frozen_now
):
    # Two members, at most one booking each a day: four slots a day, but two bookings.
    event_type, _, _ = _team(make_org, make_host, make_event_type, daily_cap=1)
    slug, starts = event_type.slug, _starts()  # the racing threads have no app context
    results = race(
        len(starts),
        lambda i: post_json(f"{live_server.url}/api/v1/bookings", _body(slug, starts[i], i)),
    )
    assert all(status in (201, 409, 400) for status, _ in results), results
    per_host_day = Counter((b.host_id, b.start_at.date()) for b in _confirmed())
    assert max(per_host_day.values()) == 1, per_host_day
    assert len(per_host_day) == 2 * len(DAYS)


def test_racing_team_bookings_keep_each_members_weekly_cap(
    live_server, make_org, make_host, make_event_type, frozen_now
):
    event_type, _, _ = _team(make_org, make_host, make_event_type, weekly_cap=2)
    slug, starts = event_type.slug, _starts()  # the racing threads have no app context
    results = race(
        len(starts),
        lambda i: post_json(f"{live_server.url}/api/v1/bookings", _body(slug, starts[i], i)),
    )
    assert all(status in (201, 409, 400) for status, _ in results), results
    per_host = Counter(b.host_id for b in _confirmed())
    assert sorted(per_host.values()) == [2, 2], per_host


def test_a_lead_books_once_when_its_link_is_used_twice_at_once(
    live_server, make_org, make_host, make_event_type, frozen_now
):
    event_type, pool, _ = _team(make_org, make_host, make_event_type)
    form = RoutingForm(
        organisation=event_type.organisation,
        name="Discovery",
        fallback_kind="team",
        fallback_target_id=pool.id,
        created_at=FROZEN_NOW,
    )
    event_type.routing_form = form
    lead = Lead(
        uid=os.urandom(16).hex(),
        organisation_id=event_type.organisation_id,
        routing_form=form,
        event_type=event_type,
        status="qualified",
        decision={"kind": "team", "target_id": pool.id, "trace": []},
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add_all([form, lead])
    db.session.commit()
    starts = [DAYS[0] + timedelta(hours=SLOT_HOURS[i % 4]) for i in range(8)]
    slug, lead_uid = event_type.slug, lead.uid
    results = race(
        len(starts),
        lambda i: post_json(
            f"{live_server.url}/api/v1/bookings", _body(slug, starts[i], i, lead=lead_uid)
        ),
    )
    assert Counter(status for status, _ in results)[201] == 1, results
    assert len(_confirmed()) == 1


def _post(url: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("limit_kind", ["daily_limit", "daily_cap"])
def test_racing_reschedules_keep_the_limit(
    live_server, make_org, make_host, make_event_type, make_user, frozen_now, limit_kind
):
    """Bookings on one day all move to the next day at once; only the limit's worth get there."""
    from scheduling.operations.api_keys import create_api_key

    if limit_kind == "daily_limit":
        event_type = make_event_type(daily_limit=2)
    else:
        event_type, _, _ = _team(make_org, make_host, make_event_type, daily_cap=2)
        event_type.pool.members[0].daily_cap = 1  # Anna 1, Ben 2 a day
    _, token = create_api_key(
        make_user(role="admin", org=event_type.organisation), "Mover", "write", FROZEN_NOW
    )
    db.session.commit()
    uids = []
    for day in DAYS[:2]:  # two a day (the limit) on two days, four bookings to move
        for i in range(4):
            status, body = post_json(
                f"{live_server.url}/api/v1/bookings",
                _body(event_type.slug, day + timedelta(hours=SLOT_HOURS[i]), len(uids) + i),
            )
            if status == 201:
                uids.append(body["id"])
    expected = 2 if limit_kind == "daily_limit" else 3
    assert len(uids) == 2 * expected
    target = DAYS[2]

    def move(index: int):
        uid = uids[index % len(uids)]
        start = target + timedelta(hours=SLOT_HOURS[index % 4])
        url = f"{live_server.url}/api/v1/bookings/{uid}/reschedule"
        return _post(url, {"start": start.isoformat()}, token)

    results = race(4 * len(uids), move)
    assert all(status in (201, 400, 409) for status, _ in results), results
    on_target = [b for b in _confirmed() if b.start_at.date() == target.date()]
    if limit_kind == "daily_limit":
        assert len(on_target) == expected
    else:
        per_host = Counter(b.host.name for b in on_target)
        assert per_host["Anna"] <= 1 and per_host["Ben"] <= 2, per_host
    assert len(_confirmed()) == len(uids)  # a refused move leaves the booking where it was


def test_racing_bookings_keep_the_delegates_minimum_gap(
    live_server, make_org, make_host, make_event_type, frozen_now
):
    # The host is out of office all week; the colleague covering takes those bookings, and
    # also takes bookings of their own event type. Both kinds must respect the colleague's
    # minimum gap, so a covered booking must lock the colleague too, not only the absent host.
    org = make_org()
    absent, colleague = make_host(org=org, name="Away"), make_host(org=org, name="Cover")
    db.session.add(
        Absence(
            host_id=absent.id,
            first_day=date(2030, 1, 7),
            last_day=date(2030, 1, 13),
            delegate_id=colleague.id,
        )
    )
    db.session.commit()
    covered = make_event_type(hosts=[absent], min_gap=1440).slug
    own = make_event_type(hosts=[colleague], min_gap=1440).slug
    starts = _week_starts()
    results = race(
        len(starts),
        lambda i: post_json(
            f"{live_server.url}/api/v1/bookings", _body((covered, own)[i % 2], starts[i], i)
        ),
    )
    assert all(status in (201, 409, 400) for status, _ in results), results
    confirmed = _confirmed()
    assert {b.host_id for b in confirmed} == {colleague.id}
    meetings = sorted((b.start_at, b.end_at) for b in confirmed)
    assert len(meetings) >= 2
    for (_, end), (start, _) in pairwise(meetings):
        assert start - end >= timedelta(minutes=1440), meetings
