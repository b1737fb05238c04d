"""Admin event types: list with public links, create and edit every field, validation, access.

Includes the qualification form and the team (round-robin) an event type may use.
"""

import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import AuditEntry, EventType, Pool, PoolMember, RoutingForm
from tests.conftest import FROZEN_NOW, csrf_from, login, post_form

SLOT = "2030-01-08T09:00:00+00:00"  # a Tuesday, 10:00 in Berlin: inside the hosts' hours


def audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count_event_types() -> int:
    return db.session.scalar(select(func.count()).select_from(EventType))


@pytest.fixture
def team(make_org, make_host, make_user, login_as, make_event_type, frozen_now):
    """Org A (manager logged in, two hosts, one event type) and org B with its own event type."""
    org = make_org(name="Org A")
    other_org = make_org(name="Org B")
    anna = make_host(org=org, name="Anna Ahlberg")
    ben = make_host(org=org, name="Ben Berger")
    stranger = make_host(org=other_org, name="Stella Stranger")
    call = make_event_type(hosts=[anna], slug="anna-intro", title="Anna intro")
    theirs = make_event_type(hosts=[stranger], slug="their-demo", title="Their demo")
    manager = login_as("manager", org=org)
    return SimpleNamespace(
        org=org,
        other_org=other_org,
        anna=anna,
        ben=ben,
        stranger=stranger,
        call=call,
        theirs=theirs,
        manager=manager,
        make_user=make_user,
    )


