"""Admin calendar: the week grid per host and for the team, and blocked time, per role."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduling.availability.calendar_week import (
    Entry,
    build_team_week,
    build_week,
    monday_of,
    week_range,
)
from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking, BusyBlock
from scheduling.operations.bookings import Invitee, create_booking
from tests.conftest import FROZEN_NOW, csrf_from, login

VIDEO = "https://meet.test.example"
TUE_10 = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture
def org(make_org):
    return make_org(name="Ours")


@pytest.fixture
def anna(make_host, org):
    return make_host(org=org, name="Anna Rep")


@pytest.fixture
def ben(make_host, org):
    return make_host(org=org, name="Ben Rep", tz="Europe/Lisbon")


@pytest.fixture
def intro(make_event_type, anna, ben, frozen_now):
    return make_event_type(hosts=[anna, ben], title="Intro call")


@pytest.fixture
def solo(make_event_type, anna, frozen_now):
    """An event type only Anna hosts: its public slots are hers alone."""
    return make_event_type(hosts=[anna], title="Solo call")


def sign_in(client, make_user, **kw):
    user = make_user(**kw)
    assert login(client, user.email).status_code == 302
    return user


def book(event_type, start, host, name="Grace Hopper"):
    booking = create_booking(
        event_type,
        start,
        Invitee(name, "grace@example.com", "Europe/Paris"),
        FROZEN_NOW,
        video_base_url=VIDEO,
        only_host_id=host.id,
    )
    db.session.commit()
    return booking


def add_block(host, start, end, reason="Dentist"):
    block = BusyBlock(host=host, start_at=start, end_at=end, reason=reason, created_at=FROZEN_NOW)
    db.session.add(block)
    db.session.commit()
    return block


def public_slots(client, event_type, day="2030-01-08") -> list[str]:
    response = client.get(
        f"/api/v1/event-types/{event_type.slug}/slots",
        query_string={"start": day, "end": day, "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 200
    return response.get_json()["slots"]


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# ---------------------------------------------------------------- week grid


def test_host_week_shows_bookings_blocks_and_free_time(client, make_user, anna, intro):
    booking = book(intro, TUE_10, anna, name="Lena Lead")
    add_block(anna, datetime(2030, 1, 9, 12, tzinfo=UTC), datetime(2030, 1, 9, 14, tzinfo=UTC))
    sign_in(client, make_user, role="rep", host=anna)
    response = client.get("/admin/calendar")
    assert response.status_code == 200
    text = response.text
    assert "Calendar: Anna Rep" in text and 'aria-current="page">Calendar<' in text
    assert "Mon 7 Jan – Sun, 13 Jan 2030" in text
    assert "Times are in Europe/Berlin, the host's time zone." in text
    assert f'href="/admin/bookings/{booking.id}"' in text
    assert "10:00–10:30</span> Lena Lead · Intro call" in text
    assert "13:00–15:00</span> Blocked: Dentist" in text
    assert (
        'entry-free" title="Free"><span class="visually-hidden">Free: </span>16:30<' in text
    )  # a free slot, marked lightly
    grid = text.split('class="week-grid"')[1].split("</table>")[0]
    assert '<td class="busy">' in grid  # the hours a booking or block covers are shaded
    assert '<td class="">' not in grid
    assert "week=2029-12-31" in text and "week=2030-01-14" in text  # previous and next
    assert "Nothing this week" not in text
    # The narrow layout lists the same week by day.
    narrow = text.split('class="week-narrow"')[1]
    assert "Tuesday, 8 January 2030" in narrow and "Lena Lead" in narrow


def test_free_times_leave_out_booked_and_blocked_slots(client, make_user, anna, solo):
    book(solo, TUE_10, anna)
    add_block(anna, datetime(2030, 1, 8, 12, tzinfo=UTC), datetime(2030, 1, 8, 13, tzinfo=UTC))
    sign_in(client, make_user, role="rep", host=anna)
    narrow = client.get("/admin/calendar?week=2030-01-08").text.split('class="week-narrow"')[1]
    tuesday = narrow.split("Tuesday, 8 January 2030")[1].split("Wednesday")[0]
    free = re.findall(
        r'entry-free" title="Free"><span class="visually-hidden">Free: </span>(\d\d:\d\d)<', tuesday
    )
    assert "09:30" in free and "10:30" in free
    assert "10:00" not in free and "13:00" not in free and "13:30" not in free


def test_any_date_shows_its_week(client, make_user, anna, intro):
    sign_in(client, make_user, role="rep", host=anna)
    text = client.get("/admin/calendar?week=2030-01-17").text
    assert "Mon 14 Jan – Sun, 20 Jan 2030" in text
    far = client.get("/admin/calendar?week=2031-06-01").text
    assert "Nothing this week" in far and "weekly hours" in far  # beyond the horizon


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("week=next", 400, "must look like 2026-12-31"),
        ("week=2030-02-30", 400, "must look like 2026-12-31"),
        ("week=1999-12-31", 400, "between the years 2000 and 2100"),
        ("host=abc", 400, "Choose a host from the list"),
        ("host=999999", 400, "Choose a host from the list"),
    ],
)
def test_junk_query_is_a_clear_400(client, make_user, anna, intro, query, status, message):
    sign_in(client, make_user, role="manager", org=anna.organisation)
    response = client.get(f"/admin/calendar?{query}")
    assert response.status_code == status
    assert message in response.text


def test_rep_sees_only_their_own_calendar(client, make_user, anna, ben, intro):
    book(intro, TUE_10, ben, name="Bens Lead")
    book(intro, datetime(2030, 1, 8, 13, tzinfo=UTC), anna, name="Annas Lead")
    sign_in(client, make_user, role="rep", host=anna)
    text = client.get("/admin/calendar").text
    assert "Annas Lead" in text and "Bens Lead" not in text
    assert f'value="{ben.id}"' not in text and 'value="team"' not in text
    other = client.get(f"/admin/calendar?host={ben.id}")
    assert other.status_code == 400 and "Bens Lead" not in other.text
    assert client.get("/admin/calendar?host=team").status_code == 403


def test_manager_of_another_org_sees_nothing_of_ours(client, make_user, make_org, anna, intro):
    book(intro, TUE_10, anna, name="Our Lead")
    sign_in(client, make_user, role="manager", org=make_org(name="Theirs"))
    empty = client.get("/admin/calendar")
    assert empty.status_code == 200 and "There are no hosts yet" in empty.text
    assert client.get(f"/admin/calendar?host={anna.id}").status_code == 400


def test_team_week_for_managers(client, make_user, anna, ben, intro):
    book(intro, TUE_10, anna, name="Annas Lead")
    book(intro, datetime(2030, 1, 9, 10, tzinfo=UTC), ben, name="Bens Lead")
    add_block(ben, datetime(2030, 1, 10, 10, tzinfo=UTC), datetime(2030, 1, 10, 11, tzinfo=UTC))
    sign_in(client, make_user, role="manager", org=anna.organisation)
    response = client.get("/admin/calendar")  # a manager without a host: the team by default
    assert response.status_code == 200
    text = response.text
    assert "Calendar: whole team" in text
    assert "Times are in Europe/Berlin, the time zone of your organisation" in text
    team = text.split('class="week-team"')[1].split("</table>")[0]
    rows = team.split("<tr>")
    anna_row = next(row for row in rows if "Anna Rep</a>" in row)
    ben_row = next(row for row in rows if "Ben Rep</a>" in row)
    assert "Annas Lead" in anna_row and "Bens Lead" not in anna_row
    assert "Bens Lead" in ben_row and "Blocked: Dentist" in ben_row
    assert "11:00–12:00</span> Blocked" in ben_row  # in the team's zone, Berlin
    assert re.search(r"\d+ free times", anna_row)
    narrow = text.split('class="week-narrow"')[1]
    assert "Annas Lead" in narrow and "(Anna Rep)" in narrow
    one = client.get(f"/admin/calendar?host={ben.id}&week=2030-01-07").text
    assert "Calendar: Ben Rep" in one and "Europe/Lisbon, the host's time zone" in one
    assert "Annas Lead" not in one


# ---------------------------------------------------------------- blocked time


def test_blocking_time_removes_public_slots(client, make_user, anna, solo):
    assert "2030-01-08T10:00:00+01:00" in public_slots(client, solo)
    user = sign_in(client, make_user, role="rep", host=anna)
    page = client.get("/admin/calendar/blocks")
    assert page.status_code == 200 and "No blocked time coming up." in page.text
    response = client.post(
        "/admin/calendar/blocks",
        data={
            "csrf_token": csrf_from(page.text),
            "host": anna.id,
            "day": "2030-01-08",
            "start_time": "10:00",
            "end_time": "11:00",
            "reason": "Dentist",
        },
    )
    assert response.status_code == 303
    block = db.session.scalar(select(BusyBlock))
    assert block.host_id == anna.id and block.created_by_id == user.id
    assert block.start_at == TUE_10 and block.end_at == TUE_10 + timedelta(hours=1)
    slots = public_slots(client, solo)
    assert "2030-01-08T10:00:00+01:00" not in slots
    assert "2030-01-08T10:30:00+01:00" not in slots
    assert "2030-01-08T09:30:00+01:00" in slots and "2030-01-08T11:00:00+01:00" in slots
    [entry] = audit("busy_block.create")
    assert entry.actor_id == user.id and entry.object_id == block.id
    listing = client.get(response.headers["Location"]).text
    assert "The time was blocked" in listing and "Dentist" in listing
    assert "Tue 8 Jan 2030, 10:00" in listing


def test_a_block_can_span_midnight_and_warns_about_bookings_inside(client, make_user, anna, solo):
    book(solo, TUE_10, anna)
    sign_in(client, make_user, role="manager", org=anna.organisation)
    page = client.get(f"/admin/calendar/blocks?host={anna.id}")
    response = client.post(
        f"/admin/calendar/blocks?host={anna.id}",
        data={
            "csrf_token": csrf_from(page.text),
            "host": anna.id,
            "day": "2030-01-08",
            "start_time": "09:00",
            "end_day": "2030-01-09",
            "end_time": "12:00",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "1 confirmed booking falls in this time and stays booked" in response.text
    block = db.session.scalar(select(BusyBlock))
    assert block.end_at == datetime(2030, 1, 9, 11, tzinfo=UTC)
    assert db.session.scalar(select(Booking.status)) == "confirmed"
    assert public_slots(client, solo) == []
    assert public_slots(client, solo, "2030-01-09")[0] == "2030-01-09T12:00:00+01:00"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end_time": "09:00"}, "The end must be after the start."),
        ({"day": "2030-01-01"}, "That time is already over"),
        ({"day": "08.01.2030"}, "Enter the date like 2030-01-31."),
        ({"day": ""}, "Enter the date like 2030-01-31."),
        ({"start_time": "25:00"}, "Enter the time like 09:30."),
        ({"end_day": "2030-06-01"}, "at most 62 days"),
        ({"day": "1999-01-01"}, "between 2000 and 2100"),
        ({"reason": "x" * 201}, "200"),
        ({"host": "abc"}, "Choose a host from the list."),
    ],
)
def test_bad_blocks_are_refused(client, make_user, anna, intro, fields, message):
    sign_in(client, make_user, role="rep", host=anna)
    page = client.get("/admin/calendar/blocks")
    data = {
        "csrf_token": csrf_from(page.text),
        "host": anna.id,
        "day": "2030-01-08",
        "start_time": "10:00",
        "end_time": "11:00",
        **fields,
    }
    response = client.post("/admin/calendar/blocks", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert count(BusyBlock) == 0 and audit("busy_block.create") == []


def test_reps_block_only_their_own_time(client, make_user, anna, ben, intro):
    sign_in(client, make_user, role="rep", host=anna)
    page = client.get("/admin/calendar/blocks")
    assert f'value="{ben.id}"' not in page.text
    response = client.post(
        "/admin/calendar/blocks",
        data={
            "csrf_token": csrf_from(page.text),
            "host": ben.id,
            "day": "2030-01-08",
            "start_time": "10:00",
            "end_time": "11:00",
        },
    )
    assert response.status_code == 400 and "Choose a host from the list." in response.text
    assert count(BusyBlock) == 0
    assert client.get(f"/admin/calendar/blocks?host={ben.id}").status_code == 400


def test_deleting_a_block_frees_the_time(client, make_user, anna, solo):
    block = add_block(anna, TUE_10, TUE_10 + timedelta(hours=1))
    assert "2030-01-08T10:00:00+01:00" not in public_slots(client, solo)
    user = sign_in(client, make_user, role="rep", host=anna)
    page = client.get("/admin/calendar/blocks")
    assert "Dentist" in page.text
    url = f"/admin/calendar/blocks/{block.id}/delete"
    assert url in page.text
    assert client.get(url).status_code == 405
    assert client.post(url, data={}).status_code == 400  # no CSRF token
    response = client.post(url, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert count(BusyBlock) == 0
    assert "2030-01-08T10:00:00+01:00" in public_slots(client, solo)
    [entry] = audit("busy_block.delete")
    assert entry.actor_id == user.id and entry.object_id == block.id
    assert client.post(url, data={"csrf_token": csrf_from(page.text)}).status_code == 404


def test_blocks_of_other_reps_and_orgs_cannot_be_deleted(
    client, make_user, make_org, make_host, anna, ben, intro
):
    bens = add_block(ben, TUE_10, TUE_10 + timedelta(hours=1), reason="Bens block")
    stranger = make_host(org=make_org(name="Theirs"))
    theirs = add_block(stranger, TUE_10, TUE_10 + timedelta(hours=1), reason="Their block")
    sign_in(client, make_user, role="rep", host=anna)
    page = client.get("/admin/calendar/blocks")
    assert "Bens block" not in page.text and "Their block" not in page.text
    token = csrf_from(page.text)
    for block in (bens, theirs):
        url = f"/admin/calendar/blocks/{block.id}/delete"
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert (
        client.post("/admin/calendar/blocks/999999/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert count(BusyBlock) == 2 and audit("busy_block.delete") == []


def test_managers_delete_any_block_of_their_org(client, make_user, anna, ben, intro):
    bens = add_block(ben, TUE_10, TUE_10 + timedelta(hours=1), reason="Bens block")
    sign_in(client, make_user, role="manager", org=anna.organisation)
    page = client.get("/admin/calendar/blocks")
    assert "Bens block" in page.text
    response = client.post(
        f"/admin/calendar/blocks/{bens.id}/delete", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303 and count(BusyBlock) == 0


# ---------------------------------------------------------------- the pure week layout


def test_week_layout_cuts_entries_at_midnight_and_widens_hours():
    tz = "Europe/Berlin"
    first = monday_of(date(2030, 1, 9))
    assert first == date(2030, 1, 7)
    late = Entry("block", datetime(2030, 1, 7, 21, tzinfo=UTC), datetime(2030, 1, 8, 7, tzinfo=UTC))
    early = Entry(
        "free", datetime(2030, 1, 9, 5, tzinfo=UTC), datetime(2030, 1, 9, 5, 1, tzinfo=UTC)
    )
    week = build_week(first, tz, [late, early])
    monday, tuesday, wednesday = week.days[:3]
    assert [(p.start_minute, p.end_minute) for p in monday.pieces] == [(22 * 60, 1440)]
    assert monday.pieces[0].ends_later and not monday.pieces[0].starts_earlier
    assert [(p.start_minute, p.end_minute) for p in tuesday.pieces] == [(0, 8 * 60)]
    assert tuesday.pieces[0].starts_earlier
    assert [p.entry.kind for p in wednesday.free] == ["free"]
    assert week.rows[0].hour == 0 and week.rows[-1].hour == 23  # widened from 08-18
    assert week.rows[0].cells[1].busy and not week.rows[0].cells[0].busy


def test_week_layout_on_a_daylight_saving_day():
    tz = "Europe/Berlin"
    first = date(2030, 3, 25)  # Sunday 31 March 2030 has 23 hours
    start, end = week_range(first, tz)
    assert end - start == timedelta(days=7) - timedelta(hours=1)
    meeting = Entry(
        "booking", datetime(2030, 3, 31, 8, tzinfo=UTC), datetime(2030, 3, 31, 9, tzinfo=UTC)
    )
    week = build_week(first, tz, [meeting])
    [piece] = week.days[6].pieces
    assert (piece.start_minute, piece.end_minute) == (10 * 60, 11 * 60)  # CEST, UTC+2


def test_team_layout_counts_free_times_per_host():
    tz = "UTC"
    first = date(2030, 1, 7)
    slot = datetime(2030, 1, 8, 9, tzinfo=UTC)
    entries = [
        Entry("booking", slot, slot + timedelta(minutes=30), "Lead", 1, 1, "Anna"),
        Entry("free", slot + timedelta(hours=1), slot + timedelta(hours=1, minutes=1), host_id=1),
        Entry("free", slot + timedelta(hours=2), slot + timedelta(hours=2, minutes=1), host_id=2),
        Entry("free", slot + timedelta(hours=3), slot + timedelta(hours=3, minutes=1), host_id=2),
    ]
    week, rows = build_team_week(first, tz, [(1, "Anna"), (2, "Ben")], entries)
    anna, ben = rows
    assert [len(cell.busy) for cell in anna.cells] == [0, 1, 0, 0, 0, 0, 0]
    assert anna.cells[1].free_count == 1 and ben.cells[1].free_count == 2
    assert len(week.days[1].busy) == 1 and len(week.days[1].free) == 3


def test_free_times_include_event_types_hosted_by_a_team(
    client, make_user, make_event_type, anna, frozen_now
):
    from scheduling.models import Pool, PoolMember

    pool = Pool(organisation=anna.organisation, name="Closers", created_at=FROZEN_NOW)
    pool.members.append(PoolMember(host=anna, joined_at=FROZEN_NOW))
    make_event_type(hosts=[], organisation=anna.organisation, title="Team call", pool=pool)
    sign_in(client, make_user, role="rep", host=anna)
    text = client.get("/admin/calendar?week=2030-01-08").text
    assert '<span class="visually-hidden">Free: </span>09:00<' in text
    pool.members[0].active = False
    db.session.commit()
    text = client.get("/admin/calendar?week=2030-01-08").text
    assert "Free: </span>" not in text and "Nothing this week" in text
