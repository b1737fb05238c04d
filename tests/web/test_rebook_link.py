"""The no-show email's "book again" link brings back the visitor's answers and details."""

import html
import re
from datetime import timedelta

from sqlalchemy import select

from scheduling import clock
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import Booking, EventTypeNotification
from scheduling.operations.outcomes import OutcomeInput, record_outcome
from tests.conftest import FROZEN_NOW
from tests.web.test_routing_flow import SLOT, answers, qualify_via_page, setup  # noqa: F401


def book_through_pages(client, slug, lead_uid=None):
    query = {"start": SLOT, "tz": "Europe/Berlin", **({"lead": lead_uid} if lead_uid else {})}
    confirm = client.get(f"/book/{slug}/confirm", query_string=query)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', confirm.text).group(1)
    data = {**query, "form_token": token, "name": "Grace Hopper", "email": "grace@example.com"}
    assert client.post(f"/book/{slug}/confirm", data=data).status_code == 303
    db.session.rollback()
    return db.session.scalar(select(Booking))


def no_show_link(app, booking, make_user, smtp_server, monkeypatch) -> str:
    """Mark the booking a no-show with the follow-up on; the book-again path from its email."""
    db.session.add(
        EventTypeNotification(
            event_type_id=booking.event_type_id,
            reminder_minutes=[],
            no_show_followup=True,
            updated_at=FROZEN_NOW,
        )
    )
    manager = make_user(role="manager", org=booking.organisation)
    later = booking.start_at + timedelta(minutes=30)
    record_outcome(booking, OutcomeInput(status="no_show"), manager, later)
    db.session.commit()
    monkeypatch.setattr(clock, "utcnow", lambda: later + timedelta(hours=1))
    Worker(app, worker_id="test-worker").run_once()
    (sent,) = [r for r in smtp_server.to("grace@example.com") if "missed" in r.message["Subject"]]
    text = sent.message.get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/book/\S+)", text).group(1)


def test_rebook_link_prefills_the_questions(
    app,
    client,
    setup,  # noqa: F811
    make_user,
    smtp_server,
    monkeypatch,
):
    qualify_via_page(client, setup["slug"], answers(country="DE", phone="030 1234567"))
    booking = book_through_pages(client, setup["slug"], lead_uid=_lead_uid())
    link = no_show_link(app, booking, make_user, smtp_server, monkeypatch)
    assert "rebook=" in link
    page = html.unescape(client.get(link).text)
    assert 'name="q_full_name"' in page
    assert 'value="Grace Hopper"' in page and 'value="grace@example.com"' in page
    assert re.search(r'value="medium"[^>]*checked', page)
    assert "+49301234567" in page or "030 1234567" in page
    fresh = html.unescape(client.get(f"/book/{setup['slug']}").text)
    assert 'value="Grace Hopper"' not in fresh
    forged = html.unescape(client.get(f"/book/{setup['slug']}?rebook=eyJiIjoxfQ.x.y").text)
    assert 'value="Grace Hopper"' not in forged


def _lead_uid():
    from scheduling.models import Lead

    db.session.rollback()
    return db.session.scalar(select(Lead.uid))


def test_rebook_link_without_questions_prefills_the_booking_form(
    app, client, make_event_type, make_user, smtp_server, monkeypatch, frozen_now
):
    event_type = make_event_type(title="Intro call")
    booking = book_through_pages(client, event_type.slug)
    link = no_show_link(app, booking, make_user, smtp_server, monkeypatch)
    day = client.get(link + "&date=2030-01-15&tz=Europe/Berlin")
    visitor = re.search(r'name="visitor" value="([^"]+)"', day.text).group(1)
    confirm = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={
            "start": "2030-01-15T09:00:00+00:00",
            "tz": "Europe/Berlin",
            "visitor": visitor,
        },
    )
    assert confirm.status_code == 200, confirm.text
    assert 'value="Grace Hopper"' in confirm.text and 'value="grace@example.com"' in confirm.text