def form_data(team, **overrides) -> dict:
    """A complete, valid event type form; `host_ids` is a list of ids."""
    data = {
        "title": "Product demo",
        "slug": "product-demo",
        "description": "We show you the product.",
        "duration": "45",
        "step": "15",
        "buffer_before": "5",
        "buffer_after": "10",
        "min_notice": "120",
        "horizon_days": "30",
        "daily_limit": "3",
        "location_kinds": ["in_person"],
        "location_in_person": "Hauptstr. 1, Berlin",
        "active": "y",
        "host_ids": [str(team.anna.id), str(team.ben.id)],
        "routing_form_id": "",
        "pool_id": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def create(client, data):
    return post_form(client, "/admin/event-types/new", data)


# -- list ---------------------------------------------------------------------------------------


def test_list_shows_event_types_with_their_public_links(client, team):
    page = client.get("/admin/event-types")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Event types</h1>" in text
    assert "Anna intro" in text and "/anna-intro" in text and "30 min" in text
    assert "Anna Ahlberg" in text and "Active" in text
    assert "Their demo" not in text  # another organisation
    assert 'value="http://localhost/book/anna-intro" readonly' in text
    assert 'data-copy-target="link-' in text and "/static/js/copy-link.js" in text
    assert 'aria-current="page">Event types' in text


def test_public_link_uses_the_configured_public_url(app, client, team):
    app.config["PUBLIC_URL"] = "https://book.example.eu/"
    page = client.get("/admin/event-types").text
    assert 'value="https://book.example.eu/book/anna-intro"' in page


def test_copy_script_is_small_progressive_enhancement(client, team):
    script = client.get("/static/js/copy-link.js")
    assert script.status_code == 200
    assert b"button.hidden = false" in script.data  # buttons appear only with JavaScript
    script.close()
    page = client.get("/admin/event-types").text
    assert "<script>" not in page and 'style="' not in page


def test_empty_states_say_what_to_do(client, make_org, login_as, make_host, frozen_now):
    org = make_org()
    login_as("manager", org=org)
    page = client.get("/admin/event-types").text
    assert "add the hosts who take the meetings" in page
    make_host(org=org)
    page = client.get("/admin/event-types").text
    assert "No event types yet." in page and "/admin/event-types/new" in page


# -- create -------------------------------------------------------------------------------------


def test_manager_creates_an_event_type_with_every_field(client, team):
    page = client.get("/admin/event-types/new")
    assert page.status_code == 200 and "<h1>New event type</h1>" in page.text
    response = create(client, form_data(team))
    assert response.status_code == 302, response.text
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert event_type.organisation_id == team.org.id
    assert (event_type.title, event_type.description) == (
        "Product demo",
        "We show you the product.",
    )
    assert (event_type.duration, event_type.step) == (45, 15)
    assert (event_type.buffer_before, event_type.buffer_after) == (5, 10)
    assert (event_type.min_notice, event_type.horizon_days, event_type.daily_limit) == (120, 30, 3)
    assert event_type.locations == [{"kind": "in_person", "detail": "Hauptstr. 1, Berlin"}]
    assert event_type.active is True
    assert [host.id for host in event_type.hosts] == [team.anna.id, team.ben.id]
    entry = audit("event_type.create")[-1]
    assert entry.object_id == event_type.id and entry.actor_id == team.manager.id
    assert entry.changes["duration"] == [None, 45]
    assert entry.changes["hosts"] == [
        None,
        [f"Anna Ahlberg (#{team.anna.id})", f"Ben Berger (#{team.ben.id})"],
    ]
    listing = client.get(response.headers["Location"]).text
    assert "Product demo was created." in listing
    # The public page offers it straight away.
    public = client.get("/book/product-demo")
    assert public.status_code == 200 and "Product demo" in public.text


def test_an_empty_slug_is_made_from_the_title(client, team):
    create(client, form_data(team, title="Café & Kuchen: Erstgespräch", slug=""))
    assert db.session.scalar(select(EventType.slug).where(EventType.title.like("Caf%"))) == (
        "cafe-kuchen-erstgesprach"
    )
    # The same title again gets a numbered slug instead of a clash.
    create(client, form_data(team, title="Anna intro", slug=""))
    slugs = db.session.scalars(select(EventType.slug).where(EventType.title == "Anna intro"))
    assert sorted(slugs) == ["anna-intro", "anna-intro-2"]


def test_video_meetings_ignore_the_location_details_and_no_limit_is_allowed(client, team):
    response = create(
        client,
        form_data(
            team,
            location_kinds=["video"],
            location_in_person="ignored",
            location_link="https://ignored.example",
            daily_limit="",
            active=None,
        ),
    )
    assert response.status_code == 302
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert (event_type.locations, event_type.daily_limit) == (
        [{"kind": "video", "detail": ""}],
        None,
    )
    assert event_type.active is False


def test_weekly_limit_and_gap_are_created_edited_and_cleared(client, team):
    response = create(client, form_data(team, weekly_limit="4", min_gap="30"))
    assert response.status_code == 302, response.text
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert (event_type.weekly_limit, event_type.min_gap) == (4, 30)
    assert audit("event_type.create")[-1].changes["weekly_limit"] == [None, 4]
    url = f"/admin/event-types/{event_type.id}/edit"
    page = client.get(url).text
    assert re.search(r'name="weekly_limit"[^>]*value="4"', page)
    assert re.search(r'name="min_gap"[^>]*value="30"', page)
    # Empty means no limit and no gap; a post without the fields (an old form) means the same.
    response = post_form(client, url, form_data(team, weekly_limit="", min_gap=""))
    assert response.status_code == 302, response.text
    db.session.refresh(event_type)
    assert (event_type.weekly_limit, event_type.min_gap) == (None, 0)


def test_the_operation_refuses_a_bad_weekly_limit_or_gap(team):
    from scheduling.errors import InvalidRequest
    from scheduling.operations.event_types import EventTypeData, create_event_type
    from scheduling.operations.locations import Location

    def data(**extra):
        return EventTypeData(
            title="Checked", slug="checked", description="", duration=30, step=30,
            buffer_before=0, buffer_after=0, min_notice=0, horizon_days=30, daily_limit=None,
            locations=(Location("video"),), active=True, host_ids=(team.anna.id,),
            **extra,
        )  # fmt: skip

    for extra, message in (
        ({"weekly_limit": 0}, "weekly limit"),
        ({"min_gap": 1441}, "gap between meetings"),
        ({"min_gap": -5}, "gap between meetings"),
    ):
        with pytest.raises(InvalidRequest, match=message):
            create_event_type(team.org, data(**extra), FROZEN_NOW, team.manager)
        db.session.rollback()
    assert count_event_types() == 2


def test_several_locations_are_stored_in_a_fixed_order_with_normalised_details(client, team):
    response = create(
        client,
        form_data(
            team,
            location_kinds=["link", "invitee_phone", "host_phone", "video", "in_person"],
            location_host_phone="+49 (30) 1234-5678",
            location_in_person="  Hauptstr. 1, Berlin ",
            location_link="https://meet.example.com/room/7",
        ),
    )
    assert response.status_code == 302, response.text
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert event_type.locations == [
        {"kind": "video", "detail": ""},
        {"kind": "host_phone", "detail": "+493012345678"},
        {"kind": "invitee_phone", "detail": ""},
        {"kind": "in_person", "detail": "Hauptstr. 1, Berlin"},
        {"kind": "link", "detail": "https://meet.example.com/room/7"},
    ]
    # The edit page shows them ticked, with their details.
    page = client.get(f"/admin/event-types/{event_type.id}/edit").text
    checked = re.findall(r'<input checked [^>]*name="location_kinds" [^>]*value="(\w+)"', page)
    assert checked == ["video", "host_phone", "invitee_phone", "in_person", "link"]
    assert 'value="+493012345678"' in page and 'value="https://meet.example.com/room/7"' in page
    # Saving the untouched form changes nothing.
    form = {
        **form_data(team),
        "location_kinds": ["video", "host_phone", "invitee_phone", "in_person", "link"],
        "location_host_phone": "+493012345678",
        "location_link": "https://meet.example.com/room/7",
    }
    again = post_form(client, f"/admin/event-types/{event_type.id}/edit", form)
    assert again.status_code == 302
    assert "Nothing changed." in client.get(again.headers["Location"]).text


def test_a_phone_event_type_keeps_its_number_in_e164(client, team):
    response = create(
        client,
        form_data(team, location_kinds=["host_phone"], location_host_phone="+49 30 1234567"),
    )
    assert response.status_code == 302
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert event_type.locations == [{"kind": "host_phone", "detail": "+49301234567"}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter a title, e.g. Intro call."),
        ({"duration": "4"}, "Enter the duration in whole minutes, from 5 to 720."),
        ({"duration": "721"}, "Enter the duration in whole minutes, from 5 to 720."),
        ({"duration": "half an hour"}, "Enter the duration in whole minutes, from 5 to 720."),
        ({"duration": ""}, "Enter the duration in whole minutes, from 5 to 720."),
        ({"step": "0"}, "Enter the step in whole minutes, from 5 to 720."),
        ({"step": "721"}, "Enter the step in whole minutes, from 5 to 720."),
        ({"buffer_before": "-1"}, "Enter the buffer in whole minutes, from 0 to 240."),
        ({"buffer_after": "241"}, "Enter the buffer in whole minutes, from 0 to 240."),
        ({"min_notice": "43201"}, "Enter the notice in whole minutes, from 0 to 43200"),
        ({"min_notice": "-5"}, "Enter the notice in whole minutes, from 0 to 43200"),
        ({"horizon_days": "0"}, "Enter a number of days from 1 to 730."),
        ({"horizon_days": "731"}, "Enter a number of days from 1 to 730."),
        ({"daily_limit": "0"}, "Leave the daily limit empty for no limit, or enter 1 to 1000."),
        ({"daily_limit": "lots"}, "Leave the daily limit empty for no limit"),
        ({"weekly_limit": "0"}, "Leave the weekly limit empty for no limit, or enter 1 to 1000."),
        ({"weekly_limit": "many"}, "Leave the weekly limit empty for no limit"),
        ({"min_gap": "-1"}, "Enter the gap between meetings in whole minutes, from 0 to 1440."),
        ({"min_gap": "1441"}, "Enter the gap between meetings in whole minutes, from 0 to 1440."),
        ({"min_gap": "soon"}, "Enter the gap between meetings in whole minutes"),
        ({"slug": "ab"}, "Use 3 to 80 lowercase letters, digits and hyphens."),
        ({"slug": "Product-Demo"}, "Use 3 to 80 lowercase letters, digits and hyphens."),
        ({"slug": "product demo"}, "Use 3 to 80 lowercase letters, digits and hyphens."),
        ({"slug": "a" * 81}, "Use 3 to 80 lowercase letters, digits and hyphens."),
        ({"location_in_person": ""}, "Enter the address for in-person meetings."),
        ({"location_in_person": "   "}, "Enter the address for in-person meetings."),
        ({"location_kinds": []}, "Offer at least one location."),
        (
            {"location_kinds": ["host_phone"], "location_host_phone": ""},
            "Enter the phone number invitees call, with its country code.",
        ),
        (
            {"location_kinds": ["host_phone"], "location_host_phone": "call me maybe"},
            "Enter the number with its country code, for example +49 30 1234567.",
        ),
        (
            {"location_kinds": ["host_phone"], "location_host_phone": "+49 30"},
            "This is not a valid phone number.",
        ),
        (
            {"location_kinds": ["link"], "location_link": ""},
            "Enter the meeting link, starting with https://.",
        ),
        (
            {"location_kinds": ["link"], "location_link": "http://meet.example.com/r"},
            "Enter the meeting link, starting with https://.",
        ),
        (
            {"location_kinds": ["link"], "location_link": "javascript:alert(1)"},
            "Enter the meeting link, starting with https://.",
        ),
        (
            {"location_kinds": ["link"], "location_link": "https://user:pw@meet.example.com/"},
            "Enter the meeting link, starting with https://.",
        ),
        (
            {"location_kinds": ["link"], "location_link": "https://meet.example.com/<b>"},
            "Enter the meeting link, starting with https://.",
        ),
        ({"location_kinds": ["carrier-pigeon"]}, "Pick locations from the list."),
        ({"location_in_person": "x" * 501}, "500 characters"),
        ({"host_ids": []}, "Pick at least one host, or a team."),
        ({"routing_form_id": "abc"}, "Pick a qualification form from the list."),
        ({"routing_form_id": "999999"}, "Pick a qualification form from the list."),
        ({"pool_id": "-1"}, "Pick a team from the list."),
        ({"pool_id": "999999", "host_ids": []}, "Pick a team from the list."),
        ({"host_ids": ["999999"]}, "Pick hosts from the list."),
        ({"description": "x" * 5001}, "5000 characters"),
        ({"button_label": "x" * 61}, "Use at most 60 characters for the button label."),
        ({"layout": "wide"}, "Choose a layout from the list."),
        ({"layout": ""}, "Choose a layout from the list."),
    ],
)
def test_bad_input_is_refused_with_a_message(client, team, changes, message):
    before = count_event_types()
    response = create(client, form_data(team, **changes))
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or 'class="has-error"' in response.text
    assert count_event_types() == before
    assert audit("event_type.create") == []


