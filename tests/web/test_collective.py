"""Collective meetings over HTTP: an event type that needs all of its hosts at once.

Admin form, public booking without JavaScript, the API, each host's invitation and feed,
cancel and reschedule moving every host's row together, and a busy host taking a slot away.
"""

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import (
    Booking,
    BusyBlock,
    EventType,
    OutboxMessage,
    WebhookSubscription,
)
from scheduling.operations.api_keys import create_api_key
from scheduling.operations.bookings import Invitee, create_booking
from scheduling.operations.calendar_feeds import regenerate_feed
from tests.conftest import FROZEN_NOW, TEST_SECRET

TUESDAY_10 = "2030-01-08T09:00:00+00:00"  # 10:00 in Berlin
TUESDAY_14 = datetime(2030, 1, 8, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
VIDEO = "https://meet.test.example"


def build_world(make_org, make_host, make_user, make_event_type) -> SimpleNamespace:
    """Clara and Sven host "Deep dive" together (both 09:00-17:00 Berlin); Sam works alone."""
    org = make_org(name="Acme")
    closer = make_host(org=org, name="Clara Closer")
    engineer = make_host(org=org, name="Sven Engineer")
    solo = make_host(org=org, name="Solo Sam")
    event_type = make_event_type(
        hosts=[closer, engineer], slug="deep-dive", title="Deep dive", assignment="collective"
    )
    admin = make_user(role="admin", org=org, name="Ada Admin")
    _, write_token = create_api_key(admin, "Writer", "write", FROZEN_NOW)
    db.session.commit()
    return SimpleNamespace(
        org=org,
        closer=closer,
        engineer=engineer,
        solo=solo,
        event_type=event_type,
        admin=admin,
        api={"Authorization": f"Bearer {write_token}"},
    )


@pytest.fixture
def world(make_org, make_host, make_user, make_event_type, frozen_now):
    return build_world(make_org, make_host, make_user, make_event_type)


def rows() -> list[Booking]:
    db.session.rollback()  # end the snapshot: see what the requests committed
    return list(db.session.scalars(select(Booking).order_by(Booking.id)))


def form_token(html: str) -> str:
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)


def book_by_form(client, slug: str, start: str = TUESDAY_10):
    page = client.get(f"/book/{slug}/confirm", query_string={"start": start, "tz": "Europe/Berlin"})
    assert page.status_code == 200, page.text
    return client.post(
        f"/book/{slug}/confirm",
        data={
            "start": start,
            "tz": "Europe/Berlin",
            "form_token": form_token(page.text),
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "note": "",
        },
    )


def public_day(client, slug: str, day: str = "2030-01-08") -> str:
    return client.get(f"/book/{slug}?tz=Europe/Berlin&date={day}").text


def book_api(client, world, start=TUESDAY_10):
    return client.post(
        "/api/v1/bookings",
        json={
            "event_type": world.event_type.slug,
            "start": start,
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "timezone": "Europe/Paris",
        },
    )


# -- slots and booking -------------------------------------------------------------------------


