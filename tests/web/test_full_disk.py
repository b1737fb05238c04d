"""A full disk on SQLite (PRAGMA max_page_count): a booking answers 507 with a clear message,
JSON or a page, and nothing of it is written (no booking without its outbox rows, no orphans)."""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking, Lead, OutboxMessage
from scheduling.operations import outbox
from tests.conftest import FROZEN_NOW, USE_PG
from tests.web.test_public_flow import open_form, submit

pytestmark = pytest.mark.skipif(
    USE_PG, reason="max_page_count is SQLite's; PostgreSQL's disk is not"
)

BODY = {
    "event_type": "intro",
    "start": "2030-01-08T09:00:00+00:00",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "timezone": "UTC",
}


def counts() -> dict:
    db.session.rollback()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Booking, OutboxMessage, Lead, AuditEntry)
    }


@dataclass
class FullDisk:
    event_type: object
    before: dict
    lift: Callable[[], None]


@pytest.fixture
def full_disk(app, make_event_type, frozen_now):
    """The database may not grow by a single page, and its outbox pages are filled up."""
    organisation_id = make_event_type(slug="intro").organisation_id
    pages = db.session.execute(text("PRAGMA page_count")).scalar()
    db.session.rollback()

    def limit(dbapi_connection, record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    def reconnect():
        db.session.remove()
        db.engine.dispose()

    def lift():
        if event.contains(db.engine, "connect", limit):
            event.remove(db.engine, "connect", limit)
        reconnect()

    event.listen(db.engine, "connect", limit)
    reconnect()
    # Fill the free room of the outbox table's pages with old (dropped) messages until SQLite
    # says the database is full: the booking's own messages then find no room.
    for number in range(10_000):
        try:
            message = outbox.enqueue(
                organisation_id, "email", "filler", {}, f"f{number}", FROZEN_NOW
            )
            message.status = "dropped"
            db.session.commit()
        except OperationalError as exc:
            db.session.rollback()
            assert "full" in str(exc)
            break
    before = counts()
    assert before["OutboxMessage"] > 0 and before["Booking"] == 0
    yield FullDisk(SimpleNamespace(slug="intro"), before, lift)
    lift()


def test_a_booking_on_a_full_disk_is_a_507_and_writes_nothing(client, full_disk):
    answer = client.post("/api/v1/bookings", json=BODY)
    assert answer.status_code == 507, answer.text
    assert answer.json["error"] == "insufficient_storage"
    assert "storage is full" in answer.json["message"]
    assert answer.headers["Retry-After"]
    assert counts() == full_disk.before


def test_the_booking_form_on_a_full_disk_shows_a_page_and_writes_nothing(client, full_disk):
    token = open_form(client, full_disk.event_type)
    answer = submit(client, full_disk.event_type, token)
    assert answer.status_code == 507, answer.text
    assert answer.mimetype == "text/html"
    assert "storage is full" in answer.text and "Traceback" not in answer.text
    assert counts() == full_disk.before


def test_with_room_again_the_same_booking_goes_through(client, full_disk):
    assert client.post("/api/v1/bookings", json=BODY).status_code == 507
    full_disk.lift()
    assert client.post("/api/v1/bookings", json=BODY).status_code == 201
    after = counts()
    assert after["Booking"] == 1
    assert after["OutboxMessage"] > full_disk.before["OutboxMessage"]