def test_a_host_of_another_organisation_is_refused(client, team):
    response = create(client, form_data(team, host_ids=[str(team.stranger.id)]))
    assert response.status_code == 400
    assert "Pick hosts from the list." in response.text
    assert count_event_types() == 2


@pytest.mark.parametrize("slug", ["anna-intro", "their-demo"])
def test_a_taken_slug_is_refused_across_the_installation(client, team, slug):
    response = create(client, form_data(team, slug=slug))
    assert response.status_code == 400
    assert "This address is taken" in response.text
    assert count_event_types() == 2


# -- edit ---------------------------------------------------------------------------------------


def test_manager_edits_an_event_type_with_an_audit_diff(client, team):
    url = f"/admin/event-types/{team.call.id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert (
        'value="anna-intro"' in page.text
        and 'value="http://localhost/book/anna-intro"' in page.text
    )
    checked = re.findall(
        r'<input checked id="host_ids-\d+" name="host_ids" [^>]*value="(\d+)"', page.text
    )
    assert checked == [str(team.anna.id)]
    response = post_form(
        client,
        url,
        form_data(
            team,
            title="Anna intro",
            slug="anna-intro",
            description="",
            duration="60",
            step="30",
            buffer_before="0",
            buffer_after="0",
            min_notice="0",
            horizon_days="60",
            daily_limit="",
            location_kinds=["video"],
            location_in_person="",
            host_ids=[str(team.ben.id)],
        ),
    )
    assert response.status_code == 302, response.text
    db.session.expire_all()
    event_type = db.session.get(EventType, team.call.id)
    assert event_type.duration == 60 and [host.id for host in event_type.hosts] == [team.ben.id]
    entry = audit("event_type.update")[-1]
    assert entry.changes == {
        "duration": [30, 60],
        "durations": ["[30]", "[60]"],  # one length offered: the default alone follows it
        "hosts": [[f"Anna Ahlberg (#{team.anna.id})"], [f"Ben Berger (#{team.ben.id})"]],
    }


