"""Bookings written to a host's Google / Microsoft calendar through the outbox, and the live
re-check at booking time."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduling import clock
from scheduling.delivery.calendar_copies import KIND, deliver_calendar_copy
from scheduling.delivery.calendar_sync import sync_connection
from scheduling.errors import SlotUnavailable
from scheduling.extensions import db
from scheduling.models import (
    Booking,
    CalendarConnection,
    CalendarCopy,
    ImportedBusy,
    OutboxMessage,
)
from scheduling.operations import calendar_connections as ops
from scheduling.operations import calendar_sync
from scheduling.operations.bookings import (
    Invitee,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from scheduling.remote.provider_errors import ProviderUnavailable, RateLimited
from tests.integration.connected_calendars import NOW, connect_host

pytest_plugins = ["tests.fakes.fixtures"]

VIDEO = "https://meet.test.example"
TUESDAY = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # 10:00 Berlin
FIXTURES = {"google": "fake_google", "microsoft": "fake_graph"}


@pytest.fixture(params=sorted(FIXTURES))
def world(request, app, make_event_type, frozen_now):
    return _world(request, app, make_event_type, request.param)


@pytest.fixture
def graph_world(request, app, make_event_type, frozen_now):
    return _world(request, app, make_event_type, "microsoft")


def _world(request, app, make_event_type, name):
    fake = request.getfixturevalue(FIXTURES[name])
    event_type = make_event_type(title="Demo")
    host = event_type.hosts[0]
    connection = connect_host(app, fake, name, host, NOW)
    primary = next(s for s in ops.sources_of(connection) if s.blocks_time)
    ops.choose_calendars(connection, ops.CalendarChoice(frozenset({primary.id}), primary.id), NOW)
    db.session.commit()
    return name, fake, event_type, connection


def book(event_type, start=TUESDAY):
    booking = create_booking(
        event_type,
        start,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    return booking


def deliver_all() -> int:
    """Deliver the pending calendar copy messages (as the worker's handler would)."""
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == KIND, OutboxMessage.status == "pending")
    ).all()
    for message in messages:
        message_id = message.id
        result = deliver_calendar_copy(message)
        db.session.get(OutboxMessage, message_id).status = result or "done"
        db.session.commit()
    return len(messages)


def remote_events(fake) -> list[dict]:
    return fake.events("primary")


def times_of(name: str, event: dict) -> tuple[str, str]:
    if name == "google":
        return event["start"]["dateTime"], event["end"]["dateTime"]
    return event["start"]["dateTime"][:19], event["end"]["dateTime"][:19]


def test_create_update_delete_idempotent(world):
    name, fake, event_type, connection = world
    booking = book(event_type)
    assert deliver_all() == 1
    (event,) = remote_events(fake)
    copy = db.session.scalar(select(CalendarCopy))
    assert copy.href == event["id"] and copy.ical_uid == booking.ical_uid
    if name == "google":
        assert event["iCalUID"] == booking.ical_uid
        assert times_of(name, event)[0].startswith("2030-01-08T09:00:00")
    else:
        assert event["transactionId"] == booking.ical_uid
        assert times_of(name, event)[0] == "2030-01-08T09:00:00"
    # Delivered again (a retry after a crash that lost the record): still one event.
    db.session.delete(copy)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == KIND))
    deliver_calendar_copy(message)
    db.session.commit()
    assert len(remote_events(fake)) == 1
    assert db.session.scalar(select(CalendarCopy)).href == event["id"]
    # The copy read back by the sync is the booking itself: it is not stored twice.
    assert sync_connection(connection.id, NOW) == 1
    assert db.session.query(ImportedBusy).count() == 0
    # Reschedule: the same event moves.
    moved = reschedule_booking(booking, TUESDAY + timedelta(hours=2), NOW, video_base_url=VIDEO)
    db.session.commit()
    assert deliver_all() == 1
    (event,) = remote_events(fake)
    assert times_of(name, event)[0].startswith("2030-01-08T11:00:00")
    # Cancel: the event goes; deleting it again (404/410) counts as done.
    cancel_booking(moved, "changed plans", NOW)
    db.session.commit()
    assert deliver_all() == 1
    assert remote_events(fake) == []
    assert db.session.scalar(select(CalendarCopy)) is None
    again = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id.desc())
    )
    db.session.add(
        CalendarCopy(
            source_id=copy_source(connection),
            ical_uid=booking.ical_uid,
            href=event["id"],
            sequence=0,
            updated_at=NOW,
        )
    )
    db.session.commit()
    assert deliver_calendar_copy(again) is None
    db.session.commit()
    assert db.session.scalar(select(CalendarCopy)) is None
    assert fake.violations == []


