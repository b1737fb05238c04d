"""Bookings written into a real Radicale calendar: created, updated on reschedule, removed."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import CalendarCopy
from scheduling.operations import calendar_import as imports
from scheduling.operations.bookings import (
    Invitee,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from scheduling.operations.caldav_writeback import push_booking, remove_booking
from scheduling.operations.calendar_import import SourceInput
from scheduling.remote.http import request
from tests.calendar_servers import LOCAL
from tests.conftest import FROZEN_NOW

VIDEO = "https://meet.test.example"
TUESDAY = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)


def get(url: str):
    auth = base64.b64encode(b"alice:").decode()
    return request("GET", url, LOCAL, {"Authorization": f"Basic {auth}"})


@pytest.fixture
def setup(app, make_event_type, radicale, frozen_now):
    app.config["CALENDAR_ALLOW_PRIVATE"] = True
    event_type = make_event_type(title="Demo")
    host = event_type.hosts[0]
    url = radicale.make_calendar("alice", "bookings")
    source = imports.save_source(
        host, SourceInput("caldav", "Mine", url, "alice", "", write_back=True), FROZEN_NOW
    )
    db.session.commit()
    return event_type, host, source, url


def test_push_update_and_remove(setup):
    event_type, _host, _source, url = setup
    booking = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    assert push_booking(booking.id, FROZEN_NOW) == 1
    db.session.commit()
    assert push_booking(booking.id, FROZEN_NOW) == 0  # idempotent: already there
    copy = db.session.scalar(select(CalendarCopy))
    assert copy.href.startswith(url) and copy.href.endswith(".ics")
    stored = Calendar.from_ical(get(copy.href).body).walk("VEVENT")[0]
    assert str(stored["uid"]) == booking.ical_uid
    assert stored.decoded("dtstart") == TUESDAY
    assert "attendee" not in stored  # no scheduling server ever mails the invitee from a copy
    assert "Grace Hopper" in str(stored["summary"])

    # The host's own copy blocks the host too, once imported: one resource per UID, no doubles.
    moved = reschedule_booking(
        booking, TUESDAY + timedelta(hours=2), FROZEN_NOW, video_base_url=VIDEO
    )
    db.session.commit()
    assert push_booking(moved.id, FROZEN_NOW) == 1
    db.session.commit()
    stored = Calendar.from_ical(get(copy.href).body).walk("VEVENT")[0]
    assert stored.decoded("dtstart") == TUESDAY + timedelta(hours=2)
    assert int(stored["sequence"]) == 1
    assert db.session.query(CalendarCopy).count() == 1

    # An out-of-order removal for the old row keeps the live meeting.
    assert remove_booking(booking.id, FROZEN_NOW) == 0
    assert get(copy.href).status == 200

    cancel_booking(moved, "", FROZEN_NOW)
    db.session.commit()
    assert remove_booking(moved.id, FROZEN_NOW) == 1
    db.session.commit()
    assert get(copy.href).status == 404
    assert db.session.query(CalendarCopy).count() == 0
    assert remove_booking(moved.id, FROZEN_NOW) == 0  # again: nothing left, no error


def test_switching_write_back_off_removes_copies(setup):
    event_type, _host, source, _url = setup
    booking = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    push_booking(booking.id, FROZEN_NOW)
    href = db.session.scalar(select(CalendarCopy.href))
    source.write_back = False
    db.session.commit()
    assert push_booking(booking.id, FROZEN_NOW) == 0
    db.session.commit()
    assert get(href).status == 404


def test_written_copies_are_not_imported_back_as_busy_time(setup):
    """The booking blocks its time already; its own copy must not block its reschedule."""
    event_type, _host, source, url = setup
    booking = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    push_booking(booking.id, FROZEN_NOW)
    other = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:theirs\r\n"
    other += "DTSTAMP:20300101T000000Z\r\nDTSTART:20300109T090000Z\r\n"
    other += "DTEND:20300109T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    auth = base64.b64encode(b"alice:").decode()
    put = request(
        "PUT", url + "theirs.ics", LOCAL, {"Authorization": f"Basic {auth}"}, other.encode()
    )
    assert put.status == 201
    assert imports.refresh_source(source, FROZEN_NOW).error == ""
    assert source.busy_count == 1  # the other event only
    moved = reschedule_booking(
        booking, TUESDAY + timedelta(minutes=30), FROZEN_NOW, video_base_url=VIDEO
    )
    assert moved.start_at == TUESDAY + timedelta(minutes=30)


def test_the_worker_writes_moves_and_removes_the_copy(app, setup, smtp_server):
    """Through the outbox: a booking's hooks queue the sync, the worker delivers it."""
    from scheduling.delivery.worker import Worker
    from scheduling.models import OutboxMessage

    event_type, _host, _source, _url = setup
    booking = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "caldav")).all()
    assert len(queued) == 1
    Worker(app, worker_id="w").run_once()
    copy = db.session.scalar(select(CalendarCopy))
    assert copy is not None
    stored = Calendar.from_ical(get(copy.href).body).walk("VEVENT")[0]
    assert stored.decoded("dtstart") == TUESDAY

    moved = reschedule_booking(
        booking, TUESDAY + timedelta(hours=2), FROZEN_NOW, video_base_url=VIDEO
    )
    db.session.commit()
    Worker(app, worker_id="w").run_once()
    stored = Calendar.from_ical(get(copy.href).body).walk("VEVENT")[0]
    assert stored.decoded("dtstart") == TUESDAY + timedelta(hours=2)

    cancel_booking(moved, "", FROZEN_NOW)
    db.session.commit()
    Worker(app, worker_id="w").run_once()
    assert get(copy.href).status == 404
    assert db.session.query(CalendarCopy).count() == 0
    statuses = db.session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.kind == "caldav")
    ).all()
    assert statuses == ["done", "done", "done"]


def test_no_writeback_calendar_queues_nothing(app, make_event_type, frozen_now):
    from scheduling.models import OutboxMessage

    event_type = make_event_type(title="Plain")
    create_booking(
        event_type,
        TUESDAY,
        Invitee("Ada", "ada@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "caldav")) is None
