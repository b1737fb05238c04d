"""What the booking emails say (issue 14 point 7): replies reach the person the meeting is with,
video calls have a Join button, a move shows the old time, a cancellation offers a new booking,
and without MAIL_FROM the sender is at the public address's domain, not localhost."""

from datetime import timedelta

from scheduling.delivery.emails import sender
from scheduling.extensions import db
from scheduling.operations.bookings import cancel_booking, reschedule_booking
from tests.conftest import FROZEN_NOW
from tests.integration.test_outbox_emails import START, book, run_worker


def _parts(message):
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def test_replies_go_to_the_other_person(app, make_event_type, moving_clock, smtp_server):
    booking = book(make_event_type())
    run_worker(app)
    to_invitee = smtp_server.to("ada@example.org")[0].message
    to_host = smtp_server.to(booking.host.email)[0].message
    assert to_invitee["Reply-To"] == f"{booking.host.name} <{booking.host.email}>"
    assert to_host["Reply-To"] == "Ada Lovelace <ada@example.org>"


def test_a_video_meeting_has_a_join_button(app, make_event_type, moving_clock, smtp_server):
    booking = book(make_event_type())
    assert booking.location_kind == "video" and booking.location.startswith("https://")
    run_worker(app)
    html, text = _parts(smtp_server.to("ada@example.org")[0].message)
    assert f'<a class="button" href="{booking.location}">Join the video call</a>' in html
    assert f"Join the video call: {booking.location}" in text


def test_the_moved_email_shows_the_old_and_the_new_time(
    app, make_event_type, moving_clock, smtp_server
):
    booking = book(make_event_type())
    run_worker(app)
    reschedule_booking(
        booking, START + timedelta(days=1), FROZEN_NOW, video_base_url="https://meet.test.example"
    )
    db.session.commit()
    smtp_server.received.clear()
    run_worker(app)
    html, text = _parts(smtp_server.to("ada@example.org")[0].message)
    # Ada is in London: 09:00 UTC on 8 January is 09:00 there, and the new time a day later.
    zone = "(United Kingdom Time (London))"  # the zone as the visitor's language names it
    assert f"Previously: Tuesday, 8 January 2030, 09:00 {zone}" in text
    assert f"When: Wednesday, 9 January 2030, 09:00 {zone}" in text
    assert "<s>Tuesday, 8 January 2030, 09:00" in html


def test_a_cancellation_offers_to_book_again(app, make_event_type, moving_clock, smtp_server):
    event_type = make_event_type()
    booking = book(event_type)
    run_worker(app)
    cancel_booking(booking, "Conflict", FROZEN_NOW)
    db.session.commit()
    smtp_server.received.clear()
    run_worker(app)
    html, text = _parts(smtp_server.to("ada@example.org")[0].message)
    assert f"/book/{event_type.slug}?lang=en" in text
    assert "Book a new time" in html
    assert "Join the video call" not in html  # the room is gone with the meeting
    host_html, _ = _parts(smtp_server.to(booking.host.email)[0].message)
    assert "Book a new time" not in host_html


def test_without_mail_from_the_sender_is_at_the_public_domain(app, make_event_type):
    config = {"MAIL_FROM": "", "PUBLIC_URL": "https://www.book.northwind.example:8443/x"}
    assert sender(config, "Northwind") == "Northwind <bookings@book.northwind.example>"
    assert sender({"MAIL_FROM": "", "PUBLIC_URL": ""}, "N") == "N <bookings@localhost>"
    chosen = {"MAIL_FROM": "Sales <sales@n.example>", "PUBLIC_URL": "https://x.example"}
    assert sender(chosen, "Northwind") == "Sales <sales@n.example>"


def test_an_email_sent_without_mail_from_uses_the_public_domain(
    app, make_event_type, moving_clock, smtp_server
):
    app.config.update(MAIL_FROM="", PUBLIC_URL="https://book.northwind.example")
    booking = book(make_event_type())
    run_worker(app)
    message = smtp_server.to("ada@example.org")[0].message
    assert message["From"].addresses[0].addr_spec == "bookings@book.northwind.example"
    assert message["From"].addresses[0].display_name == booking.organisation.name