def test_saving_an_unchanged_event_type_records_nothing(client, team):
    url = f"/admin/event-types/{team.call.id}/edit"
    data = form_data(
        team,
        title="Anna intro",
        slug="anna-intro",
        description="",
        duration="30",
        step="30",
        buffer_before="0",
        buffer_after="0",
        min_notice="0",
        horizon_days="60",
        daily_limit="",
        location_kinds=["video"],
        location_in_person="",
        host_ids=[str(team.anna.id)],
    )
    assert post_form(client, url, data).status_code == 302
    assert "Nothing changed." in client.get("/admin/event-types").text
    assert audit("event_type.update") == []


def test_editing_keeps_its_own_slug_but_not_anothers(client, team, make_event_type):
    make_event_type(hosts=[team.ben], slug="ben-demo")
    url = f"/admin/event-types/{team.call.id}/edit"
    ok = post_form(client, url, form_data(team, slug="anna-intro", location_kinds=["video"]))
    assert ok.status_code == 302
    clash = post_form(client, url, form_data(team, slug="ben-demo"))
    assert clash.status_code == 400 and "This address is taken" in clash.text
    db.session.expire_all()
    assert db.session.get(EventType, team.call.id).slug == "anna-intro"


def test_edit_refuses_bad_input_without_changing_anything(client, team):
    url = f"/admin/event-types/{team.call.id}/edit"
    response = post_form(client, url, form_data(team, slug="anna-intro", daily_limit="0"))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(EventType, team.call.id).daily_limit is None


