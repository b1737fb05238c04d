"""Hosts that share one `layouts` dict get exactly the slots each would get alone: the laid-out
grid is shared only between equal hours and rules, whatever else the dict held before."""

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.availability import Schedule, SlotSettings, WeeklyInterval, compute_slot_seconds

from .test_availability_properties import cases


def _alone(case) -> list[int]:
    schedule, rules, start, end, now, busy, booked, meetings = case
    return compute_slot_seconds(schedule, rules, start, end, now, busy, booked, meetings=meetings)


def _shared(case, layouts: dict) -> list[int]:
    schedule, rules, start, end, now, busy, booked, meetings = case
    return compute_slot_seconds(
        schedule, rules, start, end, now, busy, booked, meetings=meetings, layouts=layouts
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=4), st.integers(0, 3))
def test_shared_layouts_change_nothing(drawn, split):
    layouts: dict = {}
    for case in drawn:
        # The same hours with another host's busy time, and with none: the grid is shared.
        other = (*case[:5], [], [], [])
        half = (*case[:5], case[5][split:], case[6], case[7])
        for variant in (case, other, half):
            assert _shared(variant, layouts) == _alone(variant)


def test_equal_looking_but_different_hours_do_not_share():
    """True == 1 in a tuple, but the engine refuses a boolean minute: no sharing between them."""
    good = Schedule("UTC", (WeeklyInterval(0, 1, 600),))
    odd = replace(good, weekly=(WeeklyInterval(0, True, 600),))
    assert good == odd
    rules = SlotSettings(duration=30, step=30)
    start = datetime(2030, 1, 7, tzinfo=UTC)
    end = datetime(2030, 1, 8, tzinfo=UTC)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    layouts: dict = {}
    first = compute_slot_seconds(good, rules, start, end, now, layouts=layouts)
    second = compute_slot_seconds(odd, rules, start, end, now, layouts=layouts)
    assert first and second == compute_slot_seconds(odd, rules, start, end, now)
