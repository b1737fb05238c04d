"""The push receiving routes over HTTP: Graph's validation handshake, refusals that change
nothing and never a 500, no cookie, no CSRF token needed; disconnect stops the channels."""

from urllib.parse import quote

import pytest

from scheduling.delivery.calendar_push import maintain_channels
from scheduling.delivery.calendar_sync import sync_connection
from tests.conftest import post_form
from tests.integration.connected_calendars import NOW, connect_host
from tests.integration.push_helpers import channel_rows, go_public, stopped_at

pytest_plugins = ["tests.fakes.fixtures"]

GRAPH = "/hooks/calendar/microsoft"
GOOGLE = "/hooks/calendar/google"


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "Validation: Testing client application reachability for subscription "
        "Request-Id: 7a0a5e7d-3b1b-4f3e",
        "a+b/c=d&e<f>\"g'h%20",
    ],
)
def test_graph_validation_answers_the_token_exactly(client, token):
    response = client.post(f"{GRAPH}?validationToken={quote(token, safe='')}", data="")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == token  # decoded, not escaped
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("query", ["validationToken=", "validationToken=" + "x" * 5000])
def test_graph_validation_refuses_empty_or_huge_tokens(client, query):
    assert client.post(f"{GRAPH}?{query}").status_code == 400


@pytest.mark.parametrize(
    ("body", "kwargs", "status"),
    [
        (None, {"data": "not json", "content_type": "application/json"}, 400),
        ({"value": [{"subscriptionId": "x", "clientState": "y"}]}, {}, 403),
        ({"value": [1, None, {"subscriptionId": 5}]}, {}, 403),
        ({"value": {}}, {}, 400),
    ],
)
def test_graph_notifications_that_match_nothing_are_refused(client, body, kwargs, status):
    response = client.post(GRAPH, json=body, **kwargs) if body else client.post(GRAPH, **kwargs)
    assert response.status_code == status


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Goog-Channel-ID": "nope", "X-Goog-Channel-Token": "t", "X-Goog-Resource-State": "x"},
        {"X-Goog-Channel-ID": "x" * 500, "X-Goog-Channel-Token": "t"},
    ],
)
def test_google_pushes_for_unknown_channels_are_not_found(client, headers):
    response = client.post(GOOGLE, headers=headers)
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


def test_reads_are_not_allowed(client):
    assert client.get(GOOGLE).status_code == 405
    assert client.get(f"{GRAPH}?validationToken=abc").status_code == 405


@pytest.mark.parametrize("name", ["google", "microsoft"])
def test_disconnect_stops_the_channels(app, client, login_as, make_host, name, request):
    fake = request.getfixturevalue("fake_google" if name == "google" else "fake_graph")
    user = login_as("admin")
    host = make_host(org=user.organisation)
    connection = connect_host(app, fake, name, host, NOW)
    go_public(app, fake, [NOW])
    sync_connection(connection.id, NOW)
    maintain_channels(NOW)
    [row] = channel_rows()
    channel_id = row.channel_id
    page = f"/admin/hosts/{host.id}/calendars"
    response = post_form(client, f"{page}/connections/{connection.id}/disconnect", {}, page)
    assert response.status_code == 302
    assert channel_rows() == []
    assert stopped_at(fake, name) == [channel_id]
    assert fake.violations == []


def test_privacy_documents_mention_push_only_with_a_public_address(
    app, client, login_as, make_host, fake_graph
):
    admin = login_as("admin")
    connect_host(app, fake_graph, "microsoft", make_host(org=admin.organisation), NOW)
    phrase = "asked to notify this installation's public address"
    app.config["PUBLIC_URL"] = "http://localhost:5000"
    assert phrase not in client.get("/admin/privacy/documents/processors.md").text
    app.config["PUBLIC_URL"] = "https://book.example.eu"
    assert phrase in client.get("/admin/privacy/documents/processors.md").text


def test_pushes_count_against_the_api_rate_limit(app, client, frozen_now):
    from scheduling.security.rate_windows import parse_limit
    from scheduling.web.rate_limit import EXTENSION_KEY

    app.extensions[EXTENSION_KEY]["api"] = parse_limit("2/1m")
    statuses = [client.post(GOOGLE).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    assert client.post(f"{GRAPH}?validationToken=abc").status_code == 429


def test_disconnect_with_a_dead_refresh_token_still_disconnects(
    app, client, login_as, make_host, fake_graph, frozen_now
):
    from sqlalchemy import func, select

    from scheduling.extensions import db
    from scheduling.models import CalendarConnection, OutboxMessage

    user = login_as("admin")
    host = make_host(org=user.organisation)
    connection = connect_host(app, fake_graph, "microsoft", host, NOW)
    go_public(app, fake_graph, [NOW])
    sync_connection(connection.id, NOW)
    maintain_channels(NOW)
    fake_graph.expire_access_tokens()
    fake_graph.revoke_refresh_tokens()
    connection.token_expires_at = NOW  # the app refreshes first
    db.session.commit()
    page = f"/admin/hosts/{host.id}/calendars"
    response = post_form(client, f"{page}/connections/{connection.id}/disconnect", {}, page)
    assert response.status_code == 302
    assert db.session.scalar(select(CalendarConnection)) is None
    assert channel_rows() == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # no email
    assert fake_graph.deleted_subscriptions == []  # it runs out at Graph by itself


def test_the_calendars_page_shows_push_status(app, client, login_as, make_host, fake_google):
    from scheduling.extensions import db

    user = login_as("admin")
    host = make_host(org=user.organisation)
    connection = connect_host(app, fake_google, "google", host, NOW)
    page = f"/admin/hosts/{host.id}/calendars"
    assert "push notification" not in client.get(page).text
    go_public(app, fake_google, [NOW])
    sync_connection(connection.id, NOW)
    maintain_channels(NOW)
    assert "Changes also arrive by push notification" in client.get(page).text
    [row] = channel_rows()
    row.last_error = "HTTP 400: WebHook callback must be HTTPS"
    db.session.commit()
    text = client.get(page).text
    assert "Push notifications could not be set up (HTTP 400: WebHook" in text
    assert "regular syncing continues" in text