# -- activate / deactivate ----------------------------------------------------------------------


def test_deactivate_and_activate(client, team):
    base = f"/admin/event-types/{team.call.id}"
    response = post_form(client, f"{base}/deactivate", {}, page_url="/admin/event-types")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(EventType, team.call.id).active is False
    assert client.get("/book/anna-intro").status_code == 404
    assert "Inactive" in client.get("/admin/event-types").text
    assert audit("event_type.deactivate")[-1].changes == {"active": [True, False]}
    post_form(client, f"{base}/activate", {}, page_url="/admin/event-types")
    assert client.get("/book/anna-intro").status_code == 200
    assert audit("event_type.activate")[-1].object_id == team.call.id


# -- who may do what ----------------------------------------------------------------------------


def test_rep_gets_403_on_every_event_type_route(client, team):
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})
    rep = team.make_user(role="rep", host=team.anna)
    assert login(client, rep.email).status_code == 302
    base = f"/admin/event-types/{team.call.id}"
    for url in ("/admin/event-types", "/admin/event-types/new", f"{base}/edit"):
        assert client.get(url).status_code == 403, url
    for url in ("/admin/event-types/new", f"{base}/edit", f"{base}/deactivate", f"{base}/activate"):
        response = post_form(client, url, form_data(team, slug="rep-made"), page_url="/admin/")
        assert response.status_code == 403, url
    assert "Event types" not in client.get("/admin/").text  # not in the rep's navigation
    db.session.expire_all()
    assert db.session.get(EventType, team.call.id).active is True
    assert count_event_types() == 2


