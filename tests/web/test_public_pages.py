"""Hidden event types, host and team pages, and the redirect after booking, over HTTP."""

import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Booking, EmbedSettings, EventType, Host, Pool, PoolMember
from tests.conftest import FROZEN_NOW, post_form

SLOT = "2030-01-08T09:00:00+00:00"
SITE = "https://www.customer.example"


@pytest.fixture
def world(make_org, make_host, make_event_type, frozen_now):
    org = make_org(name="Org A")
    anna = make_host(org=org, name="Anna", slug="anna")
    ben = make_host(org=org, name="Ben", slug="ben", active=False)
    team = Pool(organisation=org, name="Closers", slug="closers", created_at=FROZEN_NOW)
    team.members.append(PoolMember(host=anna, joined_at=FROZEN_NOW))
    db.session.add(team)
    db.session.commit()
    shown = make_event_type(hosts=[anna], slug="intro-call", title="Intro call")
    hidden = make_event_type(hosts=[anna], slug="vip-call", title="VIP call", hidden=True)
    closed = make_event_type(hosts=[anna], slug="old-call", title="Old call", active=False)
    team_call = make_event_type(hosts=[], organisation=org, slug="team-demo", title="Team demo")
    team_call.pool = team
    team_hidden = make_event_type(
        hosts=[], organisation=org, slug="team-vip", title="Team VIP", hidden=True
    )
    team_hidden.pool = team
    db.session.add(
        EmbedSettings(
            organisation_id=org.id,
            allowed_origins=[SITE, "http://localhost:8000"],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    return SimpleNamespace(org=org, anna=anna, ben=ben, team=team, shown=shown, hidden=hidden,
                           closed=closed, team_call=team_call, team_hidden=team_hidden)  # fmt: skip


def titles(page) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", page.text)


def test_hidden_event_types_are_listed_nowhere_but_bookable_by_link_widget_and_api(client, world):
    assert titles(client.get("/")) == ["Intro call", "Team demo"]
    host_page = client.get("/u/anna")
    assert host_page.status_code == 200 and titles(host_page) == ["Intro call"]
    team_page = client.get("/t/closers")
    assert team_page.status_code == 200 and titles(team_page) == ["Team demo"]
    assert 'href="/book/intro-call"' in host_page.text
    assert "frame-ancestors 'none'" in host_page.headers["Content-Security-Policy"]
    assert client.get("/book/vip-call").status_code == 200
    assert client.get("/book/vip-call?embed=1").status_code == 200
    assert client.get("/api/v1/event-types/vip-call").status_code == 200
    slots = client.get(
        "/api/v1/event-types/vip-call/slots",
        query_string={"start": "2030-01-08", "end": "2030-01-08", "timezone": "UTC"},
    )
    assert slots.status_code == 200 and slots.json["slots"]


@pytest.mark.parametrize("url", ["/u/ben", "/u/nobody", "/t/nobody", "/u/intro-call"])
def test_unknown_or_inactive_hosts_and_teams_have_no_page(client, world, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def book(client, slug: str, query: str = "") -> str:
    sep = "&" if query else "?"
    page = client.get(f"/book/{slug}/confirm{query}{sep}start={quote(SLOT)}&tz=Europe/Berlin")
    assert page.status_code == 200, page.text
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)
    data = {"start": SLOT, "tz": "Europe/Berlin", "form_token": token, "name": "Ada",
            "email": "ada@example.com"}  # fmt: skip
    response = client.post(f"/book/{slug}/confirm{query}", data=data)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def only_booking() -> Booking:
    db.session.rollback()
    return db.session.scalars(select(Booking)).one()


def test_a_booking_on_the_public_page_goes_to_the_operators_page_with_its_uid(client, world):
    world.hidden.redirect_url = f"{SITE}/thanks?lang=de&booking=old#top"
    db.session.commit()
    location = book(client, "vip-call")
    uid = only_booking().uid
    assert location == f"{SITE}/thanks?lang=de&booking={uid}#top"
    assert not uid.isdigit() and str(only_booking().id) != uid


def test_in_the_widget_the_frame_stays_and_the_host_page_gets_booked(client, world):
    world.hidden.redirect_url = f"{SITE}/thanks"
    db.session.commit()
    location = book(client, "vip-call", "?embed=1")
    assert location.startswith("http://localhost/booking/") and "embed=1" in location
    page = client.get(location)
    assert "booked" in re.search(r'data-event="([^"]+)"', page.text).group(1)


def test_without_a_redirect_or_off_the_allowlist_the_own_page_follows(client, world):
    world.hidden.redirect_url = "https://elsewhere.example/thanks"  # origin removed since
    db.session.commit()
    assert book(client, "vip-call").startswith("http://localhost/booking/")


def form_data(world, **overrides) -> dict:
    data = {"title": "Intro call", "slug": "intro-call", "description": "", "duration": "30",
            "step": "30", "buffer_before": "0", "buffer_after": "0", "min_notice": "0",
            "horizon_days": "60", "daily_limit": "", "location_kinds": ["video"],
            "active": "y", "host_ids": [str(world.anna.id)],
            "routing_form_id": "", "pool_id": ""}  # fmt: skip
    data.update(overrides)
    return data


def test_admin_sets_hidden_and_a_redirect(client, world, login_as):
    login_as("manager", org=world.org)
    url = f"/admin/event-types/{world.shown.id}/edit"
    page = client.get(url).text
    assert 'name="hidden"' in page and 'name="redirect_url"' in page
    response = post_form(
        client, url, form_data(world, hidden="y", redirect_url="http://localhost:8000/ok")
    )
    assert response.status_code == 302, response.text
    db.session.expire_all()
    event_type = db.session.get(EventType, world.shown.id)
    assert event_type.hidden and event_type.redirect_url == "http://localhost:8000/ok"
    assert "Intro call" not in titles(client.get("/"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://evil.example/thanks", "https://evil.example is not one of your allowed origins"),
        ("http://www.customer.example/x", "Use https (plain http only for localhost)."),
        ("javascript:alert(1)", "Enter a full address such as"),
        ("/thanks", "Enter a full address such as"),
        ("https://user:pw@www.customer.example/", "may not contain a user name or password"),
        (f"{SITE}/a b", "A web address has no spaces."),
        (SITE + "/" + "x" * 500, "Use at most 500 characters."),
    ],
)
def test_bad_redirects_are_refused_and_nothing_changes(client, world, login_as, value, message):
    login_as("manager", org=world.org)
    url = f"/admin/event-types/{world.shown.id}/edit"
    response = post_form(client, url, form_data(world, hidden="y", redirect_url=value))
    assert response.status_code == 400
    assert message in response.text.replace("&#34;", '"')
    db.session.expire_all()
    event_type = db.session.get(EventType, world.shown.id)
    assert not event_type.hidden and event_type.redirect_url == ""


def test_admin_shows_the_host_and_team_page_links(client, world, login_as):
    login_as("manager", org=world.org)
    availability = client.get(f"/admin/hosts/{world.anna.id}/availability").text
    assert 'value="http://localhost/u/anna" readonly' in availability
    team = client.get(f"/admin/teams/{world.team.id}").text
    assert 'value="http://localhost/t/closers" readonly' in team


def test_new_hosts_and_teams_get_a_free_slug(client, world, login_as):
    login_as("manager", org=world.org)
    response = post_form(
        client, "/admin/hosts/new", {"name": "Anna", "email": "a2@example.com", "tz": "UTC"}
    )
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(Host.slug).where(Host.email == "a2@example.com")) == "anna-2"
