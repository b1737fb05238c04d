"""Admin hosts and availability: host list, weekly hours, overrides, holidays, preview, access."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import AuditEntry, DateOverride, Holiday, Host, WeeklyHours
from tests.conftest import csrf_from, login, post_form

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The frozen clock reads Monday 2030-01-07 08:00 UTC (09:00 in Berlin).
NEXT_MONDAY = "2030-01-14"


def week(tz="Europe/Berlin", default="09:00-17:00", weekend="", **days) -> dict:
    """Form data for the weekly hours form: Monday to Friday `default`, weekend `weekend`."""
    data = {"tz": tz}
    for index, name in enumerate(DAYS):
        data[name] = days.get(name, default if index < 5 else weekend)
    return data


def hours_of(host: Host) -> list[tuple[int, int, int]]:
    db.session.expire_all()
    return [
        (row.weekday, row.start_minute, row.end_minute)
        for row in db.session.scalars(
            select(WeeklyHours)
            .where(WeeklyHours.host_id == host.id)
            .order_by(WeeklyHours.weekday, WeeklyHours.start_minute)
        )
    ]


def audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def slots(client, slug: str, day: str = NEXT_MONDAY) -> list[str]:
    """Public slot starts of one Berlin date, as HH:MM."""
    response = client.get(
        f"/api/v1/event-types/{slug}/slots",
        query_string={"start": day, "end": day, "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 200, response.text
    return [value[11:16] for value in response.json["slots"]]


@pytest.fixture
def team(make_org, make_host, make_user, login_as, make_event_type, frozen_now):
    """Org A (manager logged in, hosts Anna and Ben, an event type of Anna) and org B."""
    org = make_org(name="Org A")
    other_org = make_org(name="Org B")
    anna = make_host(org=org, name="Anna Ahlberg")
    ben = make_host(org=org, name="Ben Berger")
    stranger = make_host(org=other_org, name="Stella Stranger")
    call = make_event_type(hosts=[anna], slug="anna-intro", title="Anna intro")
    manager = login_as("manager", org=org)
    return SimpleNamespace(
        org=org,
        other_org=other_org,
        anna=anna,
        ben=ben,
        stranger=stranger,
        call=call,
        manager=manager,
        make_user=make_user,
    )


def logout(client) -> None:
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})


def login_rep(client, team, host=None):
    """Switch the test client to a rep linked to `host` (Anna by default)."""
    logout(client)
    rep = team.make_user(role="rep", host=host or team.anna)
    assert login(client, rep.email).status_code == 302
    return rep


# -- the host list and host records -------------------------------------------------------------


def test_manager_sees_the_organisations_hosts_with_a_summary(client, team):
    page = client.get("/admin/hosts")
    assert page.status_code == 200
    assert "<h1>Hosts and availability</h1>" in page.text
    assert "Anna Ahlberg" in page.text and "Ben Berger" in page.text
    assert "Stella Stranger" not in page.text  # another organisation
    assert "Mon–Fri</span> 09:00-17:00" in page.text
    assert "40 hours a week" in page.text
    assert 'aria-current="page">Availability' in page.text  # the nav marks this area


def test_a_host_without_hours_says_so(client, team, make_host):
    make_host(org=team.org, name="Nora Nohours", hours=())
    assert "No weekly hours: not bookable yet." in client.get("/admin/hosts").text


def test_rep_is_sent_to_their_own_availability(client, team):
    login_rep(client, team)
    response = client.get("/admin/hosts")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/hosts/{team.anna.id}/availability")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "<h1>Your availability</h1>" in page.text


def test_manager_adds_a_host(client, team):
    response = post_form(
        client,
        "/admin/hosts/new",
        {"name": " Carla Closer ", "email": "Carla@Example.com", "tz": "America/New_York"},
    )
    assert response.status_code == 302
    host = db.session.scalar(select(Host).where(Host.name == "Carla Closer"))
    assert host.organisation_id == team.org.id
    assert (host.email, host.tz, host.active) == ("carla@example.com", "America/New_York", True)
    assert response.headers["Location"].endswith(f"/admin/hosts/{host.id}/availability")
    entry = audit("host.create")[-1]
    assert entry.object_id == host.id and entry.actor_id == team.manager.id
    assert entry.changes["email"] == [None, "carla@example.com"]
    page = client.get(response.headers["Location"])
    assert "Carla Closer was added" in page.text
    assert "No weekly hours yet" in page.text


def test_the_zone_list_offers_iana_zones(client, team):
    page = client.get("/admin/hosts/new").text
    assert '<option value="Europe/Lisbon">Europe/Lisbon</option>' in page
    assert '<option value="America/New_York">America/New York</option>' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "x@example.com", "tz": "UTC"}, "Enter the host's name."),
        ({"name": "X", "email": "", "tz": "UTC"}, "Enter the host's email address."),
        ({"name": "X", "email": "not-an-email", "tz": "UTC"}, "Enter a valid email address"),
        ({"name": "X", "email": "x@example.com", "tz": "Mars/Base"}, "Pick a time zone"),
        ({"name": "X", "email": "x@example.com", "tz": "../etc/passwd"}, "Pick a time zone"),
        ({"name": "X" * 201, "email": "x@example.com", "tz": "UTC"}, "200 characters"),
    ],
)
def test_add_host_refuses_bad_input(client, team, data, message):
    count = db.session.scalar(select(func.count()).select_from(Host))
    response = post_form(client, "/admin/hosts/new", data)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(func.count()).select_from(Host)) == count


def test_host_email_is_unique_in_the_organisation_only(client, team):
    taken = team.anna.email.upper()
    response = post_form(client, "/admin/hosts/new", {"name": "A", "email": taken, "tz": "UTC"})
    assert response.status_code == 400
    assert "A host with this email exists already in your organisation." in response.text
    # The same address in another organisation is fine.
    other = post_form(
        client, "/admin/hosts/new", {"name": "S", "email": team.stranger.email, "tz": "UTC"}
    )
    assert other.status_code == 302


def test_manager_edits_a_host_with_an_audit_diff(client, team):
    url = f"/admin/hosts/{team.ben.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and 'value="Ben Berger"' in page.text
    response = post_form(
        client, url, {"name": "Ben B.", "email": team.ben.email, "tz": "Europe/Paris"}
    )
    assert response.status_code == 302
    db.session.refresh(team.ben)
    assert (team.ben.name, team.ben.tz) == ("Ben B.", "Europe/Paris")
    entry = audit("host.update")[-1]
    assert entry.changes == {
        "name": ["Ben Berger", "Ben B."],
        "tz": ["Europe/Berlin", "Europe/Paris"],
    }
    # Taking a colleague's email is refused.
    clash = post_form(client, url, {"name": "Ben", "email": team.anna.email, "tz": "UTC"})
    assert clash.status_code == 400 and "exists already" in clash.text


def test_deactivating_a_host_removes_their_slots(client, team):
    assert slots(client, team.call.slug)
    response = post_form(
        client, f"/admin/hosts/{team.anna.id}/deactivate", {}, page_url="/admin/hosts"
    )
    assert response.status_code == 302
    assert slots(client, team.call.slug) == []
    assert "Inactive" in client.get("/admin/hosts").text
    assert audit("host.deactivate")[-1].changes == {"active": [True, False]}
    post_form(client, f"/admin/hosts/{team.anna.id}/activate", {}, page_url="/admin/hosts")
    assert slots(client, team.call.slug)
    assert audit("host.activate")[-1].object_id == team.anna.id


# -- who may do what ----------------------------------------------------------------------------


def test_rep_gets_403_on_manager_pages(client, team):
    login_rep(client, team)
    for url in ("/admin/hosts/new", f"/admin/hosts/{team.anna.id}/edit", "/admin/hosts/holidays"):
        assert client.get(url).status_code == 403, url
    posts = [
        ("/admin/hosts/new", {"name": "X", "email": "x@example.com", "tz": "UTC"}),
        (f"/admin/hosts/{team.anna.id}/edit", {"name": "X", "email": "x@e.com", "tz": "UTC"}),
        (f"/admin/hosts/{team.anna.id}/deactivate", {}),
        ("/admin/hosts/holidays", {"day": "2030-02-01", "name": "X"}),
    ]
    for url, data in posts:
        assert post_form(client, url, data, page_url="/admin/").status_code == 403, url
    db.session.refresh(team.anna)
    assert team.anna.active and team.anna.name == "Anna Ahlberg"
    assert db.session.scalar(select(func.count()).select_from(Holiday)) == 0


def test_rep_gets_404_for_another_hosts_availability(client, team):
    login_rep(client, team)
    before = hours_of(team.ben)
    ben = team.ben.id
    assert client.get(f"/admin/hosts/{ben}/availability").status_code == 404
    assert client.get("/admin/hosts/999999/availability").status_code == 404
    own_page = f"/admin/hosts/{team.anna.id}/availability"
    attempts = [
        (f"/admin/hosts/{ben}/availability", week(default="10:00-11:00")),
        (f"/admin/hosts/{ben}/overrides", {"override-day": NEXT_MONDAY, "override-day_off": "y"}),
        (f"/admin/hosts/{ben}/overrides/{NEXT_MONDAY}/delete", {}),
    ]
    for url, data in attempts:
        assert post_form(client, url, data, page_url=own_page).status_code == 404, url
    assert hours_of(team.ben) == before
    assert db.session.scalar(select(func.count()).select_from(DateOverride)) == 0


def test_rep_edits_their_own_hours(client, team):
    login_rep(client, team)
    url = f"/admin/hosts/{team.anna.id}/availability"
    response = post_form(client, url, week(default="10:00-12:00"))
    assert response.status_code == 302
    assert hours_of(team.anna) == [(day, 600, 720) for day in range(5)]
    page = client.get(url).text
    assert "Weekly hours saved." in page
    assert "Manage organisation holidays" not in page  # managers only


def test_manager_of_another_org_gets_404_everywhere(client, team):
    host = team.stranger.id
    assert client.get(f"/admin/hosts/{host}/availability").status_code == 404
    assert client.get(f"/admin/hosts/{host}/edit").status_code == 404
    before = hours_of(team.stranger)
    page = "/admin/hosts"
    attempts = [
        (f"/admin/hosts/{host}/availability", week(default="10:00-11:00")),
        (f"/admin/hosts/{host}/edit", {"name": "Mine", "email": "m@example.com", "tz": "UTC"}),
        (f"/admin/hosts/{host}/deactivate", {}),
        (f"/admin/hosts/{host}/overrides", {"override-day": NEXT_MONDAY, "override-day_off": "y"}),
        (f"/admin/hosts/{host}/overrides/{NEXT_MONDAY}/delete", {}),
    ]
    for url, data in attempts:
        assert post_form(client, url, data, page_url=page).status_code == 404, url
    db.session.refresh(team.stranger)
    assert team.stranger.name == "Stella Stranger" and team.stranger.active
    assert hours_of(team.stranger) == before
    assert db.session.scalar(select(func.count()).select_from(DateOverride)) == 0


def test_holidays_of_another_org_cannot_be_deleted(client, team):
    theirs = Holiday(organisation=team.other_org, day=date(2030, 1, 14), name="Theirs")
    db.session.add(theirs)
    db.session.commit()
    assert "Theirs" not in client.get("/admin/hosts/holidays").text
    response = post_form(
        client, f"/admin/hosts/holidays/{theirs.id}/delete", {}, page_url="/admin/hosts"
    )
    assert response.status_code == 404
    assert db.session.get(Holiday, theirs.id) is not None


def test_logged_out_visitors_are_sent_to_login(client, team):
    logout(client)
    response = client.get(f"/admin/hosts/{team.anna.id}/availability")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# -- weekly hours -------------------------------------------------------------------------------


def test_saving_hours_with_several_intervals_changes_the_public_slots(client, team):
    assert slots(client, team.call.slug)[:2] == ["09:00", "09:30"]
    url = f"/admin/hosts/{team.anna.id}/availability"
    page = client.get(url).text
    assert 'name="monday-1-start" value="09:00"' in page
    assert 'name="monday-1-end" value="17:00"' in page
    response = post_form(
        client,
        url,
        week(monday="09:00-10:00, 13:00-14:00,15:30 - 16:00", tuesday="", saturday="10:00-24:00"),
    )
    assert response.status_code == 302
    assert (0, 540, 600) in hours_of(team.anna) and (5, 600, 1440) in hours_of(team.anna)
    assert not [row for row in hours_of(team.anna) if row[0] == 1]
    assert slots(client, team.call.slug) == ["09:00", "09:30", "13:00", "13:30", "15:30"]
    assert slots(client, team.call.slug, "2030-01-15") == []  # Tuesday is off now
    entry = audit("host.availability")[-1]
    assert entry.object_id == team.anna.id and entry.actor_id == team.manager.id
    assert entry.changes["monday"] == ["09:00-17:00", "09:00-10:00, 13:00-14:00, 15:30-16:00"]
    assert entry.changes["tuesday"] == ["09:00-17:00", "off"]
    assert entry.changes["saturday"] == ["off", "10:00-24:00"]
    assert "wednesday" not in entry.changes
    page = client.get(url).text
    assert 'name="monday-3-start" value="15:30"' in page
    assert 'name="saturday-1-end" value="00:00"' in page  # 24:00, as a time input holds it


def test_saving_unchanged_hours_writes_nothing(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    response = post_form(client, url, week())
    assert response.status_code == 302
    assert "Nothing changed." in client.get(url).text
    assert audit("host.availability") == []


def test_changing_the_zone_moves_the_slots(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    assert post_form(client, url, week(tz="Europe/London")).status_code == 302
    db.session.refresh(team.anna)
    assert team.anna.tz == "Europe/London"
    assert slots(client, team.call.slug)[0] == "10:00"  # 09:00 London is 10:00 Berlin
    assert audit("host.availability")[-1].changes == {"tz": ["Europe/Berlin", "Europe/London"]}


@pytest.mark.parametrize(
    ("monday", "message"),
    [
        ("12:00-09:00", "&#34;12:00-09:00&#34;: the end must be after the start."),
        ("09:00-09:00", "the end must be after the start."),
        ("09:00-12:00, 11:00-13:00", "09:00-12:00 and 11:00-13:00 overlap"),
        ("13:00-14:00, 09:00-17:00", "09:00-17:00 and 13:00-14:00 overlap"),
        ("9 to 5", "Could not read &#34;9 to 5&#34;: write times like 09:00-12:00."),
        ("24:00-24:00", "24:00 can only end an interval."),
        ("09:00-25:00", "times run from 00:00 to 24:00."),
        ("09:61-10:00", "times run from 00:00 to 24:00."),
        (", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(13)), "At most 12 intervals a day"),
    ],
)
def test_bad_weekly_hours_are_refused_with_a_message(client, team, monday, message):
    url = f"/admin/hosts/{team.anna.id}/availability"
    before = hours_of(team.anna)
    response = post_form(client, url, week(monday=monday))
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert hours_of(team.anna) == before
    assert audit("host.availability") == []


def test_twelve_intervals_and_touching_ones_are_fine(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    twelve = ", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 20))
    response = post_form(client, url, week(monday=twelve, tuesday="09:00-12:00, 12:00-13:00"))
    assert response.status_code == 302
    assert len([row for row in hours_of(team.anna) if row[0] == 0]) == 12


def rows(tz="Europe/Berlin", **days) -> dict:
    """Form data of the row editor: each day a list of (start, end) pairs, as the page posts."""
    data = {"tz": tz, "hours_editor": "rows"}
    for name in DAYS:
        for n, (start, end) in enumerate(days.get(name, []), 1):
            data[f"{name}-{n}-start"] = start
            data[f"{name}-{n}-end"] = end
    return data


def test_the_page_offers_labelled_time_inputs_with_empty_rows_to_fill(client, team):
    page = client.get(f"/admin/hosts/{team.anna.id}/availability").text
    # Anna works 09:00-17:00 on weekdays: one filled row and two empty ones per day, no JS needed.
    assert 'type="time" id="monday-1-start" name="monday-1-start" value="09:00"' in page
    assert 'name="monday-3-end" value=""' in page and 'name="monday-4-end"' not in page
    assert 'name="sunday-2-start" value=""' in page and 'name="sunday-3-start"' not in page
    assert '<span class="sr-only">Monday, interval 1, start</span>' in page
    assert (
        '<label for="wednesday-2-end"><span class="sr-only">Wednesday, interval 2, end</span>'
        in page
    )
    # The JavaScript buttons stay hidden until the script shows them.
    assert "data-add-interval hidden>" in page and "data-copy-monday" in page
    assert '<script src="/static/js/admin-weekly-hours.js' in page


def test_rows_save_as_weekly_hours_without_javascript(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    data = rows(
        monday=[("09:00", "10:00"), ("", ""), ("13:00", "14:00")],
        tuesday=[("", "")],
        wednesday=[("15:30:00", "16:00"), ("08:00", "09:00")],
        saturday=[("22:00", "00:00")],
    )
    response = post_form(client, url, data)
    assert response.status_code == 302, response.text
    assert hours_of(team.anna) == [
        (0, 540, 600),
        (0, 780, 840),
        (2, 480, 540),
        (2, 930, 960),
        (5, 1320, 1440),
    ]
    assert audit("host.availability")[-1].changes["saturday"] == ["off", "22:00-24:00"]
    assert slots(client, team.call.slug) == ["09:00", "09:30", "13:00", "13:30"]


def test_unchanged_rows_write_nothing(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    weekday = [("09:00", "17:00"), ("", "")]
    data = rows(
        monday=weekday, tuesday=weekday, wednesday=weekday, thursday=weekday, friday=weekday
    )
    assert post_form(client, url, data).status_code == 302
    assert audit("host.availability") == []


@pytest.mark.parametrize(
    ("monday", "message"),
    [
        ([("12:00", "09:00")], "Monday, interval 1: the end must be after the start."),
        ([("09:00", "17:00"), ("10:00", "")], "Monday, interval 2: enter both a start and an end"),
        ([("", "10:00")], "Monday, interval 1: enter both a start and an end"),
        ([("9 am", "10:00")], "Monday, interval 1: write times like 09:00."),
        ([("24:00", "10:00")], "Monday, interval 1: write times like 09:00."),
        ([("09:00", "12:00"), ("11:00", "13:00")], "Monday: 09:00-12:00 and 11:00-13:00 overlap"),
        ([("00:00", "00:00"), ("09:00", "10:00")], "Monday: 00:00-24:00 and 09:00-10:00 overlap"),
        ([(f"{h:02d}:00", f"{h:02d}:30") for h in range(13)], "Monday: at most 12 intervals"),
    ],
)
def test_bad_rows_are_refused_and_nothing_is_saved(client, team, monday, message):
    url = f"/admin/hosts/{team.anna.id}/availability"
    before = hours_of(team.anna)
    response = post_form(client, url, rows(monday=monday, tuesday=[("08:00", "09:00")]))
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or "at most 12" in message
    assert 'aria-describedby="monday-errors"' in response.text
    # What was typed comes back to be fixed; the other day keeps its typed row too.
    assert f'name="monday-1-start" value="{monday[0][0]}"' in response.text
    assert 'name="tuesday-1-start" value="08:00"' in response.text
    assert hours_of(team.anna) == before
    assert audit("host.availability") == []


def test_errors_on_several_days_are_all_shown(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    data = rows(monday=[("10:00", "09:00")], friday=[("08:00", "")])
    response = post_form(client, url, data)
    assert response.status_code == 400
    assert "Monday, interval 1: the end must be after the start." in response.text
    assert "Friday, interval 1: enter both a start and an end" in response.text


def test_bad_zone_in_the_availability_form(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    response = post_form(client, url, week(tz="Not/AZone"))
    assert response.status_code == 400
    assert "Pick a time zone from the list." in response.text
    db.session.refresh(team.anna)
    assert team.anna.tz == "Europe/Berlin"


# -- date overrides -----------------------------------------------------------------------------


def add_override(client, host, day=NEXT_MONDAY, hours="", day_off=False):
    data = {"override-day": day, "override-hours": hours}
    if day_off:
        data["override-day_off"] = "y"
    return post_form(
        client,
        f"/admin/hosts/{host.id}/overrides",
        data,
        page_url=f"/admin/hosts/{host.id}/availability",
    )


def test_an_override_with_other_hours_and_its_removal(client, team):
    response = add_override(client, team.anna, hours="11:00-12:00, 15:00-16:00")
    assert response.status_code == 302
    assert slots(client, team.call.slug) == ["11:00", "11:30", "15:00", "15:30"]
    page = client.get(f"/admin/hosts/{team.anna.id}/availability").text
    assert "Monday, January 14, 2030" in page and "11:00-12:00, 15:00-16:00" in page
    entry = audit("host.override_set")[-1]
    assert entry.changes == {NEXT_MONDAY: [None, "11:00-12:00, 15:00-16:00"]}
    # Setting the same date again replaces it.
    add_override(client, team.anna, hours="08:00-09:00")
    assert slots(client, team.call.slug) == ["08:00", "08:30"]
    assert audit("host.override_set")[-1].changes == {
        NEXT_MONDAY: ["11:00-12:00, 15:00-16:00", "08:00-09:00"]
    }
    response = post_form(
        client,
        f"/admin/hosts/{team.anna.id}/overrides/{NEXT_MONDAY}/delete",
        {},
        page_url=f"/admin/hosts/{team.anna.id}/availability",
    )
    assert response.status_code == 302
    assert slots(client, team.call.slug)[0] == "09:00"
    assert audit("host.override_delete")[-1].changes == {NEXT_MONDAY: ["08:00-09:00", None]}


def test_a_day_off_override(client, team):
    assert add_override(client, team.anna, day_off=True, hours="ignored").status_code == 302
    assert slots(client, team.call.slug) == []
    rows = db.session.scalars(select(DateOverride)).all()
    assert [(row.day, row.start_minute, row.end_minute) for row in rows] == [
        (date(2030, 1, 14), None, None)
    ]
    assert "Day off" in client.get(f"/admin/hosts/{team.anna.id}/availability").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hours": ""}, 'Enter the hours for that date, or tick "Day off".'),
        ({"hours": "17:00-09:00"}, "the end must be after the start."),
        ({"hours": "09:00-11:00, 10:00-12:00"}, "overlap"),
        ({"day": "2030-01-06", "hours": "09:00-10:00"}, "Pick today or a later date."),
        ({"day": "2040-01-01", "hours": "09:00-10:00"}, "Pick a date within the next three years."),
        ({"day": "14.01.2030", "hours": "09:00-10:00"}, "Enter the date as YYYY-MM-DD"),
        ({"day": "", "day_off": True}, "Pick a date."),
    ],
)
def test_bad_overrides_are_refused_with_a_message(client, team, data, message):
    response = add_override(client, team.anna, **{"day": NEXT_MONDAY, **data})
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(func.count()).select_from(DateOverride)) == 0
    assert audit("host.override_set") == []


def test_overrides_today_and_later_are_listed_unless_past_is_asked(client, team):
    db.session.add_all(
        [
            DateOverride(host=team.anna, day=date(2030, 1, 2), start_minute=None, end_minute=None),
            DateOverride(host=team.anna, day=date(2030, 1, 7), start_minute=600, end_minute=660),
        ]
    )
    db.session.commit()
    url = f"/admin/hosts/{team.anna.id}/availability"
    page = client.get(url).text
    assert "Monday, January 7, 2030" in page  # today in Berlin
    assert "January 2, 2030" not in page
    everything = client.get(url, query_string={"past": "1"}).text
    assert "Wednesday, January 2, 2030" in everything


def test_deleting_a_missing_or_unreadable_override(client, team):
    page = f"/admin/hosts/{team.anna.id}/availability"
    base = f"/admin/hosts/{team.anna.id}/overrides"
    missing = post_form(client, f"{base}/{NEXT_MONDAY}/delete", {}, page_url=page)
    assert missing.status_code == 404
    junk = post_form(client, f"{base}/not-a-date/delete", {}, page_url=page)
    assert junk.status_code == 400 and "use YYYY-MM-DD" in junk.text


def test_rep_manages_their_own_overrides(client, team):
    login_rep(client, team)
    assert add_override(client, team.anna, day_off=True).status_code == 302
    assert slots(client, team.call.slug) == []


# -- organisation holidays ----------------------------------------------------------------------


def add_holiday(client, day=NEXT_MONDAY, name="Founders' Day"):
    return post_form(client, "/admin/hosts/holidays", {"day": day, "name": name})


def test_a_holiday_removes_the_days_slots_unless_a_host_overrides_it(client, team, make_event_type):
    ben_call = make_event_type(hosts=[team.ben], slug="ben-intro")
    page = client.get("/admin/hosts/holidays")
    assert page.status_code == 200 and "No upcoming holidays." in page.text
    response = add_holiday(client)
    assert response.status_code == 302
    assert slots(client, team.call.slug) == [] and slots(client, ben_call.slug) == []
    assert "Founders&#39; Day" in client.get("/admin/hosts/holidays").text
    entry = audit("holiday.create")[-1]
    assert entry.changes == {"day": [None, NEXT_MONDAY], "name": [None, "Founders' Day"]}
    # Anna works that day anyway: her override wins over the holiday.
    add_override(client, team.anna, hours="10:00-11:00")
    assert slots(client, team.call.slug) == ["10:00", "10:30"]
    assert slots(client, ben_call.slug) == []
    availability = client.get(f"/admin/hosts/{team.ben.id}/availability").text
    assert "Founders&#39; Day" in availability  # every host's page shows the holidays
    holiday = db.session.scalar(select(Holiday))
    response = post_form(
        client, f"/admin/hosts/holidays/{holiday.id}/delete", {}, page_url="/admin/hosts/holidays"
    )
    assert response.status_code == 302
    assert slots(client, ben_call.slug)[0] == "09:00"
    assert audit("holiday.delete")[-1].object_id == holiday.id


@pytest.mark.parametrize(
    ("day", "name", "message"),
    [
        ("2030-01-05", "Too late", "Pick today or a later date."),
        ("", "No day", "Pick a date."),
        ("soon", "Junk", "Enter the date as YYYY-MM-DD"),
        (NEXT_MONDAY, "", "Name the holiday"),
    ],
)
def test_bad_holidays_are_refused(client, team, day, name, message):
    response = add_holiday(client, day, name)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(func.count()).select_from(Holiday)) == 0


def test_a_date_is_a_holiday_only_once(client, team):
    add_holiday(client)
    response = add_holiday(client, name="Again")
    assert response.status_code == 400
    assert "There is a holiday on that date already." in response.text


def test_past_holidays_are_shown_on_request(client, team):
    db.session.add(Holiday(organisation=team.org, day=date(2029, 12, 25), name="Christmas"))
    db.session.commit()
    assert "Christmas" not in client.get("/admin/hosts/holidays").text
    assert "Christmas" in client.get("/admin/hosts/holidays?past=1").text


# -- preview ------------------------------------------------------------------------------------


def test_preview_shows_the_next_14_days_of_this_hosts_slots(client, team, make_event_type):
    # Ben shares the event type with other hours; Anna's preview must not show his.
    db.session.add(WeeklyHours(host=team.ben, weekday=5, start_minute=600, end_minute=660))
    db.session.commit()
    shared = make_event_type(
        hosts=[team.anna, team.ben], slug="shared", title="Shared demo", duration=60, step=60
    )
    url = f"/admin/hosts/{team.anna.id}/availability"
    page = client.get(url, query_string={"event_type": shared.id})
    assert page.status_code == 200
    text = page.text
    assert text.count("<tr>") == 1 + 14  # header row and one per date
    monday = text.index("Monday, January 7, 2030")
    tuesday = text.index("Tuesday, January 8, 2030")
    today = text[monday:tuesday]
    # It is 09:00 in Berlin: the 09:00 slot starts now, the last one-hour slot is 16:00.
    assert "<li>09:00</li>" in today and "<li>16:00</li>" in today
    assert "<li>17:00</li>" not in today
    saturday = text[text.index("Saturday, January 12, 2030") :]
    saturday = saturday[: saturday.index("</tr>")]
    assert "No slots" in saturday and "10:00" not in saturday  # Ben's Saturday is not Anna's
    assert "Sunday, January 20, 2030" in text and "Monday, January 21, 2030" not in text


def test_preview_defaults_to_the_first_active_event_type(client, team):
    page = client.get(f"/admin/hosts/{team.anna.id}/availability").text
    assert f'<option value="{team.call.id}" selected>' in page
    assert "<li>16:30</li>" in page


def test_preview_without_event_types_explains_what_to_do(client, team):
    page = client.get(f"/admin/hosts/{team.ben.id}/availability").text
    assert "This host hosts no event type yet" in page


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_preview_refuses_unknown_event_types(client, team, value):
    response = client.get(
        f"/admin/hosts/{team.anna.id}/availability", query_string={"event_type": value}
    )
    assert response.status_code == 400
    assert "Choose one of this host&#39;s event types for the preview." in response.text


def test_preview_refuses_an_event_type_the_host_does_not_host(client, team, make_event_type):
    bens = make_event_type(hosts=[team.ben], slug="bens-own")
    response = client.get(
        f"/admin/hosts/{team.anna.id}/availability", query_string={"event_type": bens.id}
    )
    assert response.status_code == 400


def test_preview_follows_saved_hours_and_holidays(client, team):
    url = f"/admin/hosts/{team.anna.id}/availability"
    post_form(client, url, week(tuesday="14:00-15:00"))
    add_holiday(client, day="2030-01-09")
    page = client.get(url).text
    page = page[page.index("Preview: the next 14 days") :]
    tuesday = page[page.index("Tuesday, January 8, 2030") :]
    tuesday = tuesday[: tuesday.index("</tr>")]
    assert "<li>14:00</li><li>14:30</li></ul>" in tuesday
    wednesday = page[page.index("Wednesday, January 9, 2030") :]
    wednesday = wednesday[: wednesday.index("</tr>")]
    assert "No slots" in wednesday


def test_an_email_taken_in_a_race_is_still_a_clear_message(client, team, monkeypatch):
    # A concurrent request adds the same email after our check: the unique constraint answers.
    from scheduling.operations import hosts

    monkeypatch.setattr(hosts, "_check_email_free", lambda *args: None)
    data = {"name": "Twin", "email": team.anna.email, "tz": "UTC"}
    response = post_form(client, "/admin/hosts/new", data)
    assert response.status_code == 400
    assert "A host with this email exists already in your organisation." in response.text
    assert db.session.scalar(select(func.count()).select_from(Host)) == 3