def test_manager_of_another_org_gets_404(client, team):
    base = f"/admin/event-types/{team.theirs.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.get("/admin/event-types/999999/edit").status_code == 404
    for url in (f"{base}/edit", f"{base}/deactivate"):
        response = post_form(
            client, url, form_data(team, slug="their-demo"), page_url="/admin/event-types"
        )
        assert response.status_code == 404, url
    db.session.expire_all()
    theirs = db.session.get(EventType, team.theirs.id)
    assert theirs.active is True and theirs.title == "Their demo"
    assert audit("event_type.update") == [] and audit("event_type.deactivate") == []


def test_admin_may_manage_event_types_too(client, team):
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})
    admin = team.make_user(role="admin", org=team.org)
    assert login(client, admin.email).status_code == 302
    assert client.get("/admin/event-types").status_code == 200
    assert create(client, form_data(team)).status_code == 302


def test_a_slug_taken_in_a_race_is_still_a_clear_message(client, team, monkeypatch):
    # Another request takes the slug between our check and the write: the database refuses.
    from scheduling.operations import event_types

    monkeypatch.setattr(event_types, "slug_taken", lambda slug, event_type_id=None: False)
    response = create(client, form_data(team, slug="their-demo"))
    assert response.status_code == 400
    assert "This address is taken" in response.text
    assert count_event_types() == 2


def test_an_edit_losing_the_slug_race_is_a_clear_message(client, team, monkeypatch):
    from scheduling.operations import event_types

    monkeypatch.setattr(event_types, "slug_taken", lambda slug, event_type_id=None: False)
    url = f"/admin/event-types/{team.call.id}/edit"
    response = post_form(client, url, form_data(team, slug="their-demo"))
    assert response.status_code == 400
    assert "This address is taken" in response.text
    db.session.expire_all()
    assert db.session.get(EventType, team.call.id).slug == "anna-intro"


# -- qualification form and team ----------------------------------------------------------------


@pytest.fixture
def routing(team):
    """A form and a team in org A, and the same in org B."""
    rows = SimpleNamespace(
        form=RoutingForm(organisation=team.org, name="Qualify", created_at=FROZEN_NOW),
        pool=Pool(organisation=team.org, name="Closers", created_at=FROZEN_NOW),
        their_form=RoutingForm(organisation=team.other_org, name="Theirs", created_at=FROZEN_NOW),
        their_pool=Pool(organisation=team.other_org, name="Their team", created_at=FROZEN_NOW),
    )
    rows.pool.members.append(PoolMember(host=team.ben, joined_at=FROZEN_NOW))
    db.session.add_all(vars(rows).values())
    db.session.commit()
    return rows


def test_the_form_offers_the_organisations_forms_and_teams(client, team, routing):
    page = client.get("/admin/event-types/new").text
    assert '<option selected value="">None: no questions</option>' in page
    assert f'<option value="{routing.form.id}">Qualify</option>' in page
    assert f'<option value="{routing.pool.id}">Closers</option>' in page
    assert "Theirs" not in page and "Their team" not in page


def test_empty_form_and_team_lists_say_where_to_create_them(client, team):
    page = client.get("/admin/event-types/new").text
    assert "No qualification forms yet." in page and 'href="/admin/routing"' in page
    assert "No teams yet." in page and 'href="/admin/teams"' in page


def test_an_event_type_hosted_by_a_team_needs_no_hosts(client, team, routing):
    data = form_data(
        team,
        host_ids=[],
        routing_form_id=str(routing.form.id),
        pool_id=str(routing.pool.id),
    )
    response = create(client, data)
    assert response.status_code == 302, response.text
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert event_type.routing_form_id == routing.form.id and event_type.pool_id == routing.pool.id
    assert event_type.hosts == []
    changes = audit("event_type.create")[-1].changes
    assert changes["routing_form_id"] == [None, routing.form.id]
    assert changes["pool_id"] == [None, routing.pool.id]
    listing = client.get("/admin/event-types").text
    assert "Team Closers (round-robin)" in listing and "Asks: Qualify" in listing
    edit = client.get(f"/admin/event-types/{event_type.id}/edit").text
    assert f'<option selected value="{routing.form.id}">Qualify</option>' in edit
    assert f'<option selected value="{routing.pool.id}">Closers</option>' in edit


