"""Admin teams: settings, members, the period's standing, manual credits, and who may do what."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import (
    Assignment,
    AuditEntry,
    Booking,
    CreditAdjustment,
    EventType,
    Pool,
    PoolMember,
    RoutingForm,
    RoutingRule,
)
from scheduling.operations.bookings import new_uid
from tests.conftest import FROZEN_NOW, csrf_from, login, post_form


def audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


@pytest.fixture
def team(make_org, make_host, make_event_type, make_user, login_as, frozen_now):
    """Org A: team Closers (Anna, Ben) hosting an event type, Cara outside it; org B's team."""
    org = make_org(name="Org A")
    other_org = make_org(name="Org B")
    anna = make_host(org=org, name="Anna Ahlberg", tz="UTC")
    ben = make_host(org=org, name="Ben Berger", tz="UTC")
    cara = make_host(org=org, name="Cara Costa", tz="UTC")
    stranger = make_host(org=other_org, name="Stella Stranger")
    closers = Pool(organisation=org, name="Closers", tz="UTC", created_at=FROZEN_NOW)
    closers.members.append(PoolMember(host=anna, joined_at=FROZEN_NOW))
    closers.members.append(PoolMember(host=ben, joined_at=FROZEN_NOW))
    theirs = Pool(organisation=other_org, name="Their team", created_at=FROZEN_NOW)
    theirs.members.append(PoolMember(host=stranger, joined_at=FROZEN_NOW))
    db.session.add_all([closers, theirs])
    db.session.commit()
    call = make_event_type(hosts=[], organisation=org, slug="team-call", title="Team call")
    call.pool = closers
    db.session.commit()
    manager = login_as("manager", org=org)
    return SimpleNamespace(
        org=org, other_org=other_org, anna=anna, ben=ben, cara=cara, stranger=stranger,
        closers=closers, theirs=theirs, call=call, manager=manager, make_user=make_user,
    )  # fmt: skip


def base(team, tail: str = "") -> str:
    return f"/admin/teams/{team.closers.id}{tail}"


def sign_out(client):
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})


