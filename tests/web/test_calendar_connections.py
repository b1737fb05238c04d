"""Calendar connections through the real app: the organisation's apps, connecting a host's
Google / Microsoft calendar (authorize -> fake provider -> callback), choosing, disconnecting."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarProviderApp, CalendarSource
from scheduling.operations.calendar_connections import APP_SECRET_PURPOSE
from scheduling.security import secretbox
from tests.conftest import TEST_SECRET, csrf_from, login, post_form

pytest_plugins = ["tests.fakes.fixtures"]

SETTINGS = "/admin/settings/calendar-apps"


def save_app(client, provider="google", client_id="cid-1", secret="s3cret-value"):
    return post_form(
        client,
        f"{SETTINGS}/{provider}",
        {f"{provider}-client_id": client_id, f"{provider}-client_secret": secret},
        page_url=SETTINGS,
    )


def test_admin_saves_the_app_secret_encrypted_and_never_shows_it(client, login_as, frozen_now):
    admin = login_as("admin")
    assert save_app(client).status_code == 302
    row = db.session.scalar(select(CalendarProviderApp))
    assert row.organisation_id == admin.organisation_id and row.client_id == "cid-1"
    assert "s3cret-value" not in row.client_secret_encrypted
    assert (
        secretbox.decrypt(TEST_SECRET, APP_SECRET_PURPOSE, row.client_secret_encrypted)
        == "s3cret-value"
    )
    page = client.get(SETTINGS)
    assert "s3cret-value" not in page.text
    assert "cid-1" in page.text
    assert "/admin/calendar-connections/google/callback" in page.text
    assert "calendar.events.freebusy" in page.text and "Calendars.ReadWrite" in page.text
    # An empty secret keeps the saved one; a new client id is taken.
    assert save_app(client, client_id="cid-2", secret="").status_code == 302
    db.session.expire_all()
    row = db.session.scalar(select(CalendarProviderApp))
    assert row.client_id == "cid-2"
    assert secretbox.decrypt(TEST_SECRET, APP_SECRET_PURPOSE, row.client_secret_encrypted)


def test_app_settings_refuse_bad_input_and_other_roles(client, login_as, frozen_now):
    login_as("admin")
    response = save_app(client, provider="microsoft", client_id="", secret="")
    assert response.status_code == 400
    assert "Enter the client id" in response.text and "Enter the client secret" in response.text
    assert db.session.scalar(select(CalendarProviderApp)) is None
    page = client.get(SETTINGS)
    bad = client.post(f"{SETTINGS}/yahoo", data={"csrf_token": csrf_from(page.text)})
    assert bad.status_code == 404
    no_csrf = client.post(f"{SETTINGS}/google", data={"google-client_id": "x"})
    assert no_csrf.status_code == 400
    assert db.session.scalar(select(CalendarProviderApp)) is None


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_admins_configure_apps(client, login_as, role, frozen_now):
    login_as(role)
    assert client.get(SETTINGS).status_code == 403


def calendars_page(host) -> str:
    return f"/admin/hosts/{host.id}/calendars"


def test_connect_needs_a_configured_app(client, login_as, make_host, frozen_now):
    user = login_as("rep")
    page = client.get(calendars_page(user.host))
    assert "No provider is set up" in page.text
    response = client.post(
        f"{calendars_page(user.host)}/connect/google",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "is not set up yet" in response.text
    # Another organisation's host is not found.
    other = make_host()
    response = client.post(
        f"{calendars_page(other)}/connect/google", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["", "?code=abc", "?code=abc&state=forged"])
def test_callback_without_the_started_state_is_refused(
    client, login_as, make_host, query, frozen_now
):
    user = login_as("admin")
    host = make_host(org=user.organisation)
    save_app(client)
    page = client.get(calendars_page(host))
    start = client.post(
        f"{calendars_page(host)}/connect/google",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert start.status_code == 302
    location = urlsplit(start.headers["Location"])
    params = parse_qs(location.query)
    assert params["code_challenge_method"] == ["S256"] and params["state"][0]
    response = client.get(f"/admin/calendar-connections/google/callback{query}")
    assert response.status_code == 400
    assert "does not belong to a connection you started" in response.text
    assert db.session.scalar(select(CalendarConnection)) is None
    # The pending request was used up: even the right state no longer works afterwards.
    again = client.get(
        f"/admin/calendar-connections/google/callback?code=abc&state={params['state'][0]}"
    )
    assert again.status_code == 400


# -- the whole flow against the fake providers ----------------------------------------------------

PROVIDERS = {
    "google": ("fake_google", "GOOGLE"),
    "microsoft": ("fake_graph", "MICROSOFT"),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request, app):
    """(name, fake) with the app pointed at the fake and the app's client registered there."""
    name = request.param
    fixture, prefix = PROVIDERS[name]
    fake = request.getfixturevalue(fixture)
    for key, value in fake.urls.items():
        app.config[f"{prefix}_{key.upper()}"] = value
    fake.register_client(
        "cid-1", "s3cret-value", f"http://localhost/admin/calendar-connections/{name}/callback"
    )
    return name, fake