def test_the_form_and_team_can_be_set_and_cleared_on_edit(client, team, routing):
    url = f"/admin/event-types/{team.call.id}/edit"
    base = form_data(team, slug="anna-intro", title="Anna intro", host_ids=[str(team.anna.id)])
    with_team = {**base, "routing_form_id": str(routing.form.id), "pool_id": str(routing.pool.id)}
    assert post_form(client, url, with_team).status_code == 302
    db.session.expire_all()
    event_type = db.session.get(EventType, team.call.id)
    assert (event_type.routing_form_id, event_type.pool_id) == (routing.form.id, routing.pool.id)
    changes = audit("event_type.update")[-1].changes
    assert changes["pool_id"] == [None, routing.pool.id]
    assert post_form(client, url, base).status_code == 302
    db.session.expire_all()
    event_type = db.session.get(EventType, team.call.id)
    assert (event_type.routing_form_id, event_type.pool_id) == (None, None)
    no_hosts = post_form(client, url, {**base, "host_ids": []})
    assert no_hosts.status_code == 400 and "Pick at least one host, or a team." in no_hosts.text


@pytest.mark.parametrize(
    ("field", "attr", "message"),
    [
        ("routing_form_id", "their_form", "Pick a qualification form from the list."),
        ("pool_id", "their_pool", "Pick a team from the list."),
    ],
)
def test_another_organisations_form_or_team_is_refused(client, team, routing, field, attr, message):
    response = create(client, form_data(team, **{field: str(getattr(routing, attr).id)}))
    assert response.status_code == 400 and message in response.text
    assert count_event_types() == 2


def test_the_operation_refuses_another_organisations_team_too(team, routing):
    # The form offers only the organisation's own teams; the operation checks again.
    from scheduling.errors import InvalidRequest
    from scheduling.operations.event_types import EventTypeData, create_event_type
    from scheduling.operations.locations import Location

    data = EventTypeData(
        title="Sneaky", slug="sneaky", description="", duration=30, step=30, buffer_before=0,
        buffer_after=0, min_notice=0, horizon_days=30, daily_limit=None,
        locations=(Location("video"),), active=True, host_ids=(), routing_form_id=None,
        pool_id=routing.their_pool.id,
    )  # fmt: skip
    with pytest.raises(InvalidRequest, match=r"Pick a team from the list\."):
        create_event_type(team.org, data, FROZEN_NOW, team.manager)
    db.session.rollback()


# -- booking page: button label and layout ------------------------------------------------------


def test_the_booking_page_label_and_layout_are_created_edited_and_shown(client, team):
    new = client.get("/admin/event-types/new").text
    assert "<h2>Booking page</h2>" in new and 'name="button_label"' in new
    assert re.search(
        r'<input checked id="layout-0" name="layout" type="radio" value="standard"', new
    )
    response = create(client, form_data(team, button_label="  Book a demo  ", layout="compact"))
    assert response.status_code == 302, response.text
    event_type = db.session.scalar(select(EventType).where(EventType.slug == "product-demo"))
    assert (event_type.button_label, event_type.layout) == ("Book a demo", "compact")
    assert audit("event_type.create")[-1].changes["layout"] == [None, "compact"]
    url = f"/admin/event-types/{event_type.id}/edit"
    page = client.get(url).text
    assert 'value="Book a demo"' in page
    assert re.search(
        r'<input checked id="layout-1" name="layout" type="radio" value="compact"', page
    )
    # The direct booking page uses them without any A/B test.
    confirm = client.get(f"/book/product-demo/confirm?start={quote(SLOT)}&tz=Europe/Berlin")
    assert confirm.status_code == 200, confirm.text
    assert ">Book a demo</button>" in confirm.text and "Book this time" not in confirm.text
    assert '<body class="public layout-compact">' in confirm.text
    assert "/static/css/page-layout.css" in confirm.text
    # Clearing the label brings back the default; the standard layout drops the compact CSS.
    edited = post_form(client, url, form_data(team, button_label="", layout="standard"))
    assert edited.status_code == 302, edited.text
    db.session.expire_all()
    event_type = db.session.get(EventType, event_type.id)
    assert (event_type.button_label, event_type.layout) == ("", "standard")
    assert audit("event_type.update")[-1].changes == {
        "button_label": ["Book a demo", ""],
        "layout": ["compact", "standard"],
    }
    confirm = client.get(f"/book/product-demo/confirm?start={quote(SLOT)}&tz=Europe/Berlin").text
    assert (
        ">Book this time</button>" in confirm and '<body class="public layout-standard">' in confirm
    )
    assert "page-layout.css" not in confirm


