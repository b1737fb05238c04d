"""Review of issue 16: odd input on the new admin forms (absences, holidays, their import,
weekly hours rows, event type durations/assignment/locations/limits) is refused, never a 500."""

import pytest

from scheduling.extensions import db
from scheduling.models import Absence, Pool
from tests.conftest import FROZEN_NOW, post_form
from tests.web.test_admin_days_off import page_of
from tests.web.test_admin_days_off import team as _days_off_team
from tests.web.test_admin_event_types import form_data
from tests.web.test_admin_event_types import team as _event_types_team

days_off_team = _days_off_team
event_types_team = _event_types_team

ODD_IDS = ["²", "٣", "9" * 30, "-1", "0", "1.5", "\x00", " 1"]


@pytest.mark.parametrize("value", ODD_IDS)
def test_absence_delegate_refuses_odd_ids(client, days_off_team, value):
    host = days_off_team.anna
    data = {
        "absence-first_day": "2030-01-14",
        "absence-last_day": "2030-01-15",
        "absence-note": "Vacation",
        "absence-delegate_id": value,
    }
    response = post_form(client, f"/admin/hosts/{host.id}/absences", data, page_of(host))
    assert response.status_code == 400, response.text[:2000]
    db.session.rollback()
    assert db.session.query(Absence).count() == 0


@pytest.mark.parametrize("value", ODD_IDS)
def test_absence_edit_refuses_odd_delegate_ids(client, days_off_team, value):
    host = days_off_team.anna
    absence = Absence(host_id=host.id, first_day=FROZEN_NOW.date(), last_day=FROZEN_NOW.date())
    db.session.add(absence)
    db.session.commit()
    url = f"/admin/hosts/{host.id}/absences/{absence.id}/edit"
    data = {
        "absence-first_day": "2030-01-14",
        "absence-last_day": "2030-01-15",
        "absence-note": "",
        "absence-delegate_id": value,
    }
    response = post_form(client, url, data)
    assert response.status_code == 400, response.text[:2000]


@pytest.mark.parametrize(
    "data",
    [
        {"country": "DE", "subdivision": "", "first_year": "9" * 30, "last_year": "2031"},
        {"country": "DE", "subdivision": "", "first_year": "-2030", "last_year": "2031"},
        {"country": "DE", "subdivision": "", "first_year": "2030", "last_year": "9" * 30},
        {"country": "DE", "subdivision": "\x00", "first_year": "2030", "last_year": "2030"},
        {"country": "\x00", "subdivision": "", "first_year": "2030", "last_year": "2030"},
        {"country": "ZZ", "subdivision": "", "first_year": "2030", "last_year": "2030"},
        {"country": "DE", "subdivision": "XX", "first_year": "2030", "last_year": "2030"},
        {"country": "de", "subdivision": "by", "first_year": "2030", "last_year": "2030"},
        {"country": ["DE", "FR"], "subdivision": "", "first_year": "2030", "last_year": "2030"},
        {"country": "DE", "subdivision": "", "first_year": "2030.5", "last_year": "2030"},
    ],
)
def test_holiday_import_refuses_odd_input(client, days_off_team, data):
    own = f"/admin/hosts/{days_off_team.anna.id}/holidays/import"
    for url in ("/admin/hosts/holidays/import", own):
        response = post_form(client, url, data, url)
        assert response.status_code in (302, 400), response.text[:2000]
        assert client.get(url, query_string={"country": data["country"]}).status_code < 500


@pytest.mark.parametrize(
    "rows",
    [
        {"monday-1-start": "09:00", "monday-1-end": "\x00"},
        {"monday-99-start": "09:00", "monday-99-end": "17:00"},
        {"monday-٣-start": "09:00", "monday-٣-end": "17:00"},
        {"monday-1-start": "٠٩:٠٠", "monday-1-end": "17:00"},
        {"monday-1-start": "24:00", "monday-1-end": "24:00"},
        {"monday-1-start": "17:00", "monday-1-end": "09:00"},
        {"monday-1-start": "99:99", "monday-1-end": "00:00"},
    ],
)
def test_weekly_hours_rows_refuse_odd_times(client, days_off_team, rows):
    url = page_of(days_off_team.anna)
    data = {"hours_editor": "1", "tz": "Europe/Berlin", **rows}
    assert post_form(client, url, data).status_code in (302, 400)