def start_connect(client, host, name) -> str:
    """POST Connect; returns the provider's authorize URL the browser is sent to."""
    page = client.get(calendars_page(host))
    response = client.post(
        f"{calendars_page(host)}/connect/{name}", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    return response.headers["Location"]


def through_provider(url: str) -> str:
    """What the browser does at the provider (consent assumed): the path+query it comes back to."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"


def connect(client, host, name) -> str:
    callback = through_provider(start_connect(client, host, name))
    return client.get(callback, follow_redirects=True).text


def test_connect_flow_end_to_end(client, login_as, make_host, provider, frozen_now):
    name, fake = provider
    user = login_as("admin")
    host = make_host(org=user.organisation)
    save_app(client, provider=name)
    fake.account_email = "ann@example.com"
    extra = fake.add_calendar("team@example.com" if name == "google" else "Team")
    page = connect(client, host, name)
    assert "ann@example.com connected" in page
    connection = db.session.scalar(select(CalendarConnection))
    assert (connection.host_id, connection.provider, connection.status) == (
        host.id,
        name,
        "connected",
    )
    assert connection.account_email == "ann@example.com"
    # Tokens are stored encrypted only.
    issued = [seen for seen in fake.requests if seen.path.endswith("token")]
    assert issued, "the code was exchanged at the token endpoint"
    assert connection.access_token_encrypted and connection.refresh_token_encrypted
    assert "ann@example.com" not in connection.refresh_token_encrypted
    assert connection.token_expires_at > frozen_now
    sources = db.session.scalars(
        select(CalendarSource).where(CalendarSource.connection_id == connection.id)
    ).all()
    assert len(sources) == 2
    blocking = {source.remote_calendar_id: source.blocks_time for source in sources}
    assert blocking[extra] is False and sum(blocking.values()) == 1  # the primary one only
    # The page lists the calendars, the scopes granted and the buttons.
    page = client.get(calendars_page(host)).text
    assert "Sync now" in page and "Disconnect" in page
    scope = "calendar.events.owned" if name == "google" else "Calendars.ReadWrite"
    assert scope in page
    # PKCE and state went to the provider; the fake saw nothing against the documented contract.
    authorize = next(
        seen for seen in fake.requests if "authorize" in seen.path or "auth" in seen.path
    )
    assert authorize.query["code_challenge_method"] == "S256"
    assert fake.violations == []


def test_a_provider_error_and_a_refused_code_store_nothing(
    client, login_as, make_host, provider, frozen_now
):
    name, _fake = provider
    user = login_as("admin")
    host = make_host(org=user.organisation)
    save_app(client, provider=name)
    # The host declined consent: the provider comes back with error=access_denied.
    state = parse_qs(urlsplit(start_connect(client, host, name)).query)["state"][0]
    page = client.get(
        f"/admin/calendar-connections/{name}/callback?error=access_denied&state={state}",
        follow_redirects=True,
    )
    assert "did not connect the calendar (access_denied)" in page.text
    # A code the provider does not know: the exchange fails with a readable message.
    state = parse_qs(urlsplit(start_connect(client, host, name)).query)["state"][0]
    page = client.get(
        f"/admin/calendar-connections/{name}/callback?code=forged&state={state}",
        follow_redirects=True,
    )
    assert "could not be connected" in page.text
    assert db.session.scalar(select(CalendarConnection)) is None
    assert db.session.scalar(select(CalendarSource)) is None


def test_choose_calendars_and_disconnect(client, login_as, make_host, provider, frozen_now):
    name, fake = provider
    user = login_as("admin")
    host = make_host(org=user.organisation)
    save_app(client, provider=name)
    fake.add_calendar("team@example.com" if name == "google" else "Team")
    connect(client, host, name)
    connection = db.session.scalar(select(CalendarConnection))
    sources = db.session.scalars(select(CalendarSource).order_by(CalendarSource.id)).all()
    url = f"{calendars_page(host)}/connections/{connection.id}"
    response = post_form(
        client,
        f"{url}/calendars",
        {"busy": [str(s.id) for s in sources], "write": ""},
        page_url=calendars_page(host),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert all(s.blocks_time for s in db.session.scalars(select(CalendarSource)))
    assert not any(s.write_back for s in db.session.scalars(select(CalendarSource)))
    # One calendar receives the bookings; choosing another moves it; none is allowed.
    for target in (sources[1].id, sources[0].id):
        post_form(
            client,
            f"{url}/calendars",
            {"busy": [str(sources[0].id)], "write": str(target)},
            page_url=calendars_page(host),
        )
        db.session.expire_all()
        chosen = [s.id for s in db.session.scalars(select(CalendarSource)) if s.write_back]
        assert chosen == [target]
    page = client.get(calendars_page(host)).text
    assert f'value="{sources[0].id}" id="write-{sources[0].id}"' in page
    assert f'id="write-{sources[0].id}" aria-label' in page and "checked" in page
    post_form(
        client,
        f"{url}/calendars",
        {"busy": [str(s.id) for s in sources], "write": ""},
        page_url=calendars_page(host),
    )
    db.session.expire_all()
    assert not any(s.write_back for s in db.session.scalars(select(CalendarSource)))
    # A calendar of another connection (or nonsense) is refused and changes nothing.
    response = post_form(
        client, f"{url}/calendars", {"busy": ["999"]}, page_url=calendars_page(host)
    )
    assert response.status_code == 400
    response = post_form(client, f"{url}/calendars", {"busy": ["x"]}, page_url=calendars_page(host))
    assert response.status_code == 400
    db.session.expire_all()
    assert all(s.blocks_time for s in db.session.scalars(select(CalendarSource)))
    response = post_form(client, f"{url}/disconnect", {}, page_url=calendars_page(host))
    assert response.status_code == 302
    assert db.session.scalar(select(CalendarConnection)) is None
    revoked = [seen for seen in fake.requests if seen.path == "/revoke"]
    assert len(revoked) == (1 if name == "google" else 0)  # Microsoft has no per-token revoke
    assert db.session.scalar(select(CalendarSource)) is None
    assert fake.violations == []


def test_another_organisations_connection_is_not_found(
    app, client, login_as, make_user, make_host, provider, frozen_now
):
    name, _fake = provider
    user = login_as("admin")
    host = make_host(org=user.organisation)
    save_app(client, provider=name)
    connect(client, host, name)
    connection = db.session.scalar(select(CalendarConnection))
    other = make_user(role="admin")
    other_host = make_host(org=other.organisation)
    client = app.test_client()
    assert login(client, other.email).status_code == 302
    page = client.get(calendars_page(other_host))
    for url in (
        f"{calendars_page(host)}/connections/{connection.id}/disconnect",
        f"{calendars_page(other_host)}/connections/{connection.id}/disconnect",
        f"{calendars_page(other_host)}/connections/{connection.id}/sync",
    ):
        response = client.post(url, data={"csrf_token": csrf_from(page.text)})
        assert response.status_code == 404, url
    assert db.session.scalar(select(CalendarConnection)) is not None


def test_sync_now_and_needs_reconnect_show_on_the_calendars_page(
    client, login_as, make_host, provider, frozen_now
):
    from datetime import UTC, datetime, timedelta

    from scheduling.delivery.calendar_sync import sync_connection

    name, fake = provider
    user = login_as("admin")
    host = make_host(org=user.organisation)
    save_app(client, provider=name)
    connect(client, host, name)
    connection = db.session.scalar(select(CalendarConnection))
    start = datetime(2030, 1, 8, 9, tzinfo=UTC)
    fake.add_event(start=start, end=start + timedelta(hours=1), title="Board")
    url = f"{calendars_page(host)}/connections/{connection.id}/sync"
    response = post_form(client, url, {}, page_url=calendars_page(host))
    assert response.status_code == 302
    page = client.get(calendars_page(host)).text
    assert "1 calendars were read." in page and "1 busy periods." in page
    assert "Board" not in page
    # The provider ends the connection: the page says so and what still counts.
    fake.revoke_refresh_tokens()
    db.session.expire_all()
    expiring = db.session.get(CalendarConnection, connection.id).token_expires_at
    sync_connection(connection.id, expiring, all_busy=True)
    page = client.get(calendars_page(host)).text
    assert "Needs to be connected again since" in page
    assert "The busy times read before still count." in page
    hosts = client.get("/admin/hosts").text  # the admin sees it in the list of hosts too
    assert "Calendar needs reconnecting" in hosts and calendars_page(host) in hosts
    assert f"Connect {'Google Calendar' if name == 'google' else 'Microsoft 365'}" in page
    # Connecting again renews the same connection, busy time and choices included.
    assert "connected" in connect(client, host, name)
    db.session.expire_all()
    (renewed,) = db.session.scalars(select(CalendarConnection)).all()
    assert renewed.id == connection.id and renewed.status == "connected"
    assert renewed.needs_reconnect_since is None
    assert "Needs to be connected again" not in client.get(calendars_page(host)).text
    assert "Calendar needs reconnecting" not in client.get("/admin/hosts").text
    assert fake.violations == []
