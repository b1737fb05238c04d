"""`flask rendezvous demo`: loads once, prints the booking URLs, keeps data on a second run."""

from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Booking, EventType, Host


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
    response = client.get(
        "/api/v1/event-types/discovery-call/slots?start=2026-12-01&end=2026-12-31"
    )
    assert response.status_code == 200
    assert client.get("/book/strategy-session").status_code == 200
