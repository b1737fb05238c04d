"""Out of office and per-host holidays: admin pages, public slots and bookings, round-robin."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import (
    Absence,
    Assignment,
    Booking,
    DateOverride,
    Holiday,
    HostHoliday,
    Pool,
    PoolMember,
)
from tests.conftest import FROZEN_NOW, post_form
from tests.web.test_admin_hosts import NEXT_MONDAY, audit, login_rep, slots


@pytest.fixture
def team(make_org, make_host, make_user, login_as, make_event_type, frozen_now):
    """Org A (manager logged in, hosts Anna and Ben, an event type of Anna alone) and org B."""
    org = make_org(name="Org A")
    other_org = make_org(name="Org B")
    anna = make_host(org=org, name="Anna Ahlberg")
    ben = make_host(org=org, name="Ben Berger")
    stranger = make_host(org=other_org, name="Stella Stranger")
    # A year ahead bookable, so imported holidays months away show in the slots.
    make_event_type(hosts=[anna], slug="anna-intro", title="Anna intro", horizon_days=365)
    login_as("manager", org=org)
    return SimpleNamespace(org=org, anna=anna, ben=ben, stranger=stranger, make_user=make_user)


NEXT_TUESDAY = "2030-01-15"
NINE_TO_FIVE = [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]


def page_of(host) -> str:
    return f"/admin/hosts/{host.id}/availability"


def add_absence(client, host, first=NEXT_MONDAY, last=NEXT_MONDAY, note="Vacation", delegate=""):
    data = {
        "absence-first_day": first,
        "absence-last_day": last,
        "absence-note": note,
        "absence-delegate_id": str(delegate),
    }
    return post_form(client, f"/admin/hosts/{host.id}/absences", data, page_of(host))


def book(client, slug, start):
    body = {"event_type": slug, "start": start, "name": "Grace", "email": "g@example.com"}
    return client.post("/api/v1/bookings", json=body)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- out of office ------------------------------------------------------------------------------


def test_an_absence_without_delegate_removes_the_dates_and_refuses_bookings(client, team):
    assert slots(client, "anna-intro") == NINE_TO_FIVE
    response = add_absence(client, team.anna, last=NEXT_TUESDAY)
    assert response.status_code == 302, response.text
    assert slots(client, "anna-intro") == []
    assert slots(client, "anna-intro", NEXT_TUESDAY) == []
    assert slots(client, "anna-intro", "2030-01-16") == NINE_TO_FIVE
    # The booking POST reads the same calendars: that date is not offered.
    refused = book(client, "anna-intro", "2030-01-14T09:00:00+00:00")
    assert refused.status_code == 400 and count(Booking) == 0
    assert audit("host.absence_create")[-1].object_id == team.anna.id
    # An absence wins over an override of the host (unlike a holiday).
    team.anna.date_overrides.append(
        DateOverride(day=date(2030, 1, 14), start_minute=600, end_minute=660)
    )
    db.session.commit()
    assert slots(client, "anna-intro") == []


def test_a_delegate_takes_over_the_direct_link_on_those_dates(client, team, make_host):
    carl = make_host(org=team.org, name="Carl Cover", hours=((range(5), 600, 660),))
    response = add_absence(client, team.anna, delegate=carl.id)
    assert response.status_code == 302, response.text
    assert slots(client, "anna-intro") == ["10:00", "10:30"]
    assert slots(client, "anna-intro", NEXT_TUESDAY) == NINE_TO_FIVE  # Anna is back
    booked = book(client, "anna-intro", "2030-01-14T09:00:00+00:00")  # 10:00 Berlin
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["host"]["name"] == "Carl Cover"
    assert slots(client, "anna-intro") == ["10:30"]  # Carl's busy time counts
    # Carl's hours outside Anna's absence are not offered on her link.
    assert "10:00" in slots(client, "anna-intro", NEXT_TUESDAY)
    off_hours = book(client, "anna-intro", "2030-01-14T11:00:00+00:00")  # 12:00: Anna away
    assert off_hours.status_code == 400


def test_the_delegate_does_not_cover_an_event_type_of_several_hosts(
    client, team, make_host, make_event_type
):
    carl = make_host(org=team.org, name="Carl Cover", hours=((range(5), 600, 660),))
    make_event_type(hosts=[team.anna, team.ben], slug="duo", title="Duo")
    add_absence(client, team.anna, delegate=carl.id)
    response = book(client, "duo", "2030-01-14T09:00:00+00:00")
    assert response.status_code == 201 and response.get_json()["host"]["name"] == "Ben Berger"
    assert slots(client, "duo") == [s for s in NINE_TO_FIVE if s != "10:00"]


def test_bad_absences_are_refused_with_a_message(client, team):
    cases = [
        ({"last": "2030-01-13"}, "The last day must be on or after the first day."),
        ({"delegate": team.anna.id}, "The colleague who takes over must be someone else."),
        ({"delegate": team.stranger.id}, "Pick a colleague of your organisation from the list."),
        ({"delegate": "abc"}, "Pick a colleague from the list."),
        ({"first": "2030-02-30"}, "Enter the date as YYYY-MM-DD"),
        ({"first": "2029-12-01", "last": "2030-01-06"}, "ends today or later"),
        ({"last": "2031-06-01"}, "An absence lasts at most a year."),
    ]
    for kwargs, message in cases:
        response = add_absence(client, team.anna, **kwargs)
        assert response.status_code == 400, kwargs
        assert message in response.text.replace("&#39;", "'"), kwargs
    assert count(Absence) == 0


def test_edit_and_delete_an_absence(client, team):
    add_absence(client, team.anna)
    absence = db.session.scalar(select(Absence))
    url = f"/admin/hosts/{team.anna.id}/absences/{absence.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and "Vacation" in page.text
    data = {
        "absence-first_day": NEXT_TUESDAY,
        "absence-last_day": NEXT_TUESDAY,
        "absence-note": "Trade fair",
        "absence-delegate_id": str(team.ben.id),
    }
    bad = post_form(client, url, {**data, "absence-last_day": "2030-01-01"})
    assert bad.status_code == 400 and "on or after the first day" in bad.text
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert (absence.first_day, absence.note, absence.delegate_id) == (
        date(2030, 1, 15),
        "Trade fair",
        team.ben.id,
    )
    assert audit("host.absence_update")
    assert slots(client, "anna-intro") == NINE_TO_FIVE
    preview = client.get(page_of(team.anna)).text
    assert "Trade fair" in preview and "Ben Berger takes over" in preview
    response = post_form(
        client, f"/admin/hosts/{team.anna.id}/absences/{absence.id}/delete", {}, page_of(team.anna)
    )
    assert response.status_code == 302 and count(Absence) == 0
    assert slots(client, "anna-intro", NEXT_TUESDAY) == NINE_TO_FIVE


def test_a_rep_manages_their_own_absences_only(client, team):
    login_rep(client, team)
    assert add_absence(client, team.anna).status_code == 302
    absence = db.session.scalar(select(Absence))
    assert client.get(f"/admin/hosts/{team.ben.id}/availability").status_code == 404
    other = post_form(
        client,
        f"/admin/hosts/{team.ben.id}/absences",
        {"absence-first_day": NEXT_MONDAY, "absence-last_day": NEXT_MONDAY},
        page_of(team.anna),
    )
    assert other.status_code == 404
    edit_theirs = client.get(f"/admin/hosts/{team.ben.id}/absences/{absence.id}/edit")
    assert edit_theirs.status_code == 404
    assert count(Absence) == 1


def test_round_robin_gives_an_absent_members_turns_to_the_others(client, team, make_event_type):
    pool = Pool(
        organisation=team.org,
        name="Closers",
        period="week",
        tz="Europe/Berlin",
        created_at=FROZEN_NOW,
    )
    for host in (team.anna, team.ben):
        pool.members.append(PoolMember(host=host, weight=1, joined_at=FROZEN_NOW))
    db.session.add(pool)
    team_call = make_event_type(
        hosts=[], slug="team-call", title="Team call", organisation=team.org
    )
    team_call.pool = pool
    db.session.commit()
    add_absence(client, team.anna, delegate=team.ben.id)
    names = []
    for hour in (8, 9, 10):
        response = book(client, "team-call", f"2030-01-14T{hour:02d}:00:00+00:00")
        assert response.status_code == 201, response.get_json()
        names.append(response.get_json()["host"]["name"])
    assert names == ["Ben Berger"] * 3
    # Anna was no candidate: no share accrued to her, so she does not catch up afterwards.
    for row in db.session.scalars(select(Assignment)):
        assert set(row.shares) == {str(team.ben.id)}
    after = []
    for hour in (8, 9, 10, 11):
        response = book(client, "team-call", f"2030-01-15T{hour:02d}:00:00+00:00")
        after.append(response.get_json()["host"]["name"])
    assert after.count("Anna Ahlberg") == 2 and after.count("Ben Berger") == 2


def test_the_covering_colleague_takes_the_absent_members_round_robin_share(
    client, team, make_host, make_event_type
):
    carl = make_host(org=team.org, name="Carl Cover")
    pool = Pool(
        organisation=team.org, name="Closers", period="week", tz="Europe/Berlin",
        created_at=FROZEN_NOW,
    )  # fmt: skip
    for host in (team.anna, team.ben, carl):
        pool.members.append(PoolMember(host=host, weight=1, joined_at=FROZEN_NOW))
    db.session.add(pool)
    team_call = make_event_type(
        hosts=[], slug="team-call", title="Team call", organisation=team.org
    )
    team_call.pool = pool
    db.session.commit()
    add_absence(client, team.anna, delegate=carl.id)  # Anna is away on NEXT_MONDAY
    names = []
    for hour in (8, 9, 10, 11, 12, 13):
        response = book(client, "team-call", f"2030-01-14T{hour:02d}:00:00+00:00")
        assert response.status_code == 201, response.get_json()
        names.append(response.get_json()["host"]["name"])
    # Carl carries Anna's share as well as his own: two turns in three, Ben one.
    assert names.count("Carl Cover") == 4 and names.count("Ben Berger") == 2


# -- a host's own holidays ----------------------------------------------------------------------


def add_own_holiday(client, host, day=NEXT_MONDAY, name="Heilige Drei Könige"):
    data = {"own_holiday-day": day, "own_holiday-name": name}
    return post_form(client, f"/admin/hosts/{host.id}/holidays", data, page_of(host))


def test_a_hosts_own_holiday_removes_their_slots_unless_overridden(client, team):
    assert add_own_holiday(client, team.anna).status_code == 302
    assert slots(client, "anna-intro") == []
    assert "Own holiday: Heilige Drei Könige" in client.get(page_of(team.anna)).text
    duplicate = add_own_holiday(client, team.anna)
    assert duplicate.status_code == 400 and "There is a holiday on that date already." in (
        duplicate.text
    )
    past = add_own_holiday(client, team.anna, day="2030-01-01")
    assert past.status_code == 400 and "Pick today or a later date." in past.text
    assert add_own_holiday(client, team.anna, name="").status_code == 400
    team.anna.date_overrides.append(
        DateOverride(day=date(2030, 1, 14), start_minute=600, end_minute=660)
    )
    db.session.commit()
    assert slots(client, "anna-intro") == ["10:00", "10:30"]
    holiday = db.session.scalar(select(HostHoliday))
    url = f"/admin/hosts/{team.anna.id}/holidays/{holiday.id}/delete"
    assert post_form(client, url, {}, page_of(team.anna)).status_code == 302
    assert count(HostHoliday) == 0 and audit("host.holiday_delete")


def test_the_preview_names_organisation_holidays_and_absences(client, team):
    db.session.add(Holiday(organisation=team.org, day=date(2030, 1, 15), name="Founders' Day"))
    db.session.commit()
    add_absence(client, team.anna, first="2030-01-16", last="2030-01-16", note="Dentist")
    page = client.get(page_of(team.anna)).text
    assert "Holiday: Founders&#39; Day" in page
    assert "Out of office: Dentist" in page


# -- import of public holidays ------------------------------------------------------------------


def test_import_public_holidays_into_a_host_by_country_and_region(client, team):
    url = f"/admin/hosts/{team.anna.id}/holidays/import"
    page = client.get(url, query_string={"country": "DE"})
    assert page.status_code == 200 and 'value="BY"' in page.text
    data = {"country": "DE", "subdivision": "BY", "first_year": "2030", "last_year": "2030"}
    response = post_form(client, url, data, f"{url}?country=DE")
    assert response.status_code == 302, response.text
    days = {h.day: h.name for h in db.session.scalars(select(HostHoliday))}
    # New Year's Day and Epiphany 2030 are past on 2030-01-07: skipped.
    assert date(2030, 1, 1) not in days and date(2030, 1, 6) not in days
    assert days[date(2030, 6, 20)] == "Corpus Christi"  # Bavaria, not all of Germany
    assert days[date(2030, 12, 25)] == "Christmas Day"
    added = len(days)
    assert added == 10
    # Again: every date is there already, nothing is added twice.
    again = post_form(client, url, data, f"{url}?country=DE")
    assert again.status_code == 302 and count(HostHoliday) == added
    assert slots(client, "anna-intro", "2030-04-22") == []  # Easter Monday
    assert slots(client, "anna-intro", "2030-04-23") == NINE_TO_FIVE
    assert count(Holiday) == 0


def test_import_into_the_organisation_and_bad_choices(client, team):
    url = "/admin/hosts/holidays/import"
    assert client.get(url, query_string={"country": "XX"}).status_code == 400
    cases = [
        ({"country": "XX"}, "Pick a country from the list."),
        ({"subdivision": "ZZ"}, "not one of the chosen country"),
        ({"first_year": "2031", "last_year": "2030"}, "must not be before the first"),
        ({"first_year": "2020", "last_year": "2020"}, "from this year up to three years ahead"),
        ({"first_year": "abc"}, "Not a valid integer value"),
    ]
    base = {"country": "FR", "subdivision": "", "first_year": "2030", "last_year": "2031"}
    for change, message in cases:
        response = post_form(client, url, {**base, **change}, f"{url}?country=FR")
        assert response.status_code == 400, change
        assert message in response.text, change
    assert count(Holiday) == 0
    response = post_form(client, url, base, f"{url}?country=FR")
    assert response.status_code == 302
    days = set(db.session.scalars(select(Holiday.day)))
    assert {date(2030, 7, 14), date(2031, 7, 14)} <= days
    assert audit("holiday.import")[-1].summary.startswith("Imported")
    assert slots(client, "anna-intro", "2030-07-15") == NINE_TO_FIVE
    assert slots(client, "anna-intro", "2030-05-01") == []  # Fête du Travail, org-wide
    login_rep(client, team)
    assert client.get(url).status_code == 403


def test_holidays_are_renamed_in_place_and_bad_names_change_nothing(client, team):
    holiday = Holiday(organisation_id=team.org.id, day=date(2030, 1, 15), name="Founders' Day")
    foreign_org = team.stranger.organisation_id
    foreign = Holiday(organisation_id=foreign_org, day=date(2030, 1, 15), name="B")
    db.session.add_all([holiday, foreign])
    db.session.commit()
    add_own_holiday(client, team.anna)
    own = db.session.scalar(select(HostHoliday))
    listing = client.get("/admin/hosts/holidays").text
    assert f'id="holiday-name-{holiday.id}"' in listing and 'value="Founders&#39; Day"' in listing
    url = f"/admin/hosts/holidays/{holiday.id}/rename"
    response = post_form(client, url, {"name": "  Office closed  "}, "/admin/hosts/holidays")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Holiday, holiday.id).name == "Office closed"
    assert audit("holiday.update")
    for bad, message in (("   ", "Name the holiday"), ("x" * 201, "at most 200 characters")):
        refused = post_form(client, url, {"name": bad}, "/admin/hosts/holidays")
        assert refused.status_code == 400 and message in refused.text
        db.session.expire_all()
        assert db.session.get(Holiday, holiday.id).name == "Office closed"
    other = f"/admin/hosts/holidays/{foreign.id}/rename"
    assert post_form(client, other, {"name": "Mine"}, "/admin/hosts/holidays").status_code == 404
    # A host's own holiday, renamed from their availability page.
    own_url = f"/admin/hosts/{team.anna.id}/holidays/{own.id}/rename"
    assert post_form(client, own_url, {"name": "Epiphany"}, page_of(team.anna)).status_code == 302
    db.session.expire_all()
    assert db.session.get(HostHoliday, own.id).name == "Epiphany"
    assert audit("host.holiday_update")
    assert "Holiday: Founders" not in client.get(page_of(team.anna)).text
    # Under another host's URL the holiday does not exist; without the CSRF token nothing moves.
    wrong_host = f"/admin/hosts/{team.ben.id}/holidays/{own.id}/rename"
    assert post_form(client, wrong_host, {"name": "X"}, page_of(team.anna)).status_code == 404
    assert client.post(own_url, data={"name": "No token"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(HostHoliday, own.id).name == "Epiphany"


def test_a_rep_renames_their_own_holidays_but_not_the_organisations(client, team):
    holiday = Holiday(organisation_id=team.org.id, day=date(2030, 1, 15), name="Founders' Day")
    db.session.add(holiday)
    db.session.commit()
    login_rep(client, team)
    add_own_holiday(client, team.anna)
    own = db.session.scalar(select(HostHoliday))
    own_url = f"/admin/hosts/{team.anna.id}/holidays/{own.id}/rename"
    assert post_form(client, own_url, {"name": "Epiphany"}, page_of(team.anna)).status_code == 302
    org_url = f"/admin/hosts/holidays/{holiday.id}/rename"
    refused = post_form(client, org_url, {"name": "Mine"}, page_of(team.anna))
    assert refused.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Holiday, holiday.id).name == "Founders' Day"
