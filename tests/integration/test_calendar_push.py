"""Push channels of connected calendars through the worker and the receiving routes: only with a
public https PUBLIC_URL, after a first good sync; a verified push queues a sync (no provider
call in the request); renewal before expiry; untick, disconnect and 404/410 on stop."""

from datetime import timedelta

import pytest

from scheduling.delivery.calendar_push import maintain_channels, stop_connection_channels
from scheduling.delivery.calendar_sync import sync_connection, sync_due_connections
from scheduling.extensions import db
from scheduling.models import CalendarSource
from scheduling.operations import calendar_connections as ops
from scheduling.operations.calendar_push import RENEW_BEFORE
from tests.integration.connected_calendars import (
    NOW,
    at,
    busy_rows,
    connect_host,
    database_text,
    primary_source,
)
from tests.integration.push_helpers import (
    PUBLIC,
    channel_rows,
    go_public,
    post_notification,
    provider_calls,
    stopped_at,
)

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(params=["google", "microsoft"])
def setup(request, app, make_host):
    """(name, fake, connection, clock box) with a public PUBLIC_URL."""
    name = request.param
    fake = request.getfixturevalue("fake_google" if name == "google" else "fake_graph")
    connection = connect_host(app, fake, name, make_host(tz="Europe/Berlin"), NOW)
    box = [NOW]
    go_public(app, fake, box)
    return name, fake, connection, box


def registered(connection):
    """Sync once, run the push round, return the one channel row it made."""
    assert sync_connection(connection.id, NOW) == 1
    assert maintain_channels(NOW) == 1
    [row] = channel_rows()
    return row


def registrations(fake, name):
    path = "/events/watch" if name == "google" else "/v1.0/subscriptions"
    return [seen for seen in fake.requests if seen.path.endswith(path) and seen.method == "POST"]


@pytest.mark.parametrize(
    "public_url",
    [
        "",
        "http://book.example.eu",
        "https://localhost:5000",
        "https://127.0.0.1",
        "https://10.1.2.3",
    ],
)
def test_no_channel_unless_public_https(app, fake_google, make_host, public_url):
    connection = connect_host(app, fake_google, "google", make_host(), NOW)
    app.config["PUBLIC_URL"] = public_url
    assert sync_connection(connection.id, NOW) == 1
    assert maintain_channels(NOW) == 0
    assert registrations(fake_google, "google") == [] and channel_rows() == []
    assert fake_google.violations == []


def test_registered_after_the_first_sync_with_a_hashed_secret(setup):
    name, fake, connection, _box = setup
    assert maintain_channels(NOW) == 0  # no good sync yet
    assert registrations(fake, name) == []
    assert sync_connection(connection.id, NOW) == 1
    assert maintain_channels(NOW) == 1
    [row] = channel_rows()
    assert row.source_id == primary_source(connection).id and row.channel_id
    if name == "google":
        [seen] = registrations(fake, name)
        assert seen.json["address"] == f"{PUBLIC}/hooks/calendar/google"
        secret = seen.json["token"]
        assert row.resource_id == fake.channels[row.channel_id]["resourceId"]
    else:
        [seen] = registrations(fake, name)
        assert seen.json["notificationUrl"] == f"{PUBLIC}/hooks/calendar/microsoft"
        assert seen.json["changeType"] == "created,updated,deleted"
        assert (
            seen.json["resource"]
            == f"/me/calendars/{primary_source(connection).remote_calendar_id}/events"
        )
        [check] = fake.validations
        assert check["ok"] and check["answer"] == check["token"]
        secret = seen.json["clientState"]
    assert len(secret) >= 40 and secret not in database_text()
    assert NOW + timedelta(days=6) <= row.expires_at <= NOW + timedelta(days=7)
    assert maintain_channels(NOW + timedelta(minutes=5)) == 0  # nothing due: no second channel
    assert fake.violations == []


def test_a_verified_push_queues_a_sync_that_the_worker_runs(setup, client):
    name, fake, connection, _box = setup
    row = registered(connection)
    fake.add_event(start=at(8, 9), end=at(8, 10), title="Added meanwhile")
    later = NOW + timedelta(minutes=1)
    assert sync_due_connections(later) == 0  # the poll is not due yet
    before = provider_calls(fake)
    response = post_notification(client, fake, name, row)
    assert response.status_code == (200 if name == "google" else 202)
    assert provider_calls(fake) == before  # the request itself calls no provider
    assert "Set-Cookie" not in response.headers
    source = db.session.get(CalendarSource, row.source_id)
    db.session.refresh(source)
    assert source.next_attempt_at <= later
    assert sync_due_connections(later) == 1
    assert busy_rows() == [(at(8, 9), at(8, 10))]
    assert fake.violations == []


def test_forged_or_unknown_pushes_change_nothing(setup, client):
    name, fake, connection, _box = setup
    row = registered(connection)
    due = primary_source(connection).next_attempt_at
    if name == "google":
        forged = [
            ({"X-Goog-Channel-Token": "guess"}, 403),
            ({"X-Goog-Channel-Token": None}, 403),
            ({"X-Goog-Resource-ID": "other-resource"}, 403),
            ({"X-Goog-Channel-ID": "unknown-channel"}, 404),
            ({"X-Goog-Resource-State": "sync"}, 200),  # the first message: acknowledged only
        ]
        for override, status in forged:
            assert post_notification(client, fake, name, row, **override).status_code == status
    else:
        assert post_notification(client, fake, name, row, client_state="guess").status_code == 403
        _address, body = fake.notification(row.channel_id)
        body["value"][0]["subscriptionId"] = "00000000-0000-0000-0000-000000000000"
        assert client.post("/hooks/calendar/microsoft", json=body).status_code == 403
        for bad in ({"value": "x"}, ["x"], {}):
            assert client.post("/hooks/calendar/microsoft", json=bad).status_code == 400
        bad_json = client.post(
            "/hooks/calendar/microsoft", data="{", content_type="application/json"
        )
        assert bad_json.status_code == 400
    assert primary_source(connection).next_attempt_at == due
    assert fake.violations == []