def test_a_bad_label_or_layout_on_edit_changes_nothing(client, team):
    team.call.button_label, team.call.layout = "Pick a time", "compact"
    db.session.commit()
    url = f"/admin/event-types/{team.call.id}/edit"
    for changes, message in (
        ({"button_label": "y" * 61}, "Use at most 60 characters for the button label."),
        ({"layout": "wide"}, "Choose a layout from the list."),
    ):
        data = form_data(team, slug="anna-intro", **changes)
        response = post_form(client, url, data)
        assert response.status_code == 400 and message in response.text
        assert 'aria-invalid="true"' in response.text or 'class="has-error"' in response.text
    db.session.expire_all()
    event_type = db.session.get(EventType, team.call.id)
    assert (event_type.button_label, event_type.layout) == ("Pick a time", "compact")
    assert audit("event_type.update") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"layout": "wide"}, r"Choose a layout from the list\."),
        ({"button_label": "z" * 61}, r"Use at most 60 characters for the button label\."),
    ],
)
def test_the_operation_checks_label_and_layout_too(team, changes, message):
    from scheduling.errors import InvalidRequest
    from scheduling.operations.event_types import EventTypeData, create_event_type
    from scheduling.operations.locations import Location

    data = EventTypeData(
        title="Direct", slug="direct", description="", duration=30, step=30, buffer_before=0,
        buffer_after=0, min_notice=0, horizon_days=30, daily_limit=None,
        locations=(Location("video"),), active=True, host_ids=(team.anna.id,), **changes,
    )  # fmt: skip
    with pytest.raises(InvalidRequest, match=message):
        create_event_type(team.org, data, FROZEN_NOW, team.manager)
    db.session.rollback()
    assert count_event_types() == 2


@pytest.mark.parametrize(
    ("locations", "message"),
    [
        ((), r"Offer at least one location\."),
        (("video", "video"), r"Offer each kind of location once\."),
        (("phone",), r"Pick locations from the list\."),
        ((("host_phone", "12"),), r"Enter the number with its country code"),
        ((("in_person", "  "),), r"Enter the address for in-person meetings\."),
        ((("link", "ftp://files.example.com"),), r"Enter the meeting link"),
        ((("link", "https://"),), r"Enter the meeting link"),
        ((("link", "https://x.example:port/"),), r"Enter the meeting link"),
    ],
)
def test_the_operation_checks_locations_too(team, locations, message):
    from scheduling.errors import InvalidRequest
    from scheduling.operations.event_types import EventTypeData, create_event_type
    from scheduling.operations.locations import Location

    offered = tuple(
        Location(item) if isinstance(item, str) else Location(*item) for item in locations
    )
    data = EventTypeData(
        title="Direct", slug="direct", description="", duration=30, step=30, buffer_before=0,
        buffer_after=0, min_notice=0, horizon_days=30, daily_limit=None, locations=offered,
        active=True, host_ids=(team.anna.id,),
    )  # fmt: skip
    with pytest.raises(InvalidRequest, match=message):
        create_event_type(team.org, data, FROZEN_NOW, team.manager)
    db.session.rollback()
    assert count_event_types() == 2