def copy_source(connection) -> int:
    return next(s.id for s in ops.sources_of(connection) if s.write_back)


def test_graph_batch_429_is_retried_after_retry_after(graph_world, monkeypatch):
    _name, fake, event_type, connection = graph_world
    booking = book(event_type)
    deliver_all()
    cancel_booking(booking, "no", NOW)
    db.session.commit()
    fake.fail_next(status=429, retry_after=7, inside_batch=True)
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id.desc())
    ).first()
    with pytest.raises(RateLimited) as caught:
        deliver_calendar_copy(message)
    db.session.rollback()
    assert caught.value.retry_after == 7.0
    assert len(remote_events(fake)) == 1
    assert db.session.get(CalendarConnection, connection.id).paused_until == NOW + timedelta(
        seconds=7
    )
    # Before the provider's time the outbox's next try makes no call at all.
    seen = len(fake.requests)
    with pytest.raises(ProviderUnavailable):
        deliver_calendar_copy(message)
    db.session.rollback()
    assert len(fake.requests) == seen
    monkeypatch.setattr(clock, "utcnow", lambda: NOW + timedelta(seconds=8))
    assert deliver_calendar_copy(message) is None
    db.session.commit()
    assert remote_events(fake) == []
    assert fake.violations == []


def test_a_mailbox_being_synced_is_not_called_at_the_same_time(world):
    _name, fake, event_type, connection = world
    book(event_type)
    assert calendar_sync.claim(connection.id, NOW)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == KIND))
    seen = len(fake.requests)
    with pytest.raises(ProviderUnavailable):
        deliver_calendar_copy(message)
    db.session.rollback()
    assert len(fake.requests) == seen and remote_events(fake) == []
    calendar_sync.release(connection.id)
    db.session.commit()
    assert deliver_calendar_copy(message) is None
    db.session.commit()
    assert len(remote_events(fake)) == 1


def test_live_recheck_refuses_a_time_busy_since_the_last_sync(world):
    _name, fake, event_type, _connection = world
    fake.add_event(start=TUESDAY, end=TUESDAY + timedelta(hours=1), title="Just added")
    with pytest.raises(SlotUnavailable):
        book(event_type)
    db.session.rollback()
    assert book(event_type, TUESDAY + timedelta(hours=2)).status == "confirmed"
    assert fake.violations == []


def test_live_recheck_timeout_falls_back_to_the_stored_data(world, app):
    _name, fake, event_type, _connection = world
    fake.add_event(start=TUESDAY, end=TUESDAY + timedelta(hours=1), title="Not synced yet")
    fake.delay = 10.0
    started = time.perf_counter()
    booking = book(event_type)
    elapsed = time.perf_counter() - started
    assert booking.status == "confirmed"  # the stored data (nothing busy) decided
    limit = float(app.config["CALENDAR_RECHECK_TIMEOUT_SECONDS"])
    assert elapsed < limit + 2.0
    print(f"\nbooking with a 10 s provider took {elapsed:.2f} s (re-check limit {limit:g} s)")


def test_a_collective_meeting_is_checked_live_and_copied_in_each_hosts_calendar(
    app, make_host, make_event_type, fake_google, fake_graph, frozen_now
):
    anna = make_host(name="Anna")
    ben = make_host(org=anna.organisation, name="Ben")
    event_type = make_event_type(hosts=[anna, ben], title="Deep dive", assignment="collective")
    for fake, name, host in ((fake_google, "google", anna), (fake_graph, "microsoft", ben)):
        connection = connect_host(app, fake, name, host, NOW)
        primary = next(s for s in ops.sources_of(connection) if s.blocks_time)
        choice = ops.CalendarChoice(frozenset({primary.id}), primary.id)
        ops.choose_calendars(connection, choice, NOW)
    db.session.commit()
    # Ben's Microsoft calendar got busy at 10:00 since the last sync: the live look at booking
    # time refuses the whole meeting, and no host's row is written.
    fake_graph.add_event(start=TUESDAY, end=TUESDAY + timedelta(minutes=30), title="Dentist")
    with pytest.raises(SlotUnavailable):
        book(event_type)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    # At noon both are free: each host's own calendar gets the meeting, and both copies go
    # when it is cancelled.
    meeting = book(event_type, TUESDAY + timedelta(hours=2))
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2
    deliver_all()
    assert len(remote_events(fake_google)) == 1
    assert [e for e in remote_events(fake_graph) if e.get("subject") != "Dentist"] != []
    cancel_booking(meeting, "changed plans", NOW)
    db.session.commit()
    deliver_all()
    assert remote_events(fake_google) == []
    assert [e for e in remote_events(fake_graph) if e.get("subject") != "Dentist"] == []
    assert fake_google.violations == [] and fake_graph.violations == []
