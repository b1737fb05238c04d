"""No double booking: the database refuses it, and racing HTTP requests get one winner."""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduling.extensions import db
from scheduling.models import Booking


def raw_booking(event_type, host, start, minutes=30, status="confirmed", pad=0):
    return Booking(
        uid=f"{start:%H%M}{minutes}{status}{pad}".ljust(32, "x")[:32],
        organisation_id=event_type.organisation_id,
        event_type=event_type,
        host=host,
        invitee_name="Raw",
        invitee_email="raw@example.com",
        invitee_tz="UTC",
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        occupied_from=start - timedelta(minutes=pad),
        occupied_until=start + timedelta(minutes=minutes + pad),
        status=status,
        location_kind="video",
        ical_uid="x",
        created_at=start,
        updated_at=start,
    )


START = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "minutes", "pad", "overlaps"),
    [
        (0, 30, 0, True),  # same time
        (15, 60, 0, True),  # different lengths, partial overlap
        (30, 30, 0, False),  # back to back
        (30, 30, 5, True),  # back to back, but buffers overlap
        (-60, 60, 0, False),  # ends exactly when the first starts
    ],
)
def test_database_refuses_overlapping_confirmed_bookings(
    app, make_event_type, offset, minutes, pad, overlaps
):
    event_type = make_event_type()
    host = event_type.hosts[0]
    db.session.add(raw_booking(event_type, host, START, pad=pad))
    db.session.commit()
    db.session.add(
        raw_booking(event_type, host, START + timedelta(minutes=offset), minutes, pad=pad)
    )
    if overlaps:
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    else:
        db.session.commit()


def test_cancelled_bookings_do_not_block_and_reconfirming_is_checked(app, make_event_type):
    event_type = make_event_type()
    host = event_type.hosts[0]
    cancelled = raw_booking(event_type, host, START, status="cancelled")
    db.session.add(cancelled)
    db.session.add(raw_booking(event_type, host, START))
    db.session.commit()
    cancelled.status = "confirmed"  # an UPDATE must not sneak an overlap in either
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_other_hosts_are_independent(app, make_event_type, make_host):
    event_type = make_event_type()
    other = make_host(org=event_type.organisation)
    db.session.add(raw_booking(event_type, event_type.hosts[0], START))
    db.session.add(raw_booking(event_type, other, START, pad=1))
    db.session.commit()


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def race(count: int, send) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int):
        barrier.wait()
        results[index] = send(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_racing_api_requests_for_overlapping_times_have_one_winner(
    live_server, make_event_type, frozen_now
):
    # 60-minute meetings every 15 minutes: 10:00, 10:15, 10:30, 10:45 all overlap each other.
    event_type = make_event_type(duration=60, step=15, buffer_after=10)
    slug = event_type.slug
    starts = [
        "2030-01-08T10:00:00+01:00",
        "2030-01-08T10:15:00+01:00",
        "2030-01-08T10:30:00+01:00",
        "2030-01-08T10:45:00+01:00",
    ]

    def send(index: int):
        return post_json(
            f"{live_server.url}/api/v1/bookings",
            {
                "event_type": slug,
                "start": starts[index % 4],
                "name": f"Racer {index}",
                "email": f"racer{index}@example.com",
                "timezone": "UTC",
            },
        )

    results = race(12, send)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results
    assert statuses.count(409) == 11, results
    assert all(body.get("error") == "slot_unavailable" for s, body in results if s == 409)
    db.session.rollback()  # end the snapshot: see what the requests committed
    rows = db.session.scalars(select(Booking)).all()
    assert len(rows) == 1 and rows[0].status == "confirmed"


def test_racing_form_posts_have_one_winner(live_server, client, make_event_type, frozen_now):
    slug = make_event_type().slug
    start = "2030-01-08T09:00:00+00:00"
    page = client.get(f"/book/{slug}/confirm", query_string={"start": start})
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def send(index: int):
        data = urllib.parse.urlencode(
            {
                "start": start,
                "tz": "UTC",
                "form_token": token,
                "name": f"Racer {index}",
                "email": f"r{index}@example.com",
            }
        ).encode()
        try:
            with opener.open(f"{live_server.url}/book/{slug}/confirm", data, 60) as r:
                return r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    results = race(8, send)
    assert all(status == 303 for status, _ in results), results
    winners = [loc for _, loc in results if "/booking/" in loc]
    losers = [loc for _, loc in results if "notice=taken" in loc]
    assert len(winners) == 1 and len(losers) == 7, results
