"""Slots never wait for Google or Microsoft: they read the busy time the worker stored."""

import time

import pytest

from scheduling.delivery.calendar_sync import sync_connection
from tests.integration.connected_calendars import NOW, at, connect_host

pytest_plugins = ["tests.fakes.fixtures"]

FIXTURES = {"google": "fake_google", "microsoft": "fake_graph"}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_slots_answer_without_contacting_a_slow_provider(
    request, app, client, make_host, make_event_type, name, frozen_now
):
    fake = request.getfixturevalue(FIXTURES[name])
    host = make_host()  # Berlin, Mon-Fri 09:00-17:00
    event_type = make_event_type(hosts=[host])
    connection = connect_host(app, fake, name, host, NOW)
    fake.add_event(start=at(8, 8), end=at(8, 10), title="Blocks 09:00-11:00 Berlin")
    assert sync_connection(connection.id, NOW) == 1
    fake.delay = 10.0  # every API answer now takes 10 s
    seen = len(fake.requests)
    started = time.perf_counter()
    response = client.get(
        f"/api/v1/event-types/{event_type.slug}/slots",
        query_string={"start": "2030-01-08", "end": "2030-01-08", "timezone": "Europe/Berlin"},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(fake.requests) == seen  # the provider was not asked during the request
    offered = response.get_json()["slots"]
    assert offered[0] == "2030-01-08T11:00:00+01:00"  # the synced busy time counts
    assert len(offered) == 12
    # Reported, not asserted (machine-dependent): the time a slot request took meanwhile.
    print(f"\n{name}: slots with a 10 s provider answered in {elapsed * 1000:.0f} ms")
