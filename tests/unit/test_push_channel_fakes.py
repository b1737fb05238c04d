"""The fakes' push channels keep the documented contract: events.watch / channels.stop against
the discovery document, Graph /subscriptions with its validation handshake and limits.

Real HTTP round trips with httpx against tests/fakes; no app, no database.
"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.calendar_providers import FakeGoogle, FakeGraph
from tests.fakes.flows import bearer, running

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def google():
    with running(FakeGoogle) as (fake, token):
        fake.clock = lambda: NOW
        yield fake, token


@pytest.fixture
def graph():
    with running(FakeGraph) as (fake, token):
        fake.clock = lambda: NOW
        yield fake, token


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def test_google_watch_then_stop(google):
    fake, token = google
    url = fake.urls["api_url"]
    body = {"id": "ch-1", "type": "web_hook", "address": "https://a.example/h", "token": "s"}
    answer = httpx.post(
        f"{url}/calendars/primary/events/watch",
        json={**body, "expiration": _ms(NOW + timedelta(days=30))},
        headers=bearer(token),
    )
    assert answer.status_code == 200
    channel = answer.json()
    assert channel["id"] == "ch-1" and channel["resourceId"]
    assert channel["expiration"] == _ms(NOW + timedelta(days=7))  # capped at a week
    headers = fake.push_headers("ch-1")
    assert headers["X-Goog-Channel-Token"] == "s" and headers["X-Goog-Resource-State"] == "exists"
    again = httpx.post(f"{url}/calendars/primary/events/watch", json=body, headers=bearer(token))
    assert again.status_code == 400  # the id must be unique
    stop = {"id": "ch-1", "resourceId": channel["resourceId"]}
    assert httpx.post(f"{url}/channels/stop", json=stop, headers=bearer(token)).status_code == 204
    assert httpx.post(f"{url}/channels/stop", json=stop, headers=bearer(token)).status_code == 404
    assert fake.stopped == ["ch-1"]
    assert fake.violations == []


def test_google_watch_is_checked_against_discovery(google):
    fake, token = google
    url = fake.urls["api_url"]
    plain = {"id": "c", "type": "web_hook", "address": "http://a.example/h"}
    answer = httpx.post(f"{url}/calendars/primary/events/watch", json=plain, headers=bearer(token))
    assert answer.status_code == 400  # https only
    assert answer.json()["error"]["errors"][0]["reason"] == "push.webhookUrlNotHttps"
    unknown = {**plain, "address": "https://a.example/h", "secret": "x"}
    answer = httpx.post(
        f"{url}/calendars/primary/events/watch", json=unknown, headers=bearer(token)
    )
    assert answer.status_code == 400
    assert fake.violations and "secret" in fake.violations[0]


def _subscription(address="https://a.example/h", minutes=60, **extra) -> dict:
    return {
        "changeType": "created,updated,deleted",
        "notificationUrl": address,
        "resource": "/me/calendars/AAMkAGI2TGuLAAA=/events",
        "expirationDateTime": (NOW + timedelta(minutes=minutes)).isoformat(),
        "clientState": "secret",
        **extra,
    }


def test_graph_subscription_lifecycle_with_the_handshake(graph):
    fake, token = graph
    url = fake.urls["api_url"]
    asked = []

    def validator(target):
        asked.append(target)
        return 200, "text/plain; charset=utf-8", httpx.URL(target).params["validationToken"]

    fake.validator = validator
    answer = httpx.post(f"{url}/subscriptions", json=_subscription(), headers=bearer(token))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert asked and asked[0].startswith("https://a.example/h?validationToken=")
    patch = {"expirationDateTime": (NOW + timedelta(days=6)).isoformat()}
    renewed = httpx.patch(f"{url}/subscriptions/{created['id']}", json=patch, headers=bearer(token))
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"].startswith("2030-01-13T08:00:00")
    gone = f"{url}/subscriptions/{created['id']}"
    assert httpx.delete(gone, headers=bearer(token)).status_code == 204
    assert httpx.delete(gone, headers=bearer(token)).status_code == 404
    assert fake.subscriptions == {} and fake.deleted_subscriptions == [created["id"]]
    assert fake.violations == []


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ((200, "text/plain", "wrong"), 400),
        ((200, "text/html", None), 400),
        ((500, "text/plain", None), 400),
    ],
)
def test_graph_refuses_a_failed_validation(graph, answer, status):
    fake, token = graph
    url = fake.urls["api_url"]

    def validator(target):
        token_sent = httpx.URL(target).params["validationToken"]
        return answer[0], answer[1], answer[2] or token_sent

    fake.validator = validator
    response = httpx.post(f"{url}/subscriptions", json=_subscription(), headers=bearer(token))
    assert response.status_code == status
    assert response.json()["error"]["code"] == "ValidationError"
    assert fake.subscriptions == {}


def test_graph_subscription_limits(graph):
    fake, token = graph
    url = fake.urls["api_url"]
    fake.validator = lambda target: (200, "text/plain", httpx.URL(target).params["validationToken"])
    too_long = _subscription(minutes=10081)
    assert (
        httpx.post(f"{url}/subscriptions", json=too_long, headers=bearer(token)).status_code == 400
    )
    plain = _subscription(address="http://a.example/h")
    assert httpx.post(f"{url}/subscriptions", json=plain, headers=bearer(token)).status_code == 400
    state = _subscription(clientState="x" * 129)
    assert httpx.post(f"{url}/subscriptions", json=state, headers=bearer(token)).status_code == 400
    assert fake.subscriptions == {}
