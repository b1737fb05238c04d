"""Google Calendar busy time through the worker's sync: full, incremental, 410, 429, tokens."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from scheduling.delivery.calendar_sync import sync_connection, sync_due_connections
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import CalendarConnection, ImportedBusy, OutboxMessage
from scheduling.operations import calendar_connections as ops
from scheduling.operations import calendar_sync
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
def connection(app, fake_google, make_host):
    return connect_host(app, fake_google, "google", make_host(tz="Europe/Berlin"), NOW)


def event_requests(fake):
    return [seen for seen in fake.requests if seen.path.endswith("/events")]


def test_full_then_incremental_sync_stores_only_times(connection, fake_google):
    fake = fake_google
    board = fake.add_event(
        start=at(8, 9), end=at(8, 10), title="Secret board meeting", attendees=["ceo@x.test"]
    )
    lunch = fake.add_event(start=at(8, 12), end=at(8, 13), title="Lunch with Bob")
    fake.add_event(start=at(8, 14), end=at(8, 15), busy=False, title="Free focus")
    fake.add_event(start=at(9, 9), end=at(9, 10), title="Paging proof")  # page_size=2
    assert sync_connection(connection.id, NOW) == 1
    assert busy_rows() == [(at(8, 9), at(8, 10)), (at(8, 12), at(8, 13)), (at(9, 9), at(9, 10))]
    full = event_requests(fake)
    assert "timeMin" in full[0].query and "syncToken" not in full[0].query
    assert len(full) >= 2 and "pageToken" in full[-1].query  # paged
    # Incremental: one moved, one removed, one added.
    fake.change_event(board, start=at(8, 10), end=at(8, 11))
    fake.remove_event(lunch)
    fake.add_event(start=at(10, 9), end=at(10, 9) + timedelta(minutes=30), title="New one")
    later = NOW + timedelta(minutes=10)
    before = len(event_requests(fake))
    assert sync_connection(connection.id, later) == 1
    incremental = event_requests(fake)[before:]
    assert incremental and all("syncToken" in seen.query for seen in incremental[:1])
    assert all("timeMin" not in seen.query for seen in incremental)
    assert busy_rows() == [
        (at(8, 10), at(8, 11)),
        (at(9, 9), at(9, 10)),
        (at(10, 9), at(10, 9) + timedelta(minutes=30)),
    ]
    assert primary_source(connection).busy_count == 3
    stored = database_text()
    for secret in ("Secret board meeting", "Lunch with Bob", "Free focus", "ceo@x.test"):
        assert secret not in stored
    assert fake.violations == []


def test_expired_sync_token_reads_everything_again(connection, fake_google):
    fake = fake_google
    gone = fake.add_event(start=at(8, 9), end=at(8, 10))
    sync_connection(connection.id, NOW)
    fake.expire_sync_state()
    fake.remove_event(gone)
    fake.add_event(start=at(9, 9), end=at(9, 10))
    before = len(fake.requests)
    assert sync_connection(connection.id, NOW + timedelta(minutes=10)) == 1
    statuses = [seen.query for seen in fake.requests[before:] if seen.path.endswith("/events")]
    assert "syncToken" in statuses[0] and "timeMin" in statuses[1]  # 410, then the full read
    assert busy_rows() == [(at(9, 9), at(9, 10))]
    assert primary_source(connection).last_error == ""
    assert fake.violations == []


def test_rate_limit_pauses_the_mailbox_until_retry_after(connection, fake_google):
    fake = fake_google
    fake.add_event(start=at(8, 9), end=at(8, 10))
    fake.fail_next(status=429, retry_after=120)
    assert sync_connection(connection.id, NOW) == 0
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.paused_until == NOW + timedelta(seconds=120)
    source = primary_source(connection)
    assert "slow down" in source.last_error and source.next_attempt_at >= row.paused_until
    # Not before the provider's time: the round makes no call at all.
    seen = len(fake.requests)
    assert calendar_sync.due_connection_ids(NOW + timedelta(seconds=60)) == []
    sync_due_connections(NOW + timedelta(seconds=60))
    assert sync_connection(connection.id, NOW + timedelta(seconds=60), all_busy=True) == 0
    assert len(fake.requests) == seen  # "Sync now" waits too
    assert sync_due_connections(NOW + timedelta(seconds=121)) == 1
    assert busy_rows() == [(at(8, 9), at(8, 10))]
    assert fake.violations == []


def test_403_rate_limit_reason_also_waits(connection, fake_google):
    fake_google.fail_next(status=403, retry_after=30)
    sync_connection(connection.id, NOW)
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.status == "connected" and row.paused_until == NOW + timedelta(seconds=30)


def test_token_refreshed_before_expiry_and_after_a_401(connection, fake_google):
    fake = fake_google
    fake.add_event(start=at(8, 9), end=at(8, 10))
    old_access = connection.access_token_encrypted
    # 3599 s tokens: refreshed once less than the margin (300 s) is left.
    soon = connection.token_expires_at - timedelta(seconds=200)
    sync_connection(connection.id, soon)
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    refreshes = [s for s in fake.requests if s.path == "/token"]
    assert len(refreshes) == 1 and refreshes[0].form["grant_type"] == "refresh_token"
    assert row.access_token_encrypted != old_access
    assert row.token_expires_at == soon + timedelta(seconds=3599)
    # The provider rejects the access token (401): one refresh, then the call again.
    fake.expire_access_tokens()
    assert sync_connection(connection.id, soon + timedelta(minutes=10), all_busy=True) == 1
    assert len([s for s in fake.requests if s.path == "/token"]) == 2
    assert fake.violations == []


def test_revoked_refresh_token_needs_reconnect_emails_and_keeps_busy(
    app, connection, fake_google, mail_files, moving_clock
):
    fake = fake_google
    fake.add_event(start=at(8, 9), end=at(8, 10))
    sync_connection(connection.id, NOW)
    fake.revoke_refresh_tokens()
    expiring = connection.token_expires_at - timedelta(seconds=10)
    assert sync_connection(connection.id, expiring, all_busy=True) == 0
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.status == "needs_reconnect" and "invalid_grant" not in row.status_message.lower()
    assert row.needs_reconnect_since == expiring
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.topic == "calendar.reconnect")
    ).all()
    assert len(messages) == 1 and messages[0].payload["to"] == row.host.email
    assert db.session.query(ImportedBusy).count() == 1  # the last known busy time still counts
    # No more calls for this mailbox, and no second email.
    seen = len(fake.requests)
    assert sync_due_connections(expiring + timedelta(hours=1)) == 0
    assert len(fake.requests) == seen
    assert db.session.query(OutboxMessage).count() == 1
    # The worker sends it like the other account emails.
    moving_clock.now = expiring
    assert Worker(app, worker_id="test-worker").run_once() == 1
    (sent,) = mail_files.glob("*.eml")
    email = message_from_bytes(sent.read_bytes(), policy=policy.default)
    assert email["To"].addresses[0].addr_spec == row.host.email
    assert email["Subject"] == "Your Google Calendar connection needs to be renewed"
    body = email.get_body(("plain",)).get_content()
    assert f"/admin/hosts/{row.host_id}/calendars" in body and "host@example.com" in body


def test_one_worker_at_a_time_per_mailbox(connection):
    assert calendar_sync.claim(connection.id, NOW)
    db.session.commit()
    assert not calendar_sync.claim(connection.id, NOW)
    assert sync_connection(connection.id, NOW) == 0  # leased: nothing read
    assert calendar_sync.claim(connection.id, NOW + calendar_sync.LEASE)  # an expired lease


def test_recurring_events_count_per_instance(connection, fake_google):
    fake_google.add_event(
        start=at(8, 9),
        end=at(8, 10),
        title="Daily stand-up",
        recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
    )
    assert sync_connection(connection.id, NOW) == 1
    assert busy_rows() == [(at(day, 9), at(day, 10)) for day in (8, 9, 10)]
    assert "Daily stand-up" not in database_text()
    assert fake_google.violations == []


@pytest.mark.parametrize("status", [429, 503])
def test_an_unavailable_token_endpoint_is_retried_not_a_reconnect(connection, fake_google, status):
    fake_google.add_event(start=at(8, 9), end=at(8, 10))
    sync_connection(connection.id, NOW)
    fake_google.fail_next(status=status, retry_after=90, token_endpoint=True)
    expiring = connection.token_expires_at - timedelta(seconds=10)
    assert sync_connection(connection.id, expiring, all_busy=True) == 0
    db.session.rollback()
    row = db.session.get(CalendarConnection, connection.id)
    assert row.status == "connected"
    assert row.paused_until == expiring + timedelta(seconds=90)
    assert primary_source(connection).last_error
    assert busy_rows() == [(at(8, 9), at(8, 10))]
    assert db.session.query(OutboxMessage).count() == 0  # no email: nothing for the host to do


def test_a_calendar_switched_off_stops_counting_and_is_not_read(connection, fake_google):
    fake_google.add_event(start=at(8, 9), end=at(8, 10))
    sync_connection(connection.id, NOW)
    assert len(busy_rows()) == 1
    db.session.rollback()
    ops.choose_calendars(connection, ops.CalendarChoice(frozenset(), None), NOW)
    db.session.commit()
    assert busy_rows() == []
    seen = len(fake_google.requests)
    assert sync_connection(connection.id, NOW + timedelta(hours=1), all_busy=True) == 0
    assert len(fake_google.requests) == seen


def test_cli_sync_calendars_also_syncs_connections(connection, fake_google, runner, frozen_now):
    fake_google.add_event(start=at(8, 9), end=at(8, 10))
    result = runner.invoke(args=["rendezvous", "sync-calendars"])
    assert result.exit_code == 0, result.output
    assert "Synced 1 connected Google / Microsoft calendar(s)." in result.output
    assert busy_rows() == [(at(8, 9), at(8, 10))]