def assign(pool: Pool, event_type: EventType, host, hours: int, shares: dict, status="confirmed"):
    """A booking `hours` after the frozen now, assigned by the team with these shares."""
    start = FROZEN_NOW + timedelta(hours=hours)
    booking = Booking(
        uid=new_uid(),
        organisation_id=pool.organisation_id,
        event_type_id=event_type.id,
        host_id=host.id,
        invitee_name="Ivy Invitee",
        invitee_email="ivy@example.com",
        invitee_tz="UTC",
        start_at=start,
        end_at=start + timedelta(minutes=30),
        occupied_from=start,
        occupied_until=start + timedelta(minutes=30),
        status=status,
        location_kind="video",
        ical_uid=new_uid(),
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    assignment = Assignment(
        booking=booking,
        pool_id=pool.id,
        host_id=host.id,
        shares={str(host_id): share for host_id, share in shares.items()},
        explanation={"summary": f"Host {host.id} was furthest below their fair share."},
        rule_name="Enterprise",
        created_at=FROZEN_NOW + timedelta(minutes=hours),
    )
    db.session.add_all([booking, assignment])
    db.session.commit()
    return booking


def standing(text: str) -> dict[str, tuple[str, str, str]]:
    """Calls had, fair share and deficit per member, read from the standing table."""
    section = text[text.index('id="standing"') : text.index('id="members"')]
    rows = re.findall(
        r'data-label="Member">([^<]+)<.*?data-label="Calls had" class="num">([^<]*)<'
        r'.*?data-label="Fair share" class="num">([^<]*)<'
        r'.*?data-label="Deficit" class="num[^"]*">([^<]*)<',
        section,
        re.S,
    )
    return {name.strip(): (had, share, deficit) for name, had, share, deficit in rows}


# -- list, create, edit, delete ------------------------------------------------------------------


def test_list_shows_teams_members_and_event_types(client, team):
    page = client.get("/admin/teams")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Teams</h1>" in text and 'aria-current="page">Teams' in text
    assert "Closers" in text and "Anna Ahlberg, Ben Berger" in text and "Team call" in text
    assert "Their team" not in text and "Stella" not in text
    assert "<script>" not in text and 'style="' not in text


def test_empty_states_say_what_to_do(client, make_org, make_host, login_as, frozen_now):
    org = make_org()
    login_as("manager", org=org)
    assert "Add the hosts who take the calls first." in client.get("/admin/teams").text
    make_host(org=org)
    text = client.get("/admin/teams").text
    assert "No teams yet." in text and "/admin/teams/new" in text


def pool_data(**overrides) -> dict:
    data = {
        "name": "Closers DACH",
        "period": "month",
        "tz": "Europe/Vienna",
        "credit_no_shows": "y",
        "equal_distribution_gap": "2",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_create_a_team(client, team):
    page = client.get("/admin/teams/new")
    assert page.status_code == 200 and "<h1>New team</h1>" in page.text
    response = post_form(client, "/admin/teams/new", pool_data())
    assert response.status_code == 303, response.text
    pool = db.session.scalar(select(Pool).where(Pool.name == "Closers DACH"))
    assert (pool.period, pool.tz, pool.credit_no_shows, pool.equal_distribution_gap) == (
        "month",
        "Europe/Vienna",
        True,
        2,
    )
    assert pool.organisation_id == team.org.id
    assert audit("pool.create")[-1].changes["period"] == [None, "month"]
    page = client.get(response.headers["Location"]).text
    assert "Closers DACH was created." in page and "No members yet." in page


def test_equal_distribution_may_be_off(client, team):
    response = post_form(
        client, "/admin/teams/new", pool_data(equal_distribution_gap="", credit_no_shows=None)
    )
    assert response.status_code == 303
    pool = db.session.scalar(select(Pool).where(Pool.name == "Closers DACH"))
    assert (pool.equal_distribution_gap, pool.credit_no_shows) == (None, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Name the team, e.g. Closers DACH."),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"period": "year"}, "Choose a day, a week or a month."),
        ({"tz": "Mars/Olympus"}, "Pick a time zone from the list."),
        ({"equal_distribution_gap": "-1"}, "Leave empty for off, or enter a number of calls"),
        ({"equal_distribution_gap": "two"}, "Leave empty for off, or enter a number of calls"),
        ({"equal_distribution_gap": "1001"}, "Leave empty for off, or enter a number of calls"),
    ],
)
def test_bad_team_settings_are_refused(client, team, changes, message):
    response = post_form(client, "/admin/teams/new", pool_data(**changes))
    assert response.status_code == 400 and message in response.text
    assert count(Pool) == 2 and audit("pool.create") == []


def test_edit_a_team(client, team):
    page = client.get(base(team, "/edit"))
    assert page.status_code == 200 and 'value="Closers"' in page.text
    response = post_form(client, base(team, "/edit"), pool_data(name="Closers", period="day"))
    assert response.status_code == 303
    pool = fresh(Pool, team.closers.id)
    assert (pool.period, pool.tz) == ("day", "Europe/Vienna")
    changes = audit("pool.update")[-1].changes
    assert changes["period"] == ["week", "day"] and "name" not in changes
    bad = post_form(client, base(team, "/edit"), pool_data(tz="Nowhere"))
    assert bad.status_code == 400 and fresh(Pool, team.closers.id).tz == "Europe/Vienna"


def test_delete_is_refused_while_calls_are_routed_to_the_team(client, team):
    form = RoutingForm(organisation=team.org, name="Qualify", created_at=FROZEN_NOW)
    form.rules.append(
        RoutingRule(name="Big", conditions=[], action_kind="team", target_id=team.closers.id)
    )
    db.session.add(form)
    db.session.commit()
    response = post_form(client, base(team, "/delete"), {}, base(team))
    assert response.status_code == 400
    assert "event type “Team call”" in response.text
    assert "rule “Big” of form “Qualify”" in response.text
    assert fresh(Pool, team.closers.id) is not None
    team.call.pool = None
    db.session.delete(db.session.get(RoutingForm, form.id))
    db.session.commit()
    response = post_form(client, base(team, "/delete"), {}, base(team))
    assert response.status_code == 303
    assert fresh(Pool, team.closers.id) is None and count(PoolMember) == 1
    assert audit("pool.delete")[-1].changes["members"] == [["Anna Ahlberg", "Ben Berger"], None]


# -- members -------------------------------------------------------------------------------------


def member_data(team, **overrides) -> dict:
    data = {
        "host": str(team.cara.id),
        "weight": "2",
        "priority": "5",
        "daily_cap": "3",
        "weekly_cap": "",
        "active": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_add_a_member(client, team):
    page = client.get(base(team)).text
    add = page[page.index("Add a member") : page.index('id="adjust"')]
    assert f'<option value="{team.cara.id}">Cara Costa</option>' in add
    assert f'<option value="{team.anna.id}">' not in add  # already a member
    response = post_form(client, base(team, "/members"), member_data(team), base(team))
    assert response.status_code == 303, response.text
    member = db.session.scalar(select(PoolMember).where(PoolMember.host_id == team.cara.id))
    assert (member.weight, member.priority, member.daily_cap, member.weekly_cap) == (2, 5, 3, None)
    assert member.active is True and member.pool_id == team.closers.id
    entry = audit("pool_member.add")[-1]
    assert entry.changes["host"] == [None, f"Cara Costa (#{team.cara.id})"]
    assert "Cara Costa joined the team." in client.get(base(team)).text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"host": ""}, "Choose a host to add."),
        ({"host": "abc"}, "Choose a host of your organisation from the list."),
        ({"host": "999999"}, "Choose a host of your organisation from the list."),
        ({"weight": "101"}, "Enter a weight from 0 to 100 (0 takes no calls)."),
        ({"weight": "-1"}, "Enter a weight from 0 to 100 (0 takes no calls)."),
        ({"weight": ""}, "Enter a weight from 0 to 100 (0 takes no calls)."),
        ({"priority": "101"}, "Enter a priority from -100 to 100."),
        ({"priority": "-101"}, "Enter a priority from -100 to 100."),
        ({"priority": "high"}, "Enter a priority from -100 to 100."),
        ({"daily_cap": "0"}, "Leave the cap empty for no cap, or enter 1 to 1000."),
        ({"weekly_cap": "-2"}, "Leave the cap empty for no cap, or enter 1 to 1000."),
        ({"weekly_cap": "lots"}, "Leave the cap empty for no cap, or enter 1 to 1000."),
    ],
)
def test_bad_members_are_refused(client, team, changes, message):
    response = post_form(client, base(team, "/members"), member_data(team, **changes), base(team))
    assert response.status_code == 400 and message in response.text
    assert count(PoolMember) == 3 and audit("pool_member.add") == []


