"""A collective meeting in each host's CalDAV calendar: one copy per host, moved and removed
together (the meeting's rows share one iCal UID, one row per host)."""

from datetime import timedelta

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
from scheduling.operations.caldav_writeback import push_booking
from scheduling.operations.calendar_import import SourceInput
from tests.conftest import FROZEN_NOW
from tests.integration.test_caldav_writeback import TUESDAY, VIDEO, get


@pytest.fixture
def meeting_world(app, make_org, make_host, make_event_type, radicale, frozen_now):
    app.config["CALENDAR_ALLOW_PRIVATE"] = True
    org = make_org()
    hosts = [make_host(org=org, name="Clara"), make_host(org=org, name="Sven")]
    event_type = make_event_type(hosts=hosts, title="Deep dive", assignment="collective")
    for host in hosts:
        url = radicale.make_calendar("alice", f"bookings-{host.id}")
        imports.save_source(
            host, SourceInput("caldav", "Mine", url, "alice", "", write_back=True), FROZEN_NOW
        )
    db.session.commit()
    return event_type, hosts


def copies() -> dict[int, CalendarCopy]:
    return {copy.source.host_id: copy for copy in db.session.scalars(select(CalendarCopy))}


def test_every_host_gets_a_copy_that_moves_and_goes_with_the_meeting(meeting_world):
    event_type, (clara, sven) = meeting_world
    primary = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    assert push_booking(primary.id, FROZEN_NOW) == 2
    db.session.commit()
    written = copies()
    assert set(written) == {clara.id, sven.id}
    for copy in written.values():
        stored = Calendar.from_ical(get(copy.href).body).walk("VEVENT")[0]
        assert str(stored["uid"]) == primary.ical_uid
        assert stored.decoded("dtstart") == TUESDAY

    moved = reschedule_booking(
        primary, TUESDAY + timedelta(hours=2), FROZEN_NOW, video_base_url=VIDEO
    )
    db.session.commit()
    # Syncing from either row brings both hosts' copies to the new time (not one host's only).
    assert push_booking(moved.id, FROZEN_NOW) == 2
    db.session.commit()
    assert push_booking(moved.id, FROZEN_NOW) == 0
    for copy in copies().values():
        stored = Calendar.from_ical(get(copy.href).body).walk("VEVENT")[0]
        assert stored.decoded("dtstart") == TUESDAY + timedelta(hours=2)
        assert int(stored["sequence"]) == 1

    hrefs = [copy.href for copy in copies().values()]
    cancel_booking(moved, "", FROZEN_NOW)
    db.session.commit()
    assert push_booking(moved.id, FROZEN_NOW) == 2
    db.session.commit()
    assert copies() == {}
    assert [get(href).status for href in hrefs] == [404, 404]
