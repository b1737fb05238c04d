"""Calendar connections through the real app: the organisation's apps, connecting a host's
Google / Microsoft calendar (authorize -> fake provider -> callback), choosing, disconnecting."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarProviderApp
from scheduling.operations.calendar_connections import APP_SECRET_PURPOSE
from scheduling.security import secretbox
from tests.conftest import TEST_SECRET, csrf_from, post_form

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
