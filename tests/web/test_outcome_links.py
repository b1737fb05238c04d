"""The host's one-click "held / no-show" links: in the confirmation and the after-meeting email,
a GET only shows a confirmation page, the POST records, forged/expired/foreign links are refused."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduling import clock
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import OutboxMessage, Outcome, WebhookSubscription
from scheduling.operations.bookings import Invitee, create_booking
from tests.conftest import FROZEN_NOW

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
LINK_RE = re.compile(r"https?://[^/\s\"]+(/outcome/[A-Za-z0-9_.\-]+)")


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def setup(make_org, make_host, make_event_type, frozen_now, monkeypatch):
    org = make_org()
    host = make_host(org=org, name="Anna Closer", email="anna@example.org", tz="UTC")
    event_type = make_event_type(hosts=[host])
    booking = create_booking(
        event_type,
        START,
        Invitee("Ada Lovelace", "ada@example.org", "UTC"),
        FROZEN_NOW,
        video_base_url="https://meet.test.example",
    )
    db.session.add(
        WebhookSubscription(
            organisation_id=org.id,
            url="https://hooks.example/",
            events=["booking.outcome_recorded"],
            secret_enc="x",
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    fake = Clock(FROZEN_NOW)
    monkeypatch.setattr(clock, "utcnow", fake)
    return booking, host, fake


def run_worker(app):
    return Worker(app, worker_id="test-worker").run_once()


def links_in(received) -> dict[str, str]:
    """The outcome link paths of one email, keyed by what they record (text part)."""
    text = received.message.get_body(("plain",)).get_content()
    held = re.search(r"The call was held: (\S+)", text).group(1)
    missed = re.search(r"The invitee did not come: (\S+)", text).group(1)
    return {"attended": LINK_RE.match(held).group(1), "no_show": LINK_RE.match(missed).group(1)}


def outcome_of(booking_id):
    db.session.rollback()
    return db.session.scalar(select(Outcome).where(Outcome.booking_id == booking_id))


def test_confirmation_link_shows_a_page_on_get_and_records_on_post(app, client, setup, smtp_server):
    booking, _, fake = setup
    run_worker(app)
    (to_host,) = smtp_server.to("anna@example.org")
    links = links_in(to_host)
    assert links_in(to_host)  # and the HTML part links them too
    assert links["attended"] in to_host.message.get_body(("html",)).get_content()
    assert smtp_server.to("ada@example.org")
    assert "/outcome/" not in smtp_server.to("ada@example.org")[0].data.decode()
    fake.now = START + timedelta(minutes=40)
    page = client.get(links["attended"])
    assert page.status_code == 200 and "Confirm: the call was held" in page.text
    assert "Set-Cookie" not in page.headers
    assert outcome_of(booking.id) is None  # GET alone does nothing
    done = client.post(links["attended"])
    assert done.status_code == 200 and "Recorded: the call was held." in done.text
    outcome = outcome_of(booking.id)
    assert outcome.status == "attended" and outcome.recorded_by_id is None
    db.session.rollback()
    hooks = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.topic == "booking.outcome_recorded")
    ).all()
    assert len(hooks) == 1
    # The other link changes it to a no-show.
    client.post(links["no_show"])
    assert outcome_of(booking.id).status == "no_show"


def test_after_meeting_email_at_the_end_with_links(app, client, setup, smtp_server):
    booking, _, fake = setup
    run_worker(app)
    smtp_server.received.clear()
    fake.now = booking.end_at - timedelta(minutes=1)
    run_worker(app)
    assert smtp_server.to("anna@example.org") == []
    fake.now = booking.end_at
    run_worker(app)
    (after,) = smtp_server.to("anna@example.org")
    assert after.message["Subject"].startswith("How did it go?")
    links = links_in(after)
    response = client.post(links["no_show"])
    assert response.status_code == 200 and outcome_of(booking.id).status == "no_show"


def test_after_meeting_email_skipped_when_the_outcome_is_already_in(
    app, client, setup, smtp_server
):
    booking, _, fake = setup
    run_worker(app)
    links = links_in(smtp_server.to("anna@example.org")[0])
    fake.now = START + timedelta(minutes=5)
    client.post(links["attended"])
    smtp_server.received.clear()
    fake.now = booking.end_at + timedelta(minutes=1)
    run_worker(app)
    assert smtp_server.to("anna@example.org") == []


def test_forged_expired_and_reassigned_links_are_refused(
    app, client, setup, smtp_server, make_host
):
    booking, host, fake = setup
    run_worker(app)
    links = links_in(smtp_server.to("anna@example.org")[0])
    fake.now = START + timedelta(minutes=40)
    path = links["attended"]
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for response in (client.get(forged), client.post(forged)):
        assert response.status_code == 400 and "This link is not valid." in response.text
    app.config["OUTCOME_LINK_MAX_AGE"] = -1
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400 and "This link has expired" in response.text
    app.config["OUTCOME_LINK_MAX_AGE"] = 3600
    other = make_host(org=host.organisation, name="Ben")
    booking.host_id = other.id
    db.session.commit()
    assert client.post(path).status_code == 400
    assert outcome_of(booking.id) is None


def test_before_the_call_and_cross_site_posts_change_nothing(app, client, setup, smtp_server):
    booking, _, fake = setup
    run_worker(app)
    links = links_in(smtp_server.to("anna@example.org")[0])
    early = client.post(links["attended"])
    assert early.status_code == 400 and "once the call has started" in early.text
    fake.now = START + timedelta(minutes=40)
    cross = client.post(links["attended"], headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert outcome_of(booking.id) is None
