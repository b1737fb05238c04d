"""Admin bookings: list, filters, CSV, detail, cancel, reschedule, manual booking, per role."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, Booking, LostReason, Outcome
from scheduling.operations.bookings import Invitee, create_booking
from tests.conftest import FROZEN_NOW, csrf_from, login

VIDEO = "https://meet.test.example"
# Tuesday 2030-01-08, Berlin (UTC+1): 10:00 local is 09:00 UTC. Anna works 09:00-17:00 Berlin,
# Ben 09:00-17:00 Lisbon (UTC), so at 09:00 Berlin only Anna is free.
TUE_09 = datetime(2030, 1, 8, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_14 = datetime(2030, 1, 8, 13, 0, tzinfo=UTC)


class Team:
    """Two organisations: ours (two reps, one event type both host) and another one.

    Users are made on first use: each costs a password hash.
    """

    def __init__(self, make_org, make_host, make_event_type, make_user):
        self._make_user = make_user
        self.org = make_org(name="Ours")
        self.host_a = make_host(org=self.org, name="Anna Rep")
        self.host_b = make_host(org=self.org, name="Ben Rep", tz="Europe/Lisbon")
        self.event_type = make_event_type(hosts=[self.host_a, self.host_b], title="Intro call")
        self.other_org = make_org(name="Theirs")
        self.other_host = make_host(org=self.other_org, name="Olga Other")
        self.other_event_type = make_event_type(hosts=[self.other_host], title="Other call")

    @cached_property
    def rep_a(self):
        return self._make_user(role="rep", host=self.host_a, name="Anna Rep")

    @cached_property
    def rep_b(self):
        return self._make_user(role="rep", host=self.host_b, name="Ben Rep")

    @cached_property
    def manager(self):
        return self._make_user(role="manager", org=self.org, name="Mia Manager")

    @cached_property
    def other_manager(self):
        return self._make_user(role="manager", org=self.other_org, name="Otto Other")


@pytest.fixture
def team(make_org, make_host, make_event_type, make_user, frozen_now):
    return Team(make_org, make_host, make_event_type, make_user)


def book(event_type, start, host=None, name="Grace Hopper", email="grace@example.com", **kw):
    """A booking made through the real use case (public source unless told otherwise)."""
    booking = create_booking(
        event_type,
        start,
        Invitee(name, email, kw.pop("tz", "Europe/Paris"), kw.pop("note", "")),
        FROZEN_NOW,
        video_base_url=VIDEO,
        only_host_id=host.id if host else None,
        **kw,
    )
    db.session.commit()
    return booking


def add_booking(event_type, host, start, name="Lead", email="lead@example.com", **kw):
    """A booking row written directly (for past times and many rows)."""
    end = start + timedelta(minutes=event_type.duration)
    booking = Booking(
        uid=kw.pop("uid", None) or f"u{start.timestamp():.0f}{host.id}",
        organisation_id=event_type.organisation_id,
        event_type=event_type,
        host=host,
        invitee_name=name,
        invitee_email=email,
        invitee_tz=kw.pop("invitee_tz", "Europe/Berlin"),
        start_at=start,
        end_at=end,
        occupied_from=start,
        occupied_until=end,
        status=kw.pop("status", "confirmed"),
        location_kind="video",
        location=f"{VIDEO}/room",
        ical_uid=f"{start.timestamp()}-{host.id}@test",
        created_at=FROZEN_NOW - timedelta(days=30),
        updated_at=FROZEN_NOW - timedelta(days=30),
        **kw,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def fresh(booking_id: int) -> Booking:
    db.session.rollback()  # see what the requests committed
    return db.session.get(Booking, booking_id)


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def public_slots(client, event_type, day="2030-01-08", tz="Europe/Berlin") -> list[str]:
    response = client.get(
        f"/api/v1/event-types/{event_type.slug}/slots",
        query_string={"start": day, "end": day, "timezone": tz},
    )
    assert response.status_code == 200, response.text
    return response.get_json()["slots"]


def sign_in(client, user):
    """Log the test client in as this user, logging out whoever was in first."""
    home = client.get("/admin/")
    if home.status_code == 200:
        client.post("/admin/logout", data={"csrf_token": csrf_from(home.text)})
    assert login(client, user.email).status_code == 302


def read_csv(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# ---------------------------------------------------------------- list


def test_list_needs_login(client, team):
    response = client.get("/admin/bookings")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_empty_state_says_what_to_do(client, team):
    sign_in(client, team.manager)
    response = client.get("/admin/bookings")
    assert response.status_code == 200
    assert "No bookings yet." in response.text and "New booking" in response.text
    assert 'aria-current="page">Bookings<' in response.text


def test_each_role_sees_only_its_bookings(client, team):
    book(team.event_type, TUE_10, team.host_a, name="Alice Lead")
    book(team.event_type, TUE_10, team.host_b, name="Bob Lead")
    book(team.other_event_type, TUE_10, team.other_host, name="Carol Lead")

    sign_in(client, team.rep_a)
    text = client.get("/admin/bookings").text
    assert "Alice Lead" in text and "Bob Lead" not in text and "Carol Lead" not in text

    sign_in(client, team.manager)
    text = client.get("/admin/bookings").text
    assert "Alice Lead" in text and "Bob Lead" in text and "Carol Lead" not in text
    assert "Dates and times are in Europe/Berlin" in text  # the org's first host's zone

    sign_in(client, team.other_manager)
    text = client.get("/admin/bookings").text
    assert "Carol Lead" in text and "Alice Lead" not in text


def test_list_shows_times_in_the_viewers_zone_and_outcomes(client, team):
    booking = add_booking(team.event_type, team.host_b, FROZEN_NOW - timedelta(days=1))
    db.session.add(Outcome(booking=booking, status="no_show", note="", recorded_at=FROZEN_NOW))
    db.session.commit()
    sign_in(client, team.rep_b)
    text = client.get("/admin/bookings").text
    assert "Sun 6 Jan 2030, 08:00" in text  # Lisbon = UTC in winter
    assert "Europe/Lisbon, your time zone" in text
    assert "no show" in text


def _filter_fixture(team):
    lost = LostReason(organisation=team.org, label="Price")
    db.session.add(lost)
    won = add_booking(
        team.event_type,
        team.host_a,
        datetime(2030, 1, 2, 9, tzinfo=UTC),
        name="Wanda Won",
        email="wanda@won.example",
    )
    lost_b = add_booking(
        team.event_type,
        team.host_b,
        datetime(2030, 1, 3, 9, tzinfo=UTC),
        name="Larry Lost",
        email="larry@lost.example",
    )
    db.session.add_all(
        [
            Outcome(
                booking=won,
                status="won",
                deal_value=Decimal("1500.00"),
                currency="EUR",
                recorded_at=FROZEN_NOW,
            ),
            Outcome(booking=lost_b, status="lost", lost_reason=lost, recorded_at=FROZEN_NOW),
        ]
    )
    db.session.commit()
    add_booking(
        team.event_type,
        team.host_a,
        datetime(2030, 1, 4, 9, tzinfo=UTC),
        name="Nora None",
        email="NORA@none.example",
        status="cancelled",
        cancel_reason="Busy",
    )
    add_booking(
        team.event_type,
        team.host_b,
        datetime(2030, 1, 2, 23, 30, tzinfo=UTC),
        name="Nina Night",
        email="nina@night.example",
    )
    second = make_second_event_type(team)
    add_booking(
        second,
        team.host_a,
        datetime(2030, 1, 4, 12, tzinfo=UTC),
        name="Demo Dora",
        email="dora@demo.example",
    )


def make_second_event_type(team):
    from scheduling.models import EventType

    event_type = EventType(
        organisation=team.org,
        slug="demo-x",
        title="Demo",
        duration=45,
        step=15,
        created_at=FROZEN_NOW,
        hosts=[team.host_a],
    )
    db.session.add(event_type)
    db.session.commit()
    return event_type


def names_in(text: str) -> set[str]:
    return {name for name in ALL_FILTERED if name in text}


ALL_FILTERED = {"Wanda Won", "Larry Lost", "Nora None", "Demo Dora", "Nina Night"}
FILTER_CASES = (
    ({}, ALL_FILTERED),
    # Dates are local to the viewer's zone (Berlin): 23:30 UTC on the 2nd is the 3rd there.
    ({"from": "2030-01-03"}, {"Larry Lost", "Nora None", "Demo Dora", "Nina Night"}),
    ({"to": "2030-01-02"}, {"Wanda Won"}),
    ({"from": "2030-01-03", "to": "2030-01-03"}, {"Larry Lost", "Nina Night"}),
    ({"status": "cancelled"}, {"Nora None"}),
    ({"status": "confirmed", "to": "2030-01-03"}, {"Wanda Won", "Larry Lost", "Nina Night"}),
    ({"outcome": "won"}, {"Wanda Won"}),
    ({"outcome": "lost"}, {"Larry Lost"}),
    ({"outcome": "none"}, {"Nora None", "Demo Dora", "Nina Night"}),
    ({"q": "NORA"}, {"Nora None"}),
    ({"q": "won.example"}, {"Wanda Won"}),
    ({"q": "nobody"}, set()),
    ({"q": "%"}, set()),  # LIKE wildcards are matched literally
)


def test_filters(client, team):
    _filter_fixture(team)
    sign_in(client, team.manager)
    for query, expected in FILTER_CASES:
        response = client.get("/admin/bookings", query_string=query)
        assert response.status_code == 200, query
        assert names_in(response.text) == expected, query
        if not expected:
            assert "No bookings match these filters." in response.text, query


def test_filter_by_host_and_event_type(client, team):
    _filter_fixture(team)
    sign_in(client, team.manager)
    text = client.get("/admin/bookings", query_string={"host": team.host_b.id}).text
    assert names_in(text) == {"Larry Lost", "Nina Night"}
    demo = db.session.scalar(select(Booking).where(Booking.invitee_name == "Demo Dora"))
    text = client.get("/admin/bookings", query_string={"event_type": demo.event_type_id}).text
    assert names_in(text) == {"Demo Dora"}


JUNK_FILTERS = (
    ({"from": "yesterday"}, "The &#39;from&#39; date must look like 2026-12-31."),
    ({"to": "2030-02-30"}, "The &#39;to&#39; date must look like 2026-12-31."),
    ({"from": "0001-01-01"}, "between the years 2000 and 2100"),
    ({"from": "2030-01-05", "to": "2030-01-01"}, "must not be after the"),
    ({"host": "abc"}, "Choose a host from the list."),
    ({"host": "999999"}, "Choose a host from the list."),
    ({"event_type": "1; DROP TABLE"}, "Choose an event type from the list."),
    ({"status": "maybe"}, "The status must be one of"),
    ({"outcome": "great"}, "The outcome must be one of"),
    ({"q": "x" * 201}, "at most 200 characters"),
    ({"page": "0"}, "The page must be a whole number"),
    ({"page": "two"}, "The page must be a whole number"),
    ({"page": "1" * 40}, "The page must be a whole number"),
)


def test_junk_filters_get_400_with_a_message(client, team):
    sign_in(client, team.manager)
    for query, message in JUNK_FILTERS:
        response = client.get("/admin/bookings", query_string=query)
        assert response.status_code == 400, query
        assert message in response.text, query
        assert "Correct the filters above" in response.text, query
        if "page" not in query:  # the export has no pages
            export = client.get("/admin/bookings/export.csv", query_string=query)
            assert export.status_code == 400, query
            assert message in export.text, query


def test_other_hosts_and_orgs_cannot_be_filtered_in(client, team):
    book(team.event_type, TUE_10, team.host_b, name="Bob Lead")
    sign_in(client, team.rep_a)
    response = client.get("/admin/bookings", query_string={"host": team.host_b.id})
    assert response.status_code == 400 and "Bob Lead" not in response.text
    sign_in(client, team.manager)
    response = client.get("/admin/bookings", query_string={"host": team.other_host.id})
    assert response.status_code == 400
    response = client.get("/admin/bookings", query_string={"event_type": team.other_event_type.id})
    assert response.status_code == 400


def test_pagination_keeps_filters(client, team):
    start = datetime(2029, 12, 1, 9, tzinfo=UTC)
    for number in range(55):
        add_booking(
            team.event_type,
            team.host_a,
            start + timedelta(hours=number),
            name=f"Lead {number:02d}",
            email=f"lead{number}@page.example",
        )
    add_booking(
        team.event_type,
        team.host_a,
        start - timedelta(days=3),
        name="Elsewhere",
        email="x@elsewhere.example",
    )
    sign_in(client, team.manager)
    first = client.get("/admin/bookings", query_string={"q": "page.example"})
    assert first.status_code == 200
    assert "55 bookings" in first.text and "Page 1 of 2" in first.text
    assert len(re.findall(r"Lead \d\d", first.text)) == 50
    assert "Lead 54" in first.text and "Lead 04" not in first.text  # latest first
    next_link = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "q=page.example" in next_link and "page=2" in next_link
    second = client.get(next_link)
    assert len(re.findall(r"Lead \d\d", second.text)) == 5
    assert "Lead 00" in second.text and "Elsewhere" not in second.text
    assert 'rel="prev"' in second.text
    # A page past the end shows the last one.
    assert "Lead 00" in client.get("/admin/bookings?q=page.example&page=9").text


# ---------------------------------------------------------------- CSV


def test_csv_export_has_every_filtered_row_and_is_injection_safe(client, team):
    start = datetime(2029, 12, 1, 9, tzinfo=UTC)
    for number in range(55):
        add_booking(
            team.event_type,
            team.host_a,
            start + timedelta(hours=number),
            email=f"lead{number}@csv.example",
        )
    evil = add_booking(
        team.event_type,
        team.host_a,
        datetime(2030, 1, 2, 9, tzinfo=UTC),
        name='=HYPERLINK("https://evil.example","Click")',
        email="evil@csv.example",
        note="+SUM(1,2)",
        source="admin",
    )
    lost = LostReason(organisation=team.org, label="-Price")
    db.session.add(
        Outcome(booking=evil, status="lost", lost_reason=lost, note="@cmd", recorded_at=FROZEN_NOW)
    )
    won = add_booking(
        team.event_type,
        team.host_b,
        datetime(2030, 1, 3, 9, tzinfo=UTC),
        name="Wanda",
        email="wanda@csv.example",
    )
    db.session.add(
        Outcome(
            booking=won,
            status="won",
            deal_value=Decimal("1500.00"),
            currency="EUR",
            recorded_at=FROZEN_NOW,
        )
    )
    add_booking(
        team.event_type,
        team.host_b,
        datetime(2030, 1, 3, 12, tzinfo=UTC),
        email="other@elsewhere.example",
    )
    db.session.commit()

    sign_in(client, team.manager)
    response = client.get("/admin/bookings/export.csv", query_string={"q": "csv.example"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="bookings-2030-01-07.csv"'
    )
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["id", "start", "end"] and header[-1] == "created at"
    assert len(header) == 19
    assert len(rows) == 1 + 57  # every page, only the filtered ones
    by_email = {row[7]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    bad = by_email["evil@csv.example"]
    assert bad["invitee name"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert bad["note"] == "'+SUM(1,2)"
    assert bad["outcome note"] == "'@cmd" and bad["lost reason"] == "'-Price"
    assert bad["outcome"] == "lost" and bad["source"] == "admin"
    assert bad["id"] == evil.uid
    assert bad["start"] == "2030-01-02T10:00:00+01:00"  # ISO 8601 in the host's zone
    assert bad["end"] == "2030-01-02T10:30:00+01:00"
    assert bad["host"] == "Anna Rep" and bad["host email"] == team.host_a.email
    assert bad["event type"] == "Intro call" and bad["status"] == "confirmed"
    good = by_email["wanda@csv.example"]
    assert good["deal value"] == "1500.00" and good["currency"] == "EUR"
    assert good["start"] == "2030-01-03T09:00:00+00:00"  # Lisbon
    assert "other@elsewhere.example" not in by_email


def test_csv_export_of_a_rep_has_only_their_bookings(client, team):
    book(team.event_type, TUE_10, team.host_a, name="Alice Lead")
    book(team.event_type, TUE_10, team.host_b, name="Bob Lead")
    sign_in(client, team.rep_b)
    rows = read_csv(client.get("/admin/bookings/export.csv"))
    assert [row[6] for row in rows[1:]] == ["Bob Lead"]
    assert client.get(f"/admin/bookings/export.csv?host={team.host_a.id}").status_code == 400


def test_empty_csv_export_has_the_header(client, team):
    sign_in(client, team.other_manager)
    rows = read_csv(client.get("/admin/bookings/export.csv", query_string={"status": "cancelled"}))
    assert len(rows) == 1 and rows[0][0] == "id"


# ---------------------------------------------------------------- detail


def test_detail_shows_everything(client, team, app):
    booking = book(
        team.event_type, TUE_10, team.host_a, note="Budget approved", tz="America/New_York"
    )
    sign_in(client, team.manager)
    response = client.get(f"/admin/bookings/{booking.id}")
    assert response.status_code == 200
    text = response.text
    assert "Tuesday, 8 January 2030, 10:00 (Central European Time (Berlin))" in text  # host zone
    assert "Tuesday, 8 January 2030, 04:00 (Eastern Time (New York))" in text  # invitee zone
    assert booking.location in text and "Budget approved" in text
    assert "Public booking page" in text
    assert "No outcome recorded yet." in text
    assert f"/admin/bookings/{booking.id}/cancel" in text
    assert f"/admin/bookings/{booking.id}/reschedule" in text
    assert 'aria-current="page">Bookings<' in text
    has_outcome_page = "admin.outcome_edit" in app.view_functions
    assert (f"/admin/bookings/{booking.id}/outcome" in text) == has_outcome_page


def test_detail_shows_the_outcome(client, team):
    booking = add_booking(team.event_type, team.host_a, FROZEN_NOW - timedelta(days=2))
    db.session.add(
        Outcome(
            booking=booking,
            status="won",
            deal_value=Decimal("990.00"),
            currency="EUR",
            note="Signed",
            recorded_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    sign_in(client, team.rep_a)
    text = client.get(f"/admin/bookings/{booking.id}").text
    assert "990.00 EUR" in text and "Signed" in text and ">won<" in text
    assert "already started or taken place" in text  # past: no cancel or move


def test_detail_refuses_other_reps_and_orgs(client, team):
    theirs = book(team.event_type, TUE_10, team.host_b)
    other_org = book(team.other_event_type, TUE_10, team.other_host)
    sign_in(client, team.rep_a)
    assert client.get(f"/admin/bookings/{theirs.id}").status_code == 404
    assert client.get("/admin/bookings/999999").status_code == 404
    sign_in(client, team.manager)
    assert client.get(f"/admin/bookings/{theirs.id}").status_code == 200
    assert client.get(f"/admin/bookings/{other_org.id}").status_code == 404


# ---------------------------------------------------------------- cancel


def test_manager_cancels_with_a_reason(client, team):
    booking = book(team.event_type, TUE_09, team.host_a)
    assert "2030-01-08T09:00:00+01:00" not in public_slots(client, team.event_type)
    sign_in(client, team.manager)
    url = f"/admin/bookings/{booking.id}/cancel"
    page = client.get(url)
    assert page.status_code == 200 and "Cancel this booking?" in page.text
    token = csrf_from(page.text)
    empty = client.post(url, data={"csrf_token": token, "reason": "   "})
    assert empty.status_code == 400 and "Please say why" in empty.text
    assert fresh(booking.id).status == "confirmed"
    no_csrf = client.post(url, data={"reason": "Lead asked by phone"})
    assert no_csrf.status_code == 400 and fresh(booking.id).status == "confirmed"

    done = client.post(url, data={"csrf_token": token, "reason": "Lead asked by phone"})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/admin/bookings/{booking.id}")
    cancelled = fresh(booking.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == "user"
    assert cancelled.cancel_reason == "Lead asked by phone"
    [entry] = audit("booking.cancel")
    assert entry.actor_id == team.manager.id and entry.object_id == booking.id
    assert "Lead asked by phone" in entry.summary
    assert "2030-01-08T09:00:00+01:00" in public_slots(client, team.event_type)
    detail = client.get(done.headers["Location"]).text
    assert "The booking was cancelled." in detail
    assert "Mia Manager" in detail and "Lead asked by phone" in detail
    # Cancelled now: it cannot be changed again.
    again = client.post(url, data={"csrf_token": token, "reason": "twice"})
    assert again.status_code == 409 and "is cancelled" in again.text
    assert len(audit("booking.cancel")) == 1


def test_the_public_cancel_records_the_invitee(client, team, app):
    from scheduling.web.urls import booking_link

    booking = book(team.event_type, TUE_10, team.host_a)
    with app.test_request_context():
        link = booking_link(booking, "cancel")
    page = client.get(link)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)
    assert client.post(link, data={"form_token": token, "reason": ""}).status_code == 303
    cancelled = fresh(booking.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == "invitee"
    assert audit("booking.cancel") == []
    sign_in(client, team.manager)
    assert "by the invitee" in client.get(f"/admin/bookings/{booking.id}").text


def test_past_bookings_cannot_be_cancelled(client, team):
    booking = add_booking(team.event_type, team.host_a, FROZEN_NOW - timedelta(hours=1))
    sign_in(client, team.rep_a)
    url = f"/admin/bookings/{booking.id}/cancel"
    page = client.get(url)
    assert "already started or taken place" in page.text and "<textarea" not in page.text
    response = client.post(url, data={"csrf_token": csrf_from(page.text), "reason": "late"})
    assert response.status_code == 409
    assert fresh(booking.id).status == "confirmed"


@pytest.mark.parametrize("action", ["cancel", "reschedule"])
def test_changes_refused_for_other_reps_and_orgs(client, team, action):
    theirs = book(team.event_type, TUE_10, team.host_b)
    other_org = book(team.other_event_type, TUE_10, team.other_host)
    sign_in(client, team.rep_a)
    token = csrf_from(client.get("/admin/bookings/new").text)
    data = {"csrf_token": token, "reason": "mine now", "start": TUE_14.isoformat()}
    for booking in (theirs, other_org):
        url = f"/admin/bookings/{booking.id}/{action}"
        assert client.get(url).status_code == 404
        assert client.post(url, data=data).status_code == 404
    sign_in(client, team.manager)
    token = csrf_from(client.get("/admin/bookings/new").text)
    url = f"/admin/bookings/{other_org.id}/{action}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 404
    assert fresh(theirs.id).status == "confirmed" and fresh(other_org.id).status == "confirmed"
    assert audit(f"booking.{action}") == []


# ---------------------------------------------------------------- reschedule


def test_rep_reschedules_with_a_reason(client, team):
    booking = book(team.event_type, TUE_10, team.host_a)
    sign_in(client, team.rep_a)
    url = f"/admin/bookings/{booking.id}/reschedule"
    page = client.get(url)
    assert page.status_code == 200
    # Free times of the booking's own day, host zone, the booking's own time left out.
    assert 'value="2030-01-08T13:00:00+00:00"' in page.text
    assert 'value="2030-01-08T09:00:00+00:00"' not in page.text
    assert "14:00 (14:00 Central European Time (Paris))" in page.text
    token = csrf_from(page.text)
    no_reason = client.post(url, data={"csrf_token": token, "start": TUE_14.isoformat()})
    assert no_reason.status_code == 400 and "Please say why" in no_reason.text
    no_time = client.post(url, data={"csrf_token": token, "reason": "Clash"})
    assert no_time.status_code == 400 and "Pick one of the free times." in no_time.text
    off_grid = client.post(
        url, data={"csrf_token": token, "reason": "Clash", "start": "2030-01-08T13:10:00+00:00"}
    )
    assert off_grid.status_code == 400 and "not offered" in off_grid.text
    assert fresh(booking.id).status == "confirmed"

    done = client.post(
        url, data={"csrf_token": token, "reason": "Clash", "start": TUE_14.isoformat()}
    )
    assert done.status_code == 303
    old = fresh(booking.id)
    new = db.session.scalar(select(Booking).where(Booking.rescheduled_from_id == booking.id))
    assert old.status == "rescheduled" and old.reschedule_reason == "Clash"
    assert old.cancelled_by == "user"
    assert new.status == "confirmed" and new.start_at == TUE_14 and new.host_id == team.host_a.id
    assert new.location == old.location and new.ical_uid == old.ical_uid
    assert new.sequence == old.sequence + 1 and new.source == "public"
    assert done.headers["Location"].endswith(f"/admin/bookings/{new.id}")
    [entry] = audit("booking.reschedule")
    assert entry.actor_id == team.rep_a.id and entry.object_id == booking.id
    assert entry.changes["start_at"] == [TUE_10.isoformat(), TUE_14.isoformat()]
    slots = public_slots(client, team.event_type)
    assert "2030-01-08T14:00:00+01:00" in slots  # Ben is still free then
    detail = client.get(done.headers["Location"]).text
    assert "Moved from" in detail and "Clash" in detail and "Anna Rep" in detail
    old_detail = client.get(f"/admin/bookings/{booking.id}").text
    assert "Moved to" in old_detail and "change the new booking instead" in old_detail


def test_manager_moves_a_booking_to_another_host(client, team):
    booking = book(team.event_type, TUE_10, team.host_a)
    sign_in(client, team.manager)
    url = f"/admin/bookings/{booking.id}/reschedule?host={team.host_b.id}&date=2030-01-08"
    page = client.get(url)
    assert page.status_code == 200
    # Ben works 09:00-17:00 Lisbon (UTC): his 10:00 is 10:00 UTC.
    assert 'value="2030-01-08T10:00:00+00:00"' in page.text
    assert "Ben Rep" in page.text
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.text),
            "reason": "Anna is ill",
            "start": TUE_11.isoformat(),
        },
    )
    assert response.status_code == 303
    new = db.session.scalar(select(Booking).where(Booking.rescheduled_from_id == booking.id))
    assert new.host_id == team.host_b.id and new.start_at == TUE_11
    assert new.location != booking.location  # a new host gets a new room
    [entry] = audit("booking.reschedule")
    assert entry.changes["host_id"] == [team.host_a.id, team.host_b.id]


def test_rep_cannot_move_a_booking_to_another_host(client, team):
    booking = book(team.event_type, TUE_10, team.host_a)
    sign_in(client, team.rep_a)
    base = f"/admin/bookings/{booking.id}/reschedule"
    page = client.get(base)
    assert f'value="{team.host_b.id}"' not in page.text
    url = f"{base}?host={team.host_b.id}&date=2030-01-08"
    assert client.get(url).status_code == 400
    response = client.post(
        url,
        data={"csrf_token": csrf_from(page.text), "reason": "x", "start": TUE_11.isoformat()},
    )
    assert response.status_code == 400
    assert fresh(booking.id).status == "confirmed"


@pytest.mark.parametrize("query", ["date=tomorrow", "date=2030-02-31", "host=abc", "host=999999"])
def test_reschedule_junk_query_is_400(client, team, query):
    booking = book(team.event_type, TUE_10, team.host_a)
    sign_in(client, team.manager)
    response = client.get(f"/admin/bookings/{booking.id}/reschedule?{query}")
    assert response.status_code == 400
    assert "must look like 2026-12-31" in response.text or "Choose a host" in response.text


def test_reschedule_to_a_time_just_taken(client, team):
    booking = book(team.event_type, TUE_10, team.host_a)
    sign_in(client, team.manager)
    url = f"/admin/bookings/{booking.id}/reschedule?date=2030-01-08"
    page = client.get(url)
    assert 'value="2030-01-08T13:00:00+00:00"' in page.text
    book(team.event_type, TUE_14, team.host_a, name="Quick Lead", email="quick@example.com")
    response = client.post(
        url,
        data={"csrf_token": csrf_from(page.text), "reason": "Clash", "start": TUE_14.isoformat()},
    )
    assert response.status_code == 409
    assert "This time was just taken, pick another." in response.text
    assert 'value="2030-01-08T13:00:00+00:00"' not in response.text  # no longer offered
    assert "Clash" in response.text  # the reason is kept
    assert fresh(booking.id).status == "confirmed"
    assert audit("booking.reschedule") == []


def test_moved_and_past_bookings_cannot_be_rescheduled(client, team):
    past = add_booking(team.event_type, team.host_a, FROZEN_NOW - timedelta(days=1))
    moved = add_booking(team.event_type, team.host_a, TUE_10, status="rescheduled")
    sign_in(client, team.manager)
    token = csrf_from(client.get("/admin/bookings/new").text)
    for booking, message in ((past, "already started"), (moved, "change the new booking")):
        url = f"/admin/bookings/{booking.id}/reschedule"
        assert message in client.get(url).text
        response = client.post(
            url, data={"csrf_token": token, "reason": "x", "start": TUE_14.isoformat()}
        )
        assert response.status_code == 409 and message in response.text
    assert audit("booking.reschedule") == []


# ---------------------------------------------------------------- new booking


def test_manager_books_a_lead_by_hand(client, team):
    sign_in(client, team.manager)
    start_page = client.get("/admin/bookings/new")
    assert start_page.status_code == 200 and "Intro call" in start_page.text
    url = (
        f"/admin/bookings/new?event_type={team.event_type.id}&host={team.host_a.id}&date=2030-01-08"
    )
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="2030-01-08T09:00:00+00:00"' in page.text and ">10:00<" in page.text
    assert '<option selected value="Europe/Berlin">' in page.text  # the host's zone by default
    token = csrf_from(page.text)
    data = {
        "csrf_token": token,
        "start": TUE_10.isoformat(),
        "name": "Lena Lead",
        "email": "lena@lead.example",
        "tz": "Europe/Vienna",
        "note": "Met at the fair",
    }
    bad = client.post(url, data={**data, "email": "not an email", "name": ""})
    assert bad.status_code == 400
    assert "valid email address" in bad.text and "Please enter the invitee" in bad.text
    bad_zone = client.post(url, data={**data, "tz": "Mars/Olympus"})
    assert bad_zone.status_code == 400
    assert db.session.scalar(select(Booking)) is None

    done = client.post(url, data=data)
    assert done.status_code == 303
    booking = db.session.scalar(select(Booking))
    assert done.headers["Location"].endswith(f"/admin/bookings/{booking.id}")
    assert booking.source == "admin" and booking.created_by_id == team.manager.id
    assert booking.host_id == team.host_a.id and booking.start_at == TUE_10
    assert booking.invitee_tz == "Europe/Vienna" and booking.note == "Met at the fair"
    [entry] = audit("booking.create")
    assert entry.actor_id == team.manager.id and entry.object_id == booking.id
    # Anna is busy now; the public page still offers 10:00 through Ben (union of hosts).
    assert "2030-01-08T10:00:00+01:00" in public_slots(client, team.event_type)
    again = client.get(url)
    assert 'value="2030-01-08T09:00:00+00:00"' not in again.text
    detail = client.get(done.headers["Location"]).text
    assert "Entered by a team member" in detail and "Mia Manager" in detail


def test_manual_booking_makes_the_time_busy_for_public_visitors(
    client, team, make_host, make_event_type
):
    solo_host = make_host(org=team.org, name="Sol Solo")
    solo = make_event_type(hosts=[solo_host], title="Solo call")
    sign_in(client, team.manager)
    url = f"/admin/bookings/new?event_type={solo.id}&date=2030-01-08"  # its only host: chosen
    page = client.get(url)
    assert "Sol Solo" in page.text
    assert "2030-01-08T10:00:00+01:00" in public_slots(client, solo)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.text),
            "start": TUE_10.isoformat(),
            "name": "Lee",
            "email": "lee@example.com",
            "tz": "Europe/Berlin",
        },
    )
    assert response.status_code == 303
    assert "2030-01-08T10:00:00+01:00" not in public_slots(client, solo)


def test_rep_books_only_themself(client, team):
    sign_in(client, team.rep_a)
    page = client.get(f"/admin/bookings/new?event_type={team.event_type.id}&date=2030-01-08")
    assert page.status_code == 200 and 'value="2030-01-08T09:00:00+00:00"' in page.text
    assert "Ben Rep" not in page.text
    other = f"/admin/bookings/new?event_type={team.event_type.id}&host={team.host_b.id}"
    assert client.get(other).status_code == 400
    response = client.post(
        other + "&date=2030-01-08",
        data={
            "csrf_token": csrf_from(page.text),
            "start": TUE_11.isoformat(),
            "name": "X",
            "email": "x@example.com",
            "tz": "Europe/Berlin",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(Booking)) is None
    done = client.post(
        f"/admin/bookings/new?event_type={team.event_type.id}&date=2030-01-08",
        data={
            "csrf_token": csrf_from(page.text),
            "start": TUE_11.isoformat(),
            "name": "X",
            "email": "x@example.com",
            "tz": "Europe/Berlin",
        },
    )
    assert done.status_code == 303
    assert fresh(db.session.scalar(select(Booking.id))).host_id == team.host_a.id


def test_manual_booking_of_a_time_just_taken(client, team):
    sign_in(client, team.manager)
    url = (
        f"/admin/bookings/new?event_type={team.event_type.id}&host={team.host_a.id}&date=2030-01-08"
    )
    page = client.get(url)
    book(team.event_type, TUE_10, team.host_a, name="Fast Lead", email="fast@example.com")
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.text),
            "start": TUE_10.isoformat(),
            "name": "Slow",
            "email": "slow@example.com",
            "tz": "Europe/Berlin",
        },
    )
    assert response.status_code == 409
    assert "This time was just taken, pick another." in response.text
    assert 'value="Slow"' in response.text  # what was typed is kept
    assert audit("booking.create") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("event_type=abc", "Choose an event type from the list."),
        ("event_type=999999", "Choose an event type from the list."),
        ("host=abc", "Choose a host from the list."),
        ("date=31.12.2030", "must look like 2026-12-31"),
    ],
)
def test_manual_booking_junk_query_is_400(client, team, query, message):
    sign_in(client, team.manager)
    response = client.get(f"/admin/bookings/new?{query}")
    assert response.status_code == 400 and message in response.text


def test_manual_booking_refuses_other_orgs_event_types(client, team):
    sign_in(client, team.manager)
    response = client.get(
        f"/admin/bookings/new?event_type={team.other_event_type.id}&date=2030-01-08"
    )
    assert response.status_code == 400
    assert "Other call" not in response.text


def test_event_types_hosted_by_a_team_offer_its_members(client, team, make_event_type):
    from scheduling.models import Pool, PoolMember

    pool = Pool(organisation=team.org, name="Closers", created_at=FROZEN_NOW)
    pool.members.append(PoolMember(host=team.host_a, joined_at=FROZEN_NOW))
    pool.members.append(PoolMember(host=team.host_b, joined_at=FROZEN_NOW, active=False))
    teamed = make_event_type(hosts=[], organisation=team.org, title="Team call", pool=pool)
    sign_in(client, team.manager)
    page = client.get(f"/admin/bookings/new?event_type={teamed.id}&date=2030-01-08")
    assert page.status_code == 200
    assert "Anna Rep" in page.text and 'value="2030-01-08T09:00:00+00:00"' in page.text
    response = client.post(
        f"/admin/bookings/new?event_type={teamed.id}&date=2030-01-08",
        data={
            "csrf_token": csrf_from(page.text),
            "start": TUE_10.isoformat(),
            "name": "Tia Team",
            "email": "tia@example.com",
            "tz": "Europe/Berlin",
        },
    )
    assert response.status_code == 303
    booking = db.session.scalar(select(Booking).where(Booking.invitee_name == "Tia Team"))
    assert booking.host_id == team.host_a.id and booking.event_type_id == teamed.id
    inactive_member = client.get(
        f"/admin/bookings/new?event_type={teamed.id}&host={team.host_b.id}&date=2030-01-08"
    )
    assert inactive_member.status_code == 400
    assert "does not take this event type" in inactive_member.text


def test_a_booking_by_hand_is_in_the_invitee_language_chosen(client, team):
    team.event_type.default_locale = "fr"
    db.session.commit()
    sign_in(client, team.manager)
    url = (
        f"/admin/bookings/new?event_type={team.event_type.id}&host={team.host_a.id}&date=2030-01-08"
    )
    page = client.get(url)
    assert "Invitee language" in page.text
    assert '<option selected value="fr">' in page.text  # the event type's default language
    data = {
        "csrf_token": csrf_from(page.text),
        "start": TUE_10.isoformat(),
        "name": "Lena Lead",
        "email": "lena@lead.example",
        "tz": "Europe/Vienna",
        "locale": "xx",
    }
    bad = client.post(url, data=data)
    assert bad.status_code == 400 and "Choose a language from the list." in bad.text
    assert db.session.scalar(select(Booking)) is None
    assert client.post(url, data={**data, "locale": "de"}).status_code == 303
    assert db.session.scalar(select(Booking)).invitee_locale == "de"


def test_manager_books_the_location_the_lead_chose(client, team):
    team.event_type.locations = [
        {"kind": "in_person", "detail": "Hauptstr. 1"},
        {"kind": "invitee_phone", "detail": ""},
    ]
    db.session.commit()
    sign_in(client, team.manager)
    url = (
        f"/admin/bookings/new?event_type={team.event_type.id}&host={team.host_a.id}&date=2030-01-08"
    )
    page = client.get(url).text
    assert (
        '<select id="location" name="location"><option value="in_person">In person: Hauptstr. 1'
        in (page)
    )
    assert 'name="phone"' in page
    data = {
        "csrf_token": csrf_from(page),
        "start": TUE_10.isoformat(),
        "name": "Lena Lead",
        "email": "lena@lead.example",
        "tz": "Europe/Vienna",
        "location": "invitee_phone",
    }
    missing = client.post(url, data=data)
    assert missing.status_code == 400 and "Enter the phone number we should call." in missing.text
    wrong = client.post(url, data={**data, "location": "video"})
    assert wrong.status_code == 400 and "Choose one of the offered locations." in wrong.text
    assert db.session.scalar(select(Booking)) is None
    done = client.post(url, data={**data, "phone": "+43 1 5123456"})
    assert done.status_code == 303, done.text
    booking = db.session.scalar(select(Booking))
    assert (booking.location_kind, booking.location) == ("invitee_phone", "+4315123456")
    detail = client.get(done.headers["Location"]).text
    assert "Phone call, the host calls: +4315123456" in detail
