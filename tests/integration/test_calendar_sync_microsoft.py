"""Microsoft 365 busy time through the worker's sync: calendarView delta, 410, 429, rotation."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduling.delivery.calendar_sync import sync_connection
from scheduling.extensions import db
from scheduling.models import CalendarConnection, ImportedBusy, OutboxMessage
from scheduling.operations import calendar_connections as ops
from scheduling.remote.provider_errors import NeedsReconnect
from tests.integration.connected_calendars import (
    NOW,
    at,
    busy_rows,
    connect_host,
    database_text,
    primary_source,
)

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture
def connection(app, fake_graph, make_host):
    return connect_host(app, fake_graph, "microsoft", make_host(tz="Europe/Berlin"), NOW)


def delta_requests(fake):
    return [seen for seen in fake.requests if "calendarView/delta" in seen.path]


def test_full_then_delta_sync_stores_only_times(connection, fake_graph):
    fake = fake_graph
    board = fake.add_event(
        start=at(8, 9), end=at(8, 10), title="Secret board meeting", attendees=["ceo@x.test"]
    )
    lunch = fake.add_event(start=at(8, 12), end=at(8, 13), title="Lunch with Bob")
    fake.add_event(start=at(8, 14), end=at(8, 15), busy=False, title="Free focus")
    fake.add_event(start=at(8, 16), end=at(8, 17), show_as="oof", title="Away")
    fake.add_event(start=at(9, 9), end=at(9, 10), show_as="tentative", title="Maybe")
    assert sync_connection(connection.id, NOW) == 1
    assert busy_rows() == [(at(8, 9), at(8, 10)), (at(8, 12), at(8, 13)), (at(8, 16), at(8, 17))]
    full = delta_requests(fake)
    assert "startDateTime" in full[0].query and len(full) >= 2  # paged (page_size 2)
    assert all("odata.maxpagesize" in seen.headers.get("Prefer", "") for seen in full)
    fake.change_event(board, start=at(8, 10), end=at(8, 11))
    fake.remove_event(lunch)
    fake.add_event(start=at(10, 9), end=at(10, 10), title="New one")
    before = len(delta_requests(fake))
    assert sync_connection(connection.id, NOW + timedelta(minutes=10)) == 1
    later = delta_requests(fake)[before:]
    assert later and ("$deltatoken" in later[0].query or "$deltaToken" in later[0].query)
    assert busy_rows() == [(at(8, 10), at(8, 11)), (at(8, 16), at(8, 17)), (at(10, 9), at(10, 10))]
    stored = database_text()
    for secret in ("Secret board meeting", "Lunch with Bob", "Free focus", "ceo@x.test", "Maybe"):
        assert secret not in stored
    assert fake.violations == []


def test_expired_delta_link_reads_the_window_again(connection, fake_graph):
    fake = fake_graph
    gone = fake.add_event(start=at(8, 9), end=at(8, 10))
    sync_connection(connection.id, NOW)
    fake.expire_sync_state()
    fake.remove_event(gone)
    fake.add_event(start=at(9, 9), end=at(9, 10))
    assert sync_connection(connection.id, NOW + timedelta(minutes=10)) == 1
    assert busy_rows() == [(at(9, 9), at(9, 10))]
    assert primary_source(connection).last_error == ""
    assert fake.violations == []


def test_429_with_retry_after_pauses_the_mailbox(connection, fake_graph):
    fake_graph.fail_next(status=429, retry_after=45)
    assert sync_connection(connection.id, NOW) == 0
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.paused_until == NOW + timedelta(seconds=45)
    assert primary_source(connection).next_attempt_at >= NOW + timedelta(seconds=45)
    fake_graph.fail_next(status=503, retry_after=90)
    sync_connection(connection.id, NOW + timedelta(seconds=46), all_busy=True)
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.paused_until == NOW + timedelta(seconds=136)


def test_rotated_refresh_token_is_always_saved(connection, fake_graph):
    fake = fake_graph
    first_refresh = ops._open(connection.refresh_token_encrypted)
    soon = connection.token_expires_at - timedelta(seconds=60)
    assert sync_connection(connection.id, soon) == 1
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    second_refresh = ops._open(row.refresh_token_encrypted)
    assert second_refresh and second_refresh != first_refresh
    # The old one is dead at the provider; the saved one keeps working, and rotates again.
    token = ops.fresh_access_token(row.id, soon + timedelta(minutes=1), force=True)
    db.session.commit()
    assert token
    db.session.rollback()
    third = ops._open(db.session.get(CalendarConnection, row.id).refresh_token_encrypted)
    assert third not in (first_refresh, second_refresh)
    assert fake.violations == []


def test_aadsts700082_needs_reconnect_and_keeps_busy(connection, fake_graph):
    fake = fake_graph
    fake.add_event(start=at(8, 9), end=at(8, 10))
    sync_connection(connection.id, NOW)
    fake.revoke_refresh_tokens()
    with pytest.raises(NeedsReconnect):
        ops.fresh_access_token(connection.id, NOW, force=True)
    db.session.commit()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.status == "needs_reconnect" and "AADSTS700082" in row.status_message
    assert db.session.query(ImportedBusy).count() == 1
    topics = db.session.scalars(select(OutboxMessage.topic)).all()
    assert topics == ["calendar.reconnect"]


def test_racing_refreshes_spend_the_rotating_token_once(app, connection, fake_graph):
    """Two workers find the token about to expire at once: the row lock makes the second wait
    and use the first one's new token, so the rotated refresh token is never spent twice."""
    import threading

    soon = connection.token_expires_at - timedelta(seconds=60)
    barrier = threading.Barrier(2)
    tokens: list = [None, None]

    def run(index: int):
        with app.app_context():
            barrier.wait()
            try:
                tokens[index] = ops.fresh_access_token(connection.id, soon)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                tokens[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(token, str) for token in tokens), tokens
    assert tokens[0] == tokens[1]
    refreshes = [s for s in fake_graph.requests if s.path.endswith("/token")]
    assert len(refreshes) == 1
    db.session.rollback()
    assert db.session.get(CalendarConnection, connection.id).status == "connected"
    assert fake_graph.violations == []


def test_recurring_series_count_per_occurrence(connection, fake_graph):
    fake_graph.add_event(
        start=at(8, 9),
        end=at(8, 10),
        title="Daily stand-up",
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2030-01-08", "numberOfOccurrences": 3},
        },
    )
    assert sync_connection(connection.id, NOW) == 1
    assert busy_rows() == [(at(day, 9), at(day, 10)) for day in (8, 9, 10)]
    assert "Daily stand-up" not in database_text()
    assert fake_graph.violations == []
