"""`flask rendezvous demo`: loads once, prints the booking URLs, keeps data on a second run."""

import json

from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Assignment, Booking, EventType, Host, Pool


def test_demo_is_idempotent(runner):
    first = runner.invoke(args=["rendezvous", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output
    assert "http://127.0.0.1:5000/book/discovery-call" in first.output
    hosts = db.session.scalars(select(Host)).all()
    assert len({host.tz for host in hosts}) == 3
    assert db.session.scalar(select(func.count()).select_from(EventType)) == 2
    bookings = db.session.scalar(select(func.count()).select_from(Booking))
    assert bookings >= 5
    second = runner.invoke(args=["rendezvous", "demo"])
    assert second.exit_code == 0
    assert "already present" in second.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == bookings


def test_demo_booking_pages_work(runner, client):
    runner.invoke(args=["rendezvous", "demo"])
    good = {
        "full_name": "Ada",
        "work_email": "ada@example.com",
        "company_size": "11-50",
        "budget": "5k-20k",
    }
    url = "/api/v1/event-types/discovery-call/slots"
    query = {"start": "2026-12-01", "end": "2026-12-31", "answers": json.dumps(good)}
    assert client.get(url, query_string=query).status_code == 200
    query["answers"] = json.dumps({**good, "budget": "under-5k"})
    assert client.get(url, query_string=query).status_code == 422
    assert client.get("/book/strategy-session").status_code == 200
    assert "What budget have you set aside?" in client.get("/book/discovery-call").text


def test_demo_has_a_weighted_three_member_team(runner):
    runner.invoke(args=["rendezvous", "demo"])
    pool = db.session.scalar(select(Pool))
    assert sorted(m.weight for m in pool.members) == [1, 1, 2]
    assert db.session.scalar(select(func.count()).select_from(Assignment)) >= 5