@pytest.mark.parametrize(
    "changes",
    [
        {"durations": "15, 30, ²"},
        {"durations": "9" * 200},
        {"durations": "45, 45, 45"},
        {"weekly_limit": "9" * 30},
        {"weekly_limit": "-1"},
        {"min_gap": "9" * 30},
        {"min_gap": "\x00"},
        {"location_kinds": ["video", "\x00"]},
        {"location_kinds": ["link"], "location_link": "https://[::1"},
        {"location_kinds": ["host_phone"], "location_host_phone": "\x00"},
        {"assignment": "collective", "host_ids": []},
        {"assignment": "\x00"},
        {"redirect_url": "javascript:alert(1)"},
        {"redirect_url": "https://\x00"},
        {"host_ids": ["x"]},
        {"host_ids": ["9" * 30]},
        {"host_ids": ["x"], "pool_id": "POOL"},
        {"host_ids": ["9" * 30], "pool_id": "POOL"},
    ],
)
def test_event_type_form_refuses_odd_input(client, event_types_team, changes):
    pool = Pool(organisation=event_types_team.org, name="Closers", tz="UTC", created_at=FROZEN_NOW)
    db.session.add(pool)
    db.session.commit()
    changes = {k: (str(pool.id) if v == "POOL" else v) for k, v in changes.items()}
    data = form_data(event_types_team, **changes)
    created = post_form(client, "/admin/event-types/new", data)
    assert created.status_code in (302, 400), created.text[:2000]
    url = f"/admin/event-types/{event_types_team.call.id}/edit"
    edited = post_form(client, url, {**data, "slug": "anna-intro"})
    assert edited.status_code in (302, 400), edited.text[:2000]


def test_another_hosts_or_organisations_absences_and_holidays_are_404(client, days_off_team):
    from scheduling.models import HostHoliday

    anna, ben, stranger = days_off_team.anna, days_off_team.ben, days_off_team.stranger
    day = FROZEN_NOW.date()
    theirs = Absence(host_id=stranger.id, first_day=day, last_day=day)
    bens = Absence(host_id=ben.id, first_day=day, last_day=day)
    holiday = HostHoliday(host_id=stranger.id, day=day, name="Theirs")
    db.session.add_all([theirs, bens, holiday])
    db.session.commit()
    edit = {"absence-first_day": "2030-01-14", "absence-last_day": "2030-01-14"}
    for host, absence in ((anna, theirs), (anna, bens), (stranger, theirs)):
        url = f"/admin/hosts/{host.id}/absences/{absence.id}"
        assert client.get(f"{url}/edit").status_code == 404
        assert post_form(client, f"{url}/edit", edit, page_of(anna)).status_code == 404
        assert post_form(client, f"{url}/delete", {}, page_of(anna)).status_code == 404
    for host in (anna, stranger):
        url = f"/admin/hosts/{host.id}/holidays/{holiday.id}"
        assert post_form(client, f"{url}/delete", {}, page_of(anna)).status_code == 404
        assert post_form(client, f"{url}/rename", {"name": "X"}, page_of(anna)).status_code == 404
    assert client.get(f"/admin/hosts/{stranger.id}/holidays/import").status_code == 404
    db.session.rollback()
    assert db.session.get(Absence, theirs.id).first_day == day
    assert db.session.get(HostHoliday, holiday.id).name == "Theirs"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/hosts/{anna}/absences/{huge}/edit",
        "/admin/hosts/{huge}/absences/1/edit",
        "/admin/hosts/{huge}/holidays/import",
        "/admin/event-types/{huge}/edit",
        "/admin/hosts/{huge}/availability",
    ],
)
def test_ids_beyond_a_database_integer_in_new_routes_are_404(client, days_off_team, path):
    url = path.format(anna=days_off_team.anna.id, huge="9" * 30)
    assert client.get(url).status_code == 404
