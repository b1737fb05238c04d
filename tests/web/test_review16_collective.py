"""Review of issue 16: collective meetings reached through any row, and after their event type
changed: the times offered for a move are the ones the move accepts."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import BusyBlock, OutboxMessage
from scheduling.operations.slots import compute_event_type_slots
from scheduling.web.urls import booking_link
from tests.conftest import FROZEN_NOW
from tests.web.test_collective import book_api, form_token, rows
from tests.web.test_collective import world as _world

world = _world
WEDNESDAY = datetime(2030, 1, 9, tzinfo=UTC)
WED_9_UTC = datetime(2030, 1, 9, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def _busy(host, start, end):
    db.session.add(
        BusyBlock(host_id=host.id, start_at=start, end_at=end, reason="Busy", created_at=FROZEN_NOW)
    )
    db.session.commit()


def _move_listed(booking, start) -> bool:
    day = compute_event_type_slots(
        booking.event_type,
        WEDNESDAY,
        WEDNESDAY.replace(day=10),
        FROZEN_NOW,
        exclude_booking_id=booking.id,
    )
    return start in day


def _listed_and_moved(client, world, booking) -> tuple[bool, bool]:
    """Whether Wednesday 10:00 Berlin is offered for the move, and whether the move books it."""
    listed = _move_listed(booking, WED_9_UTC)
    moved = client.post(
        f"/api/v1/bookings/{booking.uid}/reschedule",
        headers=world.api,
        json={"start": WED_9_UTC.isoformat()},
    )
    assert moved.status_code in (201, 400, 409), moved.text
    return listed, moved.status_code == 201


def test_a_second_hosts_row_link_cancels_the_whole_meeting_once(client, world):
    assert book_api(client, world).status_code == 201
    second = rows()[1]
    with client.application.test_request_context():
        view, cancel = booking_link(second, "view"), booking_link(second, "cancel")
    view, cancel = (link.removeprefix("http://localhost") for link in (view, cancel))
    page = client.get(view)
    assert page.status_code == 200 and "Clara Closer" in page.text and "Sven Engineer" in page.text
    form = client.get(cancel)
    done = client.post(cancel, data={"form_token": form_token(form.text), "reason": "Ill"})
    assert done.status_code == 303
    assert [row.status for row in rows()] == ["cancelled", "cancelled"]
    keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
    assert len([k for k in keys if k.startswith("email:booking.cancelled") and "invitee" in k]) == 1
    again = client.post(cancel, data={"form_token": form_token(form.text), "reason": "Ill"})
    assert again.status_code in (303, 400, 409)
    db.session.rollback()
    assert len(db.session.scalars(select(OutboxMessage.idempotency_key)).all()) == len(keys)


def test_a_meeting_booked_collective_keeps_needing_every_host_after_the_type_changes(client, world):
    assert book_api(client, world).status_code == 201
    primary = rows()[0]
    # Sven is busy on Wednesday at 10:00 Berlin; the type then becomes one-host.
    _busy(world.engineer, WED_9_UTC, WED_9_UTC.replace(hour=10))
    world.event_type.assignment = "one"
    db.session.commit()
    listed, moved = _listed_and_moved(client, world, primary)
    assert listed == moved
    assert not listed


def test_a_one_host_booking_moves_alone_after_the_type_became_collective(client, world):
    world.event_type.assignment = "one"
    db.session.commit()
    assert book_api(client, world).status_code == 201
    (booking,) = rows()
    world.event_type.assignment = "collective"
    db.session.commit()
    # Its host is busy on Wednesday at 10:00 Berlin; the other host is free then.
    _busy(booking.host, WED_9_UTC, WED_9_UTC.replace(hour=10))
    listed, moved = _listed_and_moved(client, world, booking)
    assert listed == moved


def test_the_admin_move_of_a_meeting_offers_what_it_accepts_after_the_type_changes(client, world):
    from scheduling.errors import SlotUnavailable
    from scheduling.operations.booking_queries import free_slots_for_host
    from scheduling.operations.bookings import reschedule_booking

    assert book_api(client, world).status_code == 201
    primary = rows()[0]
    _busy(world.engineer, WED_9_UTC, WED_9_UTC.replace(hour=10))
    world.event_type.assignment = "one"
    db.session.commit()
    offered = free_slots_for_host(
        primary.event_type,
        world.closer.id,
        WEDNESDAY,
        WEDNESDAY.replace(day=10),
        FROZEN_NOW,
        exclude_booking_id=primary.id,
    )
    try:
        reschedule_booking(
            primary, WED_9_UTC, FROZEN_NOW, video_base_url="https://meet.test.example",
            host_id=world.closer.id, by="user", actor=world.admin,
        )  # fmt: skip
        moved = True
    except SlotUnavailable:
        moved = False
    db.session.rollback()
    assert (WED_9_UTC in offered) == moved
    assert not moved


def test_the_admin_move_page_of_a_meeting_answers_odd_days_and_hosts(client, world, login_as):
    from tests.conftest import login

    assert book_api(client, world).status_code == 201
    second = rows()[1]
    assert login(client, world.admin.email).status_code == 302
    url = f"/admin/bookings/{second.id}/reschedule"
    for query in (
        {"date": "9999-12-31"},
        {"date": "0001-01-01"},
        {"date": "2030-01-09", "host": str(world.solo.id)},
        {"date": "2030-01-09", "host": "9" * 30},
        {"date": "2030-01-09", "host": "\x00"},
    ):
        assert client.get(url, query_string=query).status_code < 500, query
    page = client.get(url, query_string={"date": "2030-01-09"})
    assert page.status_code == 200 and "10:00" in page.text


@pytest.mark.parametrize("assignment", ["one", "collective"])
@pytest.mark.parametrize(
    "limits", [{"weekly_limit": 1}, {"daily_limit": 1}, {"min_gap": 60, "buffer_after": 15}]
)
def test_a_move_at_the_limit_offers_what_it_accepts(client, world, assignment, limits):
    """The booking being moved does not count against its own limits or gap."""
    from scheduling.errors import InvalidRequest, SlotUnavailable
    from scheduling.operations.bookings import reschedule_booking

    world.event_type.assignment = assignment
    for key, value in limits.items():
        setattr(world.event_type, key, value)
    db.session.commit()
    if assignment == "one":
        world.event_type.hosts = [world.closer]
        db.session.commit()
    assert book_api(client, world).status_code == 201
    booking = rows()[0]
    day = datetime(2030, 1, 8, tzinfo=UTC)
    for days in (0, 1):
        start_of_day = day.replace(day=8 + days)
        listed = set(
            compute_event_type_slots(
                booking.event_type,
                start_of_day,
                start_of_day.replace(day=9 + days),
                FROZEN_NOW,
                exclude_booking_id=booking.id,
            )
        )
        assert listed, (limits, days)
        for half_hour in range(16, 32):
            start = start_of_day.replace(hour=half_hour // 2, minute=30 * (half_hour % 2))
            try:
                reschedule_booking(
                    db.session.get(type(booking), booking.id), start, FROZEN_NOW,
                    video_base_url="https://meet.test.example",
                )  # fmt: skip
                moved = True
            except (InvalidRequest, SlotUnavailable):
                moved = False
            db.session.rollback()
            assert moved == (start in listed), (start, sorted(listed))
