"""The booking page's .ics: an invitation (REQUEST), its withdrawal (CANCEL), and after a move."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from scheduling.extensions import db
from scheduling.operations.bookings import (
    Invitee,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from scheduling.web.urls import booking_link
from tests.conftest import FROZEN_NOW

VIDEO = "https://meet.test.example"
TUESDAY = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)


def ics_of(app, client, booking):
    with app.test_request_context():
        view = booking_link(booking, "view")
    response = client.get(view.removeprefix("http://localhost") + "/invite.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    return str(calendar["method"]), calendar.walk("VEVENT")[0]


def test_request_then_cancel_with_same_uid_and_higher_sequence(
    app, client, make_event_type, frozen_now
):
    event_type = make_event_type(title="Demo")
    booking = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    method, event = ics_of(app, client, booking)
    assert method == "REQUEST"
    assert str(event["organizer"]) == f"mailto:{booking.host.email}"
    assert str(event["attendee"]) == "mailto:grace@example.com"
    assert int(event["sequence"]) == 0
    cancel_booking(booking, "", FROZEN_NOW + timedelta(minutes=1))
    db.session.commit()
    method, cancelled = ics_of(app, client, booking)
    assert method == "CANCEL"
    assert str(cancelled["uid"]) == str(event["uid"])
    assert int(cancelled["sequence"]) == 1
    assert str(cancelled["status"]) == "CANCELLED"


def test_old_link_after_reschedule_gives_the_new_time(app, client, make_event_type, frozen_now):
    event_type = make_event_type(title="Demo")
    booking = create_booking(
        event_type,
        TUESDAY,
        Invitee("Grace Hopper", "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
    )
    db.session.commit()
    reschedule_booking(booking, TUESDAY + timedelta(hours=2), FROZEN_NOW, video_base_url=VIDEO)
    db.session.commit()
    method, event = ics_of(app, client, booking)
    assert method == "REQUEST"
    assert int(event["sequence"]) == 1
    assert event.decoded("dtstart") == TUESDAY + timedelta(hours=2)
