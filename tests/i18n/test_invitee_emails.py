"""A booking made in German stores "de", and its emails (through a real SMTP server) and .ics
files are in German; the host's stay in English."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Booking

SLOT = "2030-01-08T09:00:00+00:00"

GERMAN = {
    "Confirmed: %(title)s with %(other)s on %(when)s": (
        "Bestätigt: %(title)s mit %(other)s am %(when)s"
    ),
    "Cancelled: %(title)s with %(other)s on %(when)s": (
        "Abgesagt: %(title)s mit %(other)s am %(when)s"
    ),
    "%(title)s: %(invitee)s and %(host)s": "%(title)s: %(invitee)s und %(host)s",
    "%(title)s with %(host)s": "%(title)s mit %(host)s",
}


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type(title="Erstgespräch")


def book_in(client, event_type, lang: str) -> str:
    form = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": SLOT, "tz": "Europe/Berlin", "lang": lang},
    )
    assert form.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', form.text).group(1)
    answer = client.post(
        action.replace("&amp;", "&"),
        data={
            "start": SLOT,
            "tz": "Europe/Berlin",
            "form_token": re.search(
                r'name="form_token" type="hidden" value="([^"]+)"', form.text
            ).group(1),
            "name": "Lise Meitner",
            "email": "lise@example.org",
            "locale": re.search(r'name="locale" type="hidden" value="(\w+)"', form.text).group(1),
        },
    )
    assert answer.status_code == 303 and "/booking/" in answer.headers["Location"]
    return answer.headers["Location"]


def test_a_german_booking_gets_german_emails(
    client, runner, event_type, catalogue, moving_clock, smtp_server
):
    catalogue("de", GERMAN)
    book_in(client, event_type, "de")
    booking = db.session.scalars(select(Booking)).one()
    assert booking.invitee_locale == "de"
    result = runner.invoke(args=["rendezvous", "worker", "--once"])
    assert result.exit_code == 0, result.output
    (mail,) = smtp_server.to("lise@example.org")
    message = mail.message
    assert message["Content-Language"] == "de"
    assert message["Subject"].startswith("Bestätigt: Erstgespräch mit ")
    text = message.get_body(("plain",)).get_content()
    links = re.findall(r"https?://\S+/booking/\S+", text)
    assert links and all(parse_qs(urlsplit(link).query).get("lang") == ["de"] for link in links)
    html = message.get_body(("html",)).get_content()
    assert '<html lang="de">' in html
    ics = next(part for part in message.iter_attachments() if part.get_filename() == "invite.ics")
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["SUMMARY"]).startswith("Erstgespräch: Lise Meitner und ")
    # The host's copy stays in the default language.
    host_mail = smtp_server.to(booking.host.email)
    assert host_mail and host_mail[0].message["Content-Language"] == "en"
    assert host_mail[0].message["Subject"].startswith("Confirmed: Erstgespräch with Lise")


def test_cancellation_email_and_calendar_file_follow_the_stored_locale(
    client, runner, event_type, catalogue, moving_clock, smtp_server
):
    catalogue("de", GERMAN)
    page_url = book_in(client, event_type, "de")
    runner.invoke(args=["rendezvous", "worker", "--once"])
    smtp_server.received.clear()
    # The .ics download is the invitee's: German whatever the browser asking for it says.
    page = client.get(page_url, headers={"Accept-Language": "en"})
    ics_link = re.search(r'href="([^"]*invite\.ics[^"]*)"', page.text).group(1)
    ics = client.get(ics_link.replace("&amp;", "&"), headers={"Accept-Language": "en"})
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert str(event["SUMMARY"]).startswith("Erstgespräch: Lise Meitner und ")
    assert str(event["DESCRIPTION"]).startswith("Erstgespräch mit ")
    # Cancelled from a page opened in English: the email still follows the booking's language.
    cancel = re.search(r'href="([^"]*/cancel/[^"]*)"', page.text).group(1).replace("&amp;", "&")
    cancel = cancel.replace("lang=de", "lang=en")
    form = client.get(cancel)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form.text).group(1)
    assert client.post(cancel, data={"form_token": token}).status_code == 303
    runner.invoke(args=["rendezvous", "worker", "--once"])
    (mail,) = smtp_server.to("lise@example.org")
    assert mail.message["Content-Language"] == "de"
    assert mail.message["Subject"].startswith("Abgesagt: Erstgespräch mit ")


def test_the_api_stores_and_checks_the_locale(client, event_type):
    body = {
        "event_type": event_type.slug,
        "start": SLOT,
        "name": "Ada",
        "email": "ada@example.org",
        "timezone": "Europe/Paris",
    }
    refused = client.post("/api/v1/bookings", json={**body, "locale": "tlh"})
    assert refused.status_code == 400
    assert refused.get_json()["fields"]["locale"].startswith("unsupported language; use one of en")
    made = client.post("/api/v1/bookings", json={**body, "locale": "pl"})
    assert made.status_code == 201 and made.get_json()["locale"] == "pl"
    assert db.session.scalars(select(Booking)).one().invitee_locale == "pl"
    other = client.post(
        "/api/v1/bookings", json={**body, "start": "2030-01-08T10:00:00+00:00"}
    ).get_json()
    assert other["locale"] == "en"


def test_a_rescheduled_booking_keeps_the_invitee_language(client, event_type):
    made = client.post(
        "/api/v1/bookings",
        json={
            "event_type": event_type.slug,
            "start": SLOT,
            "name": "Rita Levi-Montalcini",
            "email": "rita@example.org",
            "timezone": "Europe/Rome",
            "locale": "it",
        },
    ).get_json()
    path = urlsplit(made["reschedule_url"]).path
    new_start = "2030-01-08T11:00:00+00:00"
    form = client.get(f"{path}/confirm", query_string={"start": new_start, "tz": "Europe/Rome"})
    assert form.status_code == 200, form.text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form.text).group(1)
    moved = client.post(
        f"{path}/confirm", data={"start": new_start, "tz": "Europe/Rome", "form_token": token}
    )
    assert moved.status_code == 303
    bookings = db.session.scalars(select(Booking).order_by(Booking.id)).all()
    assert [b.status for b in bookings] == ["rescheduled", "confirmed"]
    assert [b.invitee_locale for b in bookings] == ["it", "it"]


def test_german_email_and_its_calendar_file_show_the_german_date_and_zone_label(
    client, runner, event_type, catalogue, moving_clock, smtp_server
):
    catalogue("de", {**GERMAN, "When: %(when)s": "Wann: %(when)s"})
    page_url = book_in(client, event_type, "de")
    assert runner.invoke(args=["rendezvous", "worker", "--once"]).exit_code == 0
    (mail,) = smtp_server.to("lise@example.org")
    german = "Dienstag, 8. Januar 2030, 10:00 (Mitteleuropäische Zeit (Berlin))"
    assert german in mail.message["Subject"]
    assert german in mail.message.get_body(("plain",)).get_content()
    ics = next(p for p in mail.message.iter_attachments() if p.get_filename() == "invite.ics")
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]).startswith(f"Wann: {german}")
    # The host's copy: English, British conventions, the host's zone label in English.
    (host_mail,) = smtp_server.to(db.session.scalars(select(Booking)).one().host.email)
    host_text = host_mail.message.get_body(("plain",)).get_content()
    assert "Tuesday, 8 January 2030, 10:00 (Central European Time (Berlin))" in host_text
    # The downloaded .ics (the invitee's, in German) carries the same label.
    page = client.get(page_url, headers={"Accept-Language": "en"})
    ics_link = re.search(r'href="([^"]*invite\.ics[^"]*)"', page.text).group(1)
    download = client.get(ics_link.replace("&amp;", "&"), headers={"Accept-Language": "en"})
    event = Calendar.from_ical(download.data).walk("VEVENT")[0]
    assert f"Wann: {german}" in str(event["DESCRIPTION"])
