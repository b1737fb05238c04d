"""On SQLite a booking attempt reads first and waits for the write lock only when it may book.

Issue 12 point 10: every POST took SQLite's one write lock before it started, so even attempts
at a taken time queued behind the writer. A taken time now answers 409 from a read while another
connection holds the lock; an attempt that may book still waits for the lock, then reads again.
(With rate limits on, the counter's own short write still takes the lock before the view.)
"""

import sqlite3
import threading
import time

import pytest

from scheduling.extensions import db
from tests.conftest import USE_PG
from tests.web.test_api_public import book, booking_count
from tests.web.test_routing_flow import answers, leads, qualify_via_page, setup  # noqa: F401

pytestmark = pytest.mark.skipif(USE_PG, reason="SQLite's write lock; PostgreSQL has none")

SLOT = "2030-01-08T10:00:00+01:00"
OTHER = "2030-01-08T11:00:00+01:00"


@pytest.fixture
def event_type(app, make_event_type, frozen_now):
    # The rate limit's counter is a write of its own (a short one, committed before the view).
    app.config["RATE_LIMIT_ENABLED"] = False
    return make_event_type()


@pytest.fixture
def writer(app):
    """A second connection to the same file that holds the write lock (BEGIN IMMEDIATE)."""
    connection = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=30)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    if connection.in_transaction:
        connection.rollback()
    connection.close()


def _post_in_thread(app, kind, when, email):
    result = {}
    body = {"event_type": kind.slug, "start": when, "name": "Ada", "email": email}

    def run():
        result["response"] = app.test_client().post("/api/v1/bookings", json=body)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_taken_time_is_refused_while_another_connection_holds_the_lock(app, client, event_type):
    assert book(client, event_type, SLOT).status_code == 201
    db.session.rollback()
    connection = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        began = time.monotonic()
        late = book(client, event_type, SLOT, email="late@example.com")
        assert late.status_code == 409, late.get_json()
        assert time.monotonic() - began < 5  # answered without waiting for the writer
    finally:
        connection.rollback()
        connection.close()


def test_an_attempt_that_may_book_waits_for_the_lock(app, event_type, writer):
    thread, result = _post_in_thread(app, event_type, OTHER, "first@example.com")
    thread.join(timeout=1.5)
    assert thread.is_alive()  # waiting for the writer
    writer.rollback()
    thread.join(timeout=30)
    assert result["response"].status_code == 201, result["response"].get_json()


def test_what_the_writer_changed_meanwhile_is_read_again_under_the_lock(app, event_type, writer):
    slug = event_type.slug
    thread, result = _post_in_thread(app, event_type, OTHER, "first@example.com")
    thread.join(timeout=1.5)
    assert thread.is_alive()
    # While the attempt waits, the event type stops taking bookings: it must see that.
    writer.execute("UPDATE event_types SET active = 0 WHERE slug = ?", (slug,))
    writer.commit()
    thread.join(timeout=30)
    assert result["response"].status_code == 404, result["response"].get_json()
    assert booking_count() == 0


def test_two_attempts_at_one_free_time_queued_behind_the_writer_book_once(app, event_type, writer):
    attempts = [_post_in_thread(app, event_type, OTHER, f"p{n}@example.com") for n in range(2)]
    time.sleep(1.5)
    assert all(thread.is_alive() for thread, _ in attempts)  # both read "free", both wait
    writer.rollback()
    for thread, _ in attempts:
        thread.join(timeout=30)
    codes = sorted(result["response"].status_code for _, result in attempts)
    assert codes == [201, 409], codes
    assert booking_count() == 1


def test_an_event_type_deleted_while_the_attempt_waits_is_a_404_not_a_500(app, event_type, writer):
    slug = event_type.slug
    thread, result = _post_in_thread(app, event_type, OTHER, "first@example.com")
    thread.join(timeout=1.5)
    assert thread.is_alive()
    # What the attempt read before the lock (the event type) is gone when it gets the lock.
    writer.execute(
        "DELETE FROM event_type_hosts WHERE event_type_id = "
        "(SELECT id FROM event_types WHERE slug = ?)",
        (slug,),
    )
    writer.execute("DELETE FROM event_types WHERE slug = ?", (slug,))
    writer.commit()
    thread.join(timeout=30)
    assert result["response"].status_code == 404, result["response"].get_json()
    assert "no bookable event type" in result["response"].get_json()["message"]
    assert booking_count() == 0


def test_a_lead_erased_while_the_attempt_waits_is_a_404_not_a_500(
    app,
    client,
    setup,  # noqa: F811 (the routing flow's fixture)
    writer,
):
    app.config["RATE_LIMIT_ENABLED"] = False
    writer.rollback()  # the page's qualify step writes the lead first
    assert qualify_via_page(client, setup["slug"], answers()).status_code == 303
    (lead,) = leads()
    writer.execute("BEGIN IMMEDIATE")
    body = {"event_type": setup["slug"], "start": SLOT, "name": "Grace", "email": "g@example.com"}
    result = {}

    def run():
        result["response"] = app.test_client().post(
            "/api/v1/bookings", json={**body, "lead": lead.uid}
        )

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=1.5)
    assert thread.is_alive()
    writer.execute("DELETE FROM leads WHERE uid = ?", (lead.uid,))
    writer.commit()
    thread.join(timeout=30)
    response = result["response"]
    assert response.status_code == 404, response.get_json()
    assert "not valid any more" in response.get_json()["message"]
    assert booking_count() == 0