def test_slots_are_the_times_every_host_is_free(client, world):
    assert ">10:00<" in public_day(client, world.event_type.slug)
    db.session.add(
        BusyBlock(
            host_id=world.engineer.id,
            start_at=datetime(2030, 1, 8, 9, 0, tzinfo=UTC),
            end_at=datetime(2030, 1, 8, 10, 0, tzinfo=UTC),
            reason="Dentist",
            created_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    day = public_day(client, world.event_type.slug)
    assert ">10:00<" not in day and ">10:30<" not in day and ">11:00<" in day
    response = book_api(client, world)
    assert response.status_code in (400, 409) and rows() == []
    slots = client.get(
        f"/api/v1/event-types/{world.event_type.slug}/slots",
        query_string={"start": "2030-01-08", "end": "2030-01-08", "timezone": "UTC"},
    ).json["slots"]
    assert "2030-01-08T10:00:00+00:00" in slots and "2030-01-08T09:00:00+00:00" not in slots
    # A host's own booking of another event type takes the time from the meeting too.
    solo_call = create_booking_for(world.engineer, TUESDAY_14)
    assert solo_call.host_id == world.engineer.id
    assert ">14:00<" not in public_day(client, world.event_type.slug)


def create_booking_for(host, start):
    """A one-host booking of another event type (created for the purpose) at `start`."""
    now = FROZEN_NOW
    event_type = EventType(
        organisation_id=host.organisation_id,
        slug=f"solo-{host.id}",
        title="Solo",
        duration=30,
        step=30,
        locations=[{"kind": "video", "detail": ""}],
        created_at=now,
    )
    event_type.hosts = [host]
    db.session.add(event_type)
    db.session.commit()
    booking = create_booking(
        event_type, start, Invitee("Other", "o@example.org", "UTC"), now, video_base_url=VIDEO
    )
    db.session.commit()
    return booking


def test_public_booking_without_js_books_every_host_in_one_meeting(client, world):
    response = book_by_form(client, world.event_type.slug)
    assert response.status_code == 303
    booked = rows()
    assert [row.host.name for row in booked] == ["Clara Closer", "Sven Engineer"]
    primary, second = booked
    assert {row.meeting_id for row in booked} == {primary.id}
    assert primary.ical_uid == second.ical_uid and primary.location == second.location
    assert f"/booking/{primary.uid}/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    # Both hosts are taken now: the time is gone, and a second visitor is told so.
    assert ">10:00<" not in public_day(client, world.event_type.slug)
    again = book_api(client, world)
    assert again.status_code in (400, 409) and len(rows()) == 2


def test_api_booking_lists_all_hosts_and_sends_one_webhook(client, world):
    db.session.add(
        WebhookSubscription(
            organisation_id=world.org.id,
            url="https://crm.example/hooks",
            events=["booking.created", "booking.cancelled", "booking.rescheduled"],
            secret_enc="x",
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    response = book_api(client, world)
    assert response.status_code == 201, response.json
    assert [h["name"] for h in response.json["hosts"]] == ["Clara Closer", "Sven Engineer"]
    assert response.json["host"] == {"name": "Clara Closer"}
    hooks = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
    assert len(hooks) == 1
    booking = hooks[0].payload["body"]["data"]["booking"]
    assert booking["id"] == response.json["id"]
    assert [h["email"] for h in booking["hosts"]] == [world.closer.email, world.engineer.email]
    # The integration API lists the meeting once, and each host's row for that host.
    listed = client.get("/api/v1/bookings", headers=world.api).json["data"]
    assert [b["id"] for b in listed] == [response.json["id"]]
    mine = client.get(
        "/api/v1/bookings", headers=world.api, query_string={"host_id": world.engineer.id}
    ).json["data"]
    assert [b["host"]["id"] for b in mine] == [world.engineer.id]
    assert len(mine[0]["hosts"]) == 2


# -- emails and feeds --------------------------------------------------------------------------


def test_the_invitee_hears_once_and_every_host_gets_the_invitation(
    client, runner, world, smtp_server
):
    assert book_api(client, world).status_code == 201
    result = runner.invoke(args=["rendezvous", "worker", "--once"])
    assert result.exit_code == 0, result.output
    (invitee_mail,) = smtp_server.to("grace@example.com")
    assert "Clara Closer and Sven Engineer" in invitee_mail.message["Subject"]
    for host, other in ((world.closer, "Sven Engineer"), (world.engineer, "Clara Closer")):
        (mail,) = smtp_server.to(host.email)
        text = mail.message.get_body(("plain",)).get_content()
        assert f"Also hosting: {other}" in text
        ics = next(part for part in mail.message.iter_attachments())
        event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
        attendees = {str(a).removeprefix("mailto:") for a in event.get("attendee")}
        assert attendees == {"grace@example.com", world.engineer.email}
        assert str(event["organizer"]).removeprefix("mailto:") == world.closer.email


def test_each_hosts_feed_shows_the_meeting_once(client, world):
    assert book_api(client, world).status_code == 201
    for host in (world.closer, world.engineer):
        token = regenerate_feed(host, TEST_SECRET, FROZEN_NOW)
        db.session.commit()
        body = client.get(f"/feeds/host/{token}.ics").data
        events = list(Calendar.from_ical(body).walk("VEVENT"))
        assert len(events) == 1 and "Deep dive" in str(events[0]["summary"])
    token = regenerate_feed(world.solo, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    assert not list(Calendar.from_ical(client.get(f"/feeds/host/{token}.ics").data).walk("VEVENT"))


# -- cancel and reschedule together -------------------------------------------------------------


def booking_links(client, location: str) -> tuple[str, str]:
    page = client.get(location)
    links = dict.fromkeys(re.findall(r'href="http://localhost(/booking/[^"]+)"', page.text))
    cancel = next(link for link in links if "/cancel/" in link)
    reschedule = next(link for link in links if "/reschedule/" in link)
    return cancel, reschedule


def test_the_invitee_cancels_the_whole_meeting(client, world):
    cancel, _ = booking_links(
        client, book_by_form(client, world.event_type.slug).headers["Location"]
    )
    page = client.get(cancel)
    response = client.post(cancel, data={"form_token": form_token(page.text), "reason": "Ill"})
    assert response.status_code == 303
    assert [(row.status, row.cancel_reason) for row in rows()] == [("cancelled", "Ill")] * 2
    assert ">10:00<" in public_day(client, world.event_type.slug)


def test_the_invitee_moves_the_whole_meeting(client, world):
    location = book_by_form(client, world.event_type.slug).headers["Location"]
    _, reschedule = booking_links(client, location)
    new_start = "2030-01-09T13:00:00+00:00"
    confirm = client.get(
        reschedule + "/confirm", query_string={"start": new_start, "tz": "Europe/Berlin"}
    )
    assert confirm.status_code == 200, confirm.text
    response = client.post(
        reschedule + "/confirm",
        data={"start": new_start, "tz": "Europe/Berlin", "form_token": form_token(confirm.text)},
    )
    assert response.status_code == 303
    old_a, old_b, new_a, new_b = rows()
    assert (old_a.status, old_b.status, new_a.status, new_b.status) == (
        "rescheduled",
        "rescheduled",
        "confirmed",
        "confirmed",
    )
    assert {new_a.meeting_id, new_b.meeting_id} == {new_a.id}
    assert new_a.rescheduled_from_id == old_a.id and new_b.rescheduled_from_id == old_b.id
    assert new_a.ical_uid == old_a.ical_uid and new_a.sequence == old_a.sequence + 1
    assert new_a.start_at == new_b.start_at == datetime(2030, 1, 9, 13, tzinfo=UTC)
    assert f"/booking/{new_a.uid}/" in response.headers["Location"]


def test_a_move_to_a_time_one_host_is_busy_moves_nothing(client, world):
    assert book_api(client, world).status_code == 201
    create_booking_for(world.engineer, TUESDAY_14)
    primary = rows()[0]
    response = client.post(
        f"/api/v1/bookings/{primary.uid}/reschedule",
        headers=world.api,
        json={"start": TUESDAY_14.isoformat()},
    )
    assert response.status_code in (400, 409)
    assert [row.status for row in rows()] == ["confirmed", "confirmed", "confirmed"]


def test_the_api_moves_the_meeting_from_a_second_hosts_row(client, world):
    assert book_api(client, world).status_code == 201
    second = rows()[1]
    response = client.post(
        f"/api/v1/bookings/{second.uid}/reschedule",
        headers=world.api,
        json={"start": "2030-01-09T10:00:00Z", "reason": "Moved by CRM"},
    )
    assert response.status_code == 201, response.json
    assert response.json["host"]["id"] == world.engineer.id
    statuses = [(row.host_id, row.status) for row in rows()]
    assert statuses.count((world.closer.id, "confirmed")) == 1
    assert statuses.count((world.engineer.id, "confirmed")) == 1
    other = client.post(
        f"/api/v1/bookings/{rows()[2].uid}/reschedule",
        headers=world.api,
        json={"start": "2030-01-10T10:00:00Z", "host_id": world.solo.id},
    )
    assert other.status_code == 400 and "keeps its hosts" in other.json["message"]


def test_the_meeting_is_all_or_nothing_in_time(client, world):
    # Sven already has a meeting at 10:30 (buffers of the collective type reach it).
    world.event_type.buffer_after = 15
    db.session.commit()
    create_booking_for(world.engineer, datetime(2030, 1, 8, 9, 30, tzinfo=UTC))
    assert ">10:00<" not in public_day(client, world.event_type.slug)
    assert book_api(client, world).status_code in (400, 409)
    assert all(row.host_id == world.engineer.id for row in rows())


# -- embed, the script's times fragment, the admin's own booking ---------------------------------


def test_the_widget_books_the_whole_meeting(client, world):
    from scheduling.models import EmbedSettings

    db.session.add(
        EmbedSettings(
            organisation_id=world.org.id,
            allowed_origins=["https://www.customer.example"],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    slug = world.event_type.slug
    times = client.get(f"/book/{slug}?embed=1&tz=Europe/Berlin&date=2030-01-08&fragment=times")
    assert times.status_code == 200 and ">10:00<" in times.text
    page = client.get(
        f"/book/{slug}/confirm", query_string={"embed": "1", "start": TUESDAY_10, "tz": "UTC"}
    )
    assert page.status_code == 200, page.text
    response = client.post(
        f"/book/{slug}/confirm?embed=1",
        data={
            "start": TUESDAY_10,
            "tz": "UTC",
            "form_token": form_token(page.text),
            "name": "Ada",
            "email": "ada@example.com",
        },
    )
    assert response.status_code == 303, response.text
    assert [row.host_id for row in rows()] == [world.closer.id, world.engineer.id]
    assert "Clara Closer, Sven Engineer" in client.get(response.headers["Location"]).text
    after = client.get(f"/book/{slug}?embed=1&tz=Europe/Berlin&date=2030-01-08&fragment=times")
    assert ">10:00<" not in after.text


def test_an_absent_host_makes_the_day_unavailable_and_no_delegate_steps_in(client, world):
    from datetime import date

    from scheduling.models import Absence

    db.session.add(
        Absence(
            host_id=world.engineer.id,
            first_day=date(2030, 1, 8),
            last_day=date(2030, 1, 8),
            delegate_id=world.solo.id,
        )
    )
    db.session.commit()
    slug = world.event_type.slug
    assert ">10:00<" not in public_day(client, slug)
    assert ">10:00<" in public_day(client, slug, "2030-01-09")
    assert book_api(client, world).status_code in (400, 409)
    assert rows() == []