def test_a_host_cannot_join_twice_nor_come_from_another_organisation(client, team):
    twice = post_form(
        client, base(team, "/members"), member_data(team, host=str(team.anna.id)), base(team)
    )
    assert twice.status_code == 400 and "Anna Ahlberg is already in this team." in twice.text
    stranger = post_form(
        client, base(team, "/members"), member_data(team, host=str(team.stranger.id)), base(team)
    )
    assert stranger.status_code == 400
    assert "Choose a host of your organisation from the list." in stranger.text
    assert count(PoolMember) == 3


def test_edit_and_remove_a_member(client, team):
    ben = team.closers.members[1]
    page = client.get(base(team, f"/members/{ben.id}"))
    assert page.status_code == 200 and "Ben Berger in Closers" in page.text
    data = member_data(team, weight="0", priority="-3", daily_cap="", weekly_cap="10", active=None)
    del data["host"]
    response = post_form(client, base(team, f"/members/{ben.id}"), data)
    assert response.status_code == 303
    member = fresh(PoolMember, ben.id)
    assert (member.weight, member.priority, member.daily_cap, member.weekly_cap) == (
        0,
        -3,
        None,
        10,
    )
    assert member.active is False
    assert audit("pool_member.update")[-1].changes["active"] == [True, False]
    bad = post_form(client, base(team, f"/members/{ben.id}"), {**data, "weight": "500"})
    assert bad.status_code == 400 and "Enter a weight from 0 to 100" in bad.text
    response = post_form(client, base(team, f"/members/{ben.id}/remove"), {}, base(team))
    assert response.status_code == 303 and fresh(PoolMember, ben.id) is None
    assert audit("pool_member.remove")[-1].changes["host"][0].startswith("Ben Berger")


