"""Property: however changes and syncs interleave, the stored busy time equals the calendar's.

A random script of adds, moves, busy/free flips and removals at the fake provider, with syncs in
between (incremental ones after the first), must always leave exactly the busy events of the
model in the store: incremental sync never drifts from what a full read would give.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from scheduling.delivery.calendar_sync import sync_connection
from scheduling.extensions import db
from scheduling.models import CalendarSource, ImportedBusy
from tests.integration.connected_calendars import NOW, at, busy_rows, connect_host

pytest_plugins = ["tests.fakes.fixtures"]

FIXTURES = {"google": "fake_google", "microsoft": "fake_graph"}

slot = st.tuples(st.integers(8, 12), st.integers(0, 22), st.sampled_from([30, 60, 90]))
step = st.one_of(
    st.tuples(st.just("add"), slot, st.booleans()),
    st.tuples(st.just("move"), st.integers(0, 20), slot),
    st.tuples(st.just("flip"), st.integers(0, 20)),
    st.tuples(st.just("remove"), st.integers(0, 20)),
    st.tuples(st.just("sync")),
)


def _times(day, hour, minutes):
    start = at(day, hour)
    return start, start + timedelta(minutes=minutes)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_incremental_sync_matches_the_calendar(request, app, make_host, name):
    fake = request.getfixturevalue(FIXTURES[name])
    connection = connect_host(app, fake, name, make_host(tz="UTC"), NOW)
    fake.page_size = 3

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(step, max_size=12))
    def check(script):
        # Each example starts from a calendar with nothing in it and a store that knows that.
        for event_id in list(model):
            fake.remove_event(event_id)
        model.clear()
        sync_connection(connection.id, NOW, all_busy=True)
        db.session.execute(delete(ImportedBusy))
        db.session.execute(update(CalendarSource).values(sync_state="", covered_until=None))
        db.session.commit()
        sync_connection(connection.id, NOW, all_busy=True)
        minute = 0
        for action in script:
            ids = sorted(model)
            if action[0] == "add":
                start, end = _times(*action[1])
                event_id = fake.add_event(start=start, end=end, busy=action[2], title="Private")
                model[event_id] = [start, end, action[2]]
            elif action[0] == "move" and ids:
                event_id = ids[action[1] % len(ids)]
                start, end = _times(*action[2])
                fake.change_event(event_id, start=start, end=end)
                model[event_id][:2] = [start, end]
            elif action[0] == "flip" and ids:
                event_id = ids[action[1] % len(ids)]
                model[event_id][2] = not model[event_id][2]
                fake.change_event(event_id, busy=model[event_id][2])
            elif action[0] == "remove" and ids:
                event_id = ids[action[1] % len(ids)]
                fake.remove_event(event_id)
                del model[event_id]
            elif action[0] == "sync":
                minute += 1
                sync_connection(connection.id, NOW + timedelta(minutes=minute), all_busy=True)
        sync_connection(connection.id, NOW + timedelta(minutes=minute + 1), all_busy=True)
        expected = sorted((start, end) for start, end, busy in model.values() if busy)
        assert busy_rows() == expected

    model: dict[str, list] = {}
    check()
    assert fake.violations == []