def test_renewed_before_expiry_and_a_failed_renewal_keeps_polling(setup):
    name, fake, connection, box = setup
    old = registered(connection)
    old_id, old_expiry = old.channel_id, old.expires_at
    assert maintain_channels(old_expiry - RENEW_BEFORE - timedelta(minutes=1)) == 0
    # Renewal fails (the provider is down): the channel stays, polling goes on.
    when = old_expiry - RENEW_BEFORE + timedelta(minutes=1)
    box[0] = when
    fake.fail_next(503)
    assert maintain_channels(when) == 1
    [row] = channel_rows()
    assert row.channel_id == old_id and row.failures == 1 and row.last_error
    fake.add_event(start=at(14, 9), end=at(14, 10))
    assert sync_connection(connection.id, when, all_busy=True) == 1
    assert busy_rows() == [(at(14, 9), at(14, 10))]
    # The next try after the backoff renews.
    retry = row.next_attempt_at
    box[0] = retry
    assert maintain_channels(retry) == 1
    [row] = channel_rows()
    assert row.failures == 0 and row.expires_at > old_expiry
    if name == "google":
        assert row.channel_id != old_id and fake.stopped == [old_id]  # watched anew, old stopped
        assert list(fake.channels) == [row.channel_id]
    else:
        assert row.channel_id == old_id  # PATCHed
        patches = [seen for seen in fake.requests if seen.method == "PATCH"]
        assert [seen.status for seen in patches] == [503, 200]  # failed, then renewed
        assert all(set(seen.json) == {"expirationDateTime"} for seen in patches)
    assert fake.violations == []


def _choose(connection, busy: bool, now) -> None:
    connection = db.session.get(type(connection), connection.id)
    ids = frozenset(s.id for s in ops.sources_of(connection)) if busy else frozenset()
    ops.choose_calendars(connection, ops.CalendarChoice(ids, None), now)
    db.session.commit()


def test_unticking_stops_the_channel_and_404_on_stop_counts_as_done(setup):
    name, fake, connection, _box = setup
    first = registered(connection)
    _choose(connection, False, NOW)
    assert maintain_channels(NOW) == 1
    assert channel_rows() == []
    assert stopped_at(fake, name) == [first.channel_id]
    # Ticked again (it was read before): a new channel.
    later = NOW + timedelta(minutes=5)
    _choose(connection, True, later)
    assert maintain_channels(later) == 1
    [second] = channel_rows()
    # The provider already forgot it: unticking still ends with the channel gone.
    if name == "google":
        del fake.channels[second.channel_id]
    else:
        del fake.subscriptions[second.channel_id]
    _choose(connection, False, later)
    assert maintain_channels(later) == 1
    assert channel_rows() == []
    stops = [
        seen.status
        for seen in fake.requests
        if seen.method in ("DELETE", "POST")
        and ("/channels/stop" in seen.path or "/subscriptions/" in seen.path)
    ]
    assert stops == [204, 404]  # the first stop, then the forgotten one: done all the same
    assert fake.violations == []


def test_disconnect_stops_the_channels(setup):
    name, fake, connection, _box = setup
    row = registered(connection)
    channel_id = row.channel_id
    connection = db.session.get(type(connection), connection.id)
    assert stop_connection_channels(connection.id, NOW) == 1
    ops.disconnect(connection)
    db.session.commit()
    assert channel_rows() == []
    assert stopped_at(fake, name) == [channel_id]
    assert fake.violations == []


def test_a_graph_subscription_gone_at_renewal_is_made_again(app, fake_graph, make_host):
    fake = fake_graph
    connection = connect_host(app, fake, "microsoft", make_host(), NOW)
    box = [NOW]
    go_public(app, fake, box)
    old = registered(connection)
    old_id = old.channel_id
    del fake.subscriptions[old_id]  # Graph removed it (e.g. after missed renewals)
    when = old.expires_at - RENEW_BEFORE
    box[0] = when
    assert maintain_channels(when) == 1  # PATCH: 404, forgotten
    [row] = channel_rows()
    assert row.channel_id == "" and row.next_attempt_at == when
    assert maintain_channels(when) == 1  # registered anew
    [row] = channel_rows()
    assert row.channel_id in fake.subscriptions and row.channel_id != old_id
    assert len(fake.validations) == 2
    assert fake.violations == []


@pytest.mark.parametrize("status", [404, 410])
def test_a_stop_answered_gone_counts_as_done(setup, status):
    _name, fake, connection, _box = setup
    registered(connection)
    _choose(connection, False, NOW)
    fake.fail_next(status)
    assert maintain_channels(NOW) == 1
    assert channel_rows() == []
    stops = [seen.status for seen in fake.requests if seen.method in ("DELETE", "POST")][-1:]
    assert stops == [status]