# -- standing, assignments, manual credits -------------------------------------------------------


def test_standing_shows_calls_fair_share_and_deficit(client, team):
    half = {team.anna.id: 0.5, team.ben.id: 0.5}
    assign(team.closers, team.call, team.anna, 26, half)
    assign(team.closers, team.call, team.anna, 28, half)
    assign(team.closers, team.call, team.ben, 30, half)
    # Cancelled: its share still counts, the call is given back. Next week's is not counted.
    assign(team.closers, team.call, team.ben, 32, half, status="cancelled")
    assign(team.closers, team.call, team.anna, 24 * 8, half)
    page = client.get(base(team))
    assert page.status_code == 200
    assert standing(page.text) == {
        "Anna Ahlberg": ("2", "2", "0"),
        "Ben Berger": ("1", "2", "1"),
    }
    assert "Mon 7 Jan 2030, 00:00" in page.text and "Mon 14 Jan 2030, 00:00" in page.text
    section = page.text[page.text.index('id="assignments"') :]
    assert section.count("<tr>") == 6  # header and five assignments, newest first
    assert "Anna Ahlberg was furthest below their fair share." in section
    assert "Enterprise" in section and "Tue 15 Jan 2030, 08:00" in section
    assert section.index("Tue 15 Jan 2030") < section.index("Tue 8 Jan 2030, 10:00")


def test_weighted_shares_show_with_two_decimals(client, team):
    thirds = {team.anna.id: 2 / 3, team.ben.id: 1 / 3}
    assign(team.closers, team.call, team.anna, 26, thirds)
    assign(team.closers, team.call, team.anna, 27, thirds)
    assert standing(client.get(base(team)).text) == {
        "Anna Ahlberg": ("2", "1.33", "-0.67"),
        "Ben Berger": ("0", "0.67", "0.67"),
    }


def test_inactive_members_are_not_counted(client, team):
    team.closers.members[1].active = False
    db.session.commit()
    assign(team.closers, team.call, team.anna, 26, {team.anna.id: 1.0})
    text = client.get(base(team)).text
    assert standing(text) == {"Anna Ahlberg": ("1", "1", "0")}
    assert "Not counted while inactive" in text


def adjust_data(team, **overrides) -> dict:
    data = {"member": str(team.ben.id), "amount": "-1", "reason": "Took a call for Anna"}
    data.update(overrides)
    return data


def test_a_credit_or_debit_changes_the_standing(client, team):
    half = {team.anna.id: 0.5, team.ben.id: 0.5}
    assign(team.closers, team.call, team.anna, 26, half)
    assign(team.closers, team.call, team.ben, 28, half)
    assert standing(client.get(base(team)).text)["Ben Berger"] == ("1", "1", "0")
    response = post_form(client, base(team, "/adjust"), adjust_data(team, amount="2"), base(team))
    assert response.status_code == 303, response.text
    row = db.session.scalar(select(CreditAdjustment))
    assert (row.host_id, row.amount, row.reason) == (team.ben.id, 2, "Took a call for Anna")
    assert row.created_by_id == team.manager.id and row.pool_id == team.closers.id
    page = client.get(base(team)).text
    assert "Ben Berger&#39;s count changed by +2." in page
    assert standing(page)["Ben Berger"] == ("3", "1", "-2")
    assert "Took a call for Anna" in page and "+2" in page
    post_form(client, base(team, "/adjust"), adjust_data(team, amount="-3"), base(team))
    assert standing(client.get(base(team)).text)["Ben Berger"] == ("0", "1", "1")
    entries = audit("pool.adjust")
    assert [e.changes["amount"] for e in entries] == [[None, 2], [None, -3]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "0"}, "Enter a whole number from -10 to 10, not 0."),
        ({"amount": "11"}, "Enter a whole number from -10 to 10, not 0."),
        ({"amount": "-11"}, "Enter a whole number from -10 to 10, not 0."),
        ({"amount": "one"}, "Enter a whole number from -10 to 10, not 0."),
        ({"amount": ""}, "Enter a whole number from -10 to 10, not 0."),
        ({"reason": ""}, "Say why, e.g. took over a call for a colleague."),
        ({"reason": "x" * 301}, "at most 300 characters"),
        ({"member": ""}, "Choose a member of this team."),
        ({"member": "cara"}, "Choose a member of this team."),
    ],
)
def test_bad_adjustments_are_refused(client, team, changes, message):
    response = post_form(client, base(team, "/adjust"), adjust_data(team, **changes), base(team))
    assert response.status_code == 400 and message in response.text
    assert count(CreditAdjustment) == 0 and audit("pool.adjust") == []


