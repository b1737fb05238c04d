"""Collective meetings on the admin side: the event type form, the bookings list and detail
(the meeting once, with all hosts), cancelling from any row, an admin's own booking."""

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import EventType, OutboxMessage, Pool
from tests.conftest import FROZEN_NOW, csrf_from, login, post_form
from tests.web.test_collective import (
    TUESDAY_10,
    TUESDAY_14,
    book_api,
    build_world,
    create_booking_for,
    rows,
)


@pytest.fixture
def world(make_org, make_host, make_user, make_event_type, frozen_now):
    return build_world(make_org, make_host, make_user, make_event_type)


def event_type_form(world, **overrides) -> dict:
    data = {
        "title": "Technical demo",
        "slug": "technical-demo",
        "description": "",
        "duration": "30",
        "step": "30",
        "buffer_before": "0",
        "buffer_after": "0",
        "min_notice": "0",
        "horizon_days": "30",
        "daily_limit": "",
        "location_kinds": ["video"],
        "active": "y",
        "host_ids": [str(world.closer.id), str(world.engineer.id)],
        "routing_form_id": "",
        "pool_id": "",
        "assignment": "collective",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_collective_event_type_and_errors_are_clear(client, world):
    login(client, world.admin.email)
    page = client.get("/admin/event-types/new")
    assert "All of the hosts together" in page.text and "solution engineer" in page.text
    one_host = post_form(
        client, "/admin/event-types/new", event_type_form(world, host_ids=[str(world.closer.id)])
    )
    assert one_host.status_code == 400
    assert "Pick at least two hosts for a meeting with all of them." in one_host.text
    pool = Pool(organisation=world.org, name="Closers", period="week", tz="UTC")
    pool.created_at = FROZEN_NOW
    db.session.add(pool)
    db.session.commit()
    with_team = post_form(
        client, "/admin/event-types/new", event_type_form(world, pool_id=str(pool.id))
    )
    assert with_team.status_code == 400 and "choose no team" in with_team.text
    unknown = post_form(client, "/admin/event-types/new", event_type_form(world, assignment="x"))
    assert unknown.status_code == 400 and "Choose who hosts a meeting" in unknown.text
    assert db.session.scalar(select(func.count()).select_from(EventType)) == 1
    created = post_form(client, "/admin/event-types/new", event_type_form(world))
    assert created.status_code == 302, created.text
    saved = db.session.scalar(select(EventType).where(EventType.slug == "technical-demo"))
    assert saved.assignment == "collective"
    assert [host.name for host in saved.hosts] == ["Clara Closer", "Sven Engineer"]
    assert "(all together)" in client.get("/admin/event-types").text
    # Editing without the field (an older form) keeps the mode.
    edit = f"/admin/event-types/{saved.id}/edit"
    assert 'checked id="assignment-1" name="assignment" type="radio" value="collective"' in (
        client.get(edit).text
    )
    data = event_type_form(world, title="Technical demo 2")
    del data["assignment"]
    assert post_form(client, edit, data).status_code == 302
    db.session.refresh(saved)
    assert saved.assignment == "collective" and saved.title == "Technical demo 2"


def test_admin_sees_the_meeting_once_and_cancels_it_from_any_row(client, world):
    assert book_api(client, world).status_code == 201
    primary, second = rows()
    login(client, world.admin.email)
    listing = client.get("/admin/bookings").text
    assert listing.count(f'/admin/bookings/{primary.id}"') == 1
    assert f'/admin/bookings/{second.id}"' not in listing
    assert "Clara Closer, Sven Engineer" in listing
    detail = client.get(f"/admin/bookings/{second.id}").text
    assert "Hosts (all at the meeting)" in detail
    url = f"/admin/bookings/{second.id}/cancel"
    page = client.get(url)
    done = client.post(url, data={"csrf_token": csrf_from(page.text), "reason": "Lead asked"})
    assert done.status_code == 303
    assert [row.status for row in rows()] == ["cancelled", "cancelled"]
    mails = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "email", OutboxMessage.topic == "booking.cancelled"
        )
    ).all()
    assert sorted(m.payload["recipient"] for m in mails) == ["host", "host", "invitee"]


def test_an_admin_books_the_meeting_for_all_hosts(client, world):
    create_booking_for(world.engineer, TUESDAY_14)
    login(client, world.admin.email)
    url = (
        f"/admin/bookings/new?event_type={world.event_type.id}&host={world.closer.id}"
        "&date=2030-01-08"
    )
    page = client.get(url)
    assert page.status_code == 200
    # Clara alone is free at 14:00, Sven is not: the meeting is not offered then.
    assert 'value="2030-01-08T09:00:00+00:00"' in page.text
    assert 'value="2030-01-08T13:00:00+00:00"' not in page.text
    data = {
        "csrf_token": csrf_from(page.text),
        "start": TUESDAY_10,
        "name": "Lena Lead",
        "email": "lena@lead.example",
        "tz": "Europe/Berlin",
        "note": "",
    }
    taken = client.post(url, data={**data, "start": TUESDAY_14.isoformat()})
    assert taken.status_code in (400, 409)
    done = client.post(url, data=data)
    assert done.status_code == 303, done.text
    meeting = [row for row in rows() if row.meeting_id is not None]
    assert [row.host_id for row in meeting] == [world.closer.id, world.engineer.id]
    assert all(row.source == "admin" for row in meeting)


def test_each_host_sees_the_meeting_in_their_own_list(client, world, make_user):
    assert book_api(client, world).status_code == 201
    _, second = rows()
    rep = make_user(role="rep", host=world.engineer, email="sven@acme.example")
    login(client, rep.email)
    listing = client.get("/admin/bookings").text
    assert f'/admin/bookings/{second.id}"' in listing
    assert "Clara Closer, Sven Engineer" in listing
    detail = client.get(f"/admin/bookings/{second.id}")
    assert detail.status_code == 200 and "Hosts (all at the meeting)" in detail.text
    # Clara's row is hers: a rep sees only their own host's bookings.
    assert client.get(f"/admin/bookings/{rows()[0].id}").status_code == 404