@pytest.mark.parametrize("who", ["cara", "stranger"])
def test_only_members_can_be_credited(client, team, who):
    data = adjust_data(team, member=str(getattr(team, who).id))
    response = post_form(client, base(team, "/adjust"), data, base(team))
    assert response.status_code == 400 and "Choose a member of this team." in response.text
    assert count(CreditAdjustment) == 0


def test_the_page_explains_what_to_do_without_members_or_assignments(client, team):
    for member in list(team.closers.members):
        db.session.delete(member)
    db.session.commit()
    text = client.get(base(team)).text
    assert "No members yet, so nobody has a standing." in text
    assert "Add members first; then you can correct their counts here." in text
    assert "No calls assigned by this team yet." in text


# -- who may do what -----------------------------------------------------------------------------


def routes(pool_id: int, member_id: int) -> tuple[list, list]:
    root = f"/admin/teams/{pool_id}"
    gets = [root, f"{root}/edit", f"{root}/members/{member_id}"]
    posts = [
        f"{root}/edit",
        f"{root}/delete",
        f"{root}/members",
        f"{root}/members/{member_id}",
        f"{root}/members/{member_id}/remove",
        f"{root}/adjust",
    ]
    return gets, posts


def everything_data(team) -> dict:
    return {**pool_data(), **member_data(team), **adjust_data(team)}


def assert_nothing_changed():
    db.session.expire_all()
    assert count(Pool) == 2 and count(PoolMember) == 3 and count(CreditAdjustment) == 0
    assert all(m.weight == 1 for m in db.session.scalars(select(PoolMember)))
    assert db.session.scalar(select(func.count()).where(AuditEntry.object_type == "pool")) == 0


def test_rep_gets_403_on_every_team_route(client, team):
    sign_out(client)
    rep = team.make_user(role="rep", host=team.anna)
    assert login(client, rep.email).status_code == 302
    gets, posts = routes(team.closers.id, team.closers.members[0].id)
    for path in ["/admin/teams", "/admin/teams/new", *gets]:
        assert client.get(path).status_code == 403, path
    for path in ["/admin/teams/new", *posts]:
        response = post_form(client, path, everything_data(team), page_url="/admin/")
        assert response.status_code == 403, path
    assert "Teams" not in client.get("/admin/").text
    assert_nothing_changed()


def test_another_organisations_team_answers_404(client, team):
    gets, posts = routes(team.theirs.id, team.theirs.members[0].id)
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        response = post_form(client, path, everything_data(team), page_url="/admin/teams")
        assert response.status_code == 404, path
    assert_nothing_changed()


def test_guessed_ids_answer_404(client, team):
    # Their member under our team, and ids that do not exist.
    their_member = team.theirs.members[0].id
    gets, posts = routes(team.closers.id, their_member)
    assert client.get(gets[2]).status_code == 404
    for path in posts[3:5]:
        response = post_form(client, path, everything_data(team), page_url="/admin/teams")
        assert response.status_code == 404, path
    for path in routes(999999, 999999)[0]:
        assert client.get(path).status_code == 404, path
    assert_nothing_changed()


def test_admins_may_manage_teams_too(client, team):
    sign_out(client)
    admin = team.make_user(role="admin", org=team.org)
    assert login(client, admin.email).status_code == 302
    assert client.get(base(team)).status_code == 200
    assert post_form(client, "/admin/teams/new", pool_data()).status_code == 303
