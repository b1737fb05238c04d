"""Busy time handed to the engine as epoch seconds (as the database computes them for slot
listings) rules out exactly the starts the same busy time as datetimes does."""

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.availability import Interval, compute_slot_seconds

from .test_availability_properties import cases

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_seconds(interval: Interval) -> tuple[int, int]:
    """What operations/slots.py's _epoch() computes: start rounded down, end rounded up."""
    head = (interval.start - EPOCH) / timedelta(microseconds=1)
    tail = (interval.end - EPOCH) / timedelta(microseconds=1)
    return math.floor(head / 1_000_000), math.ceil(tail / 1_000_000)


@settings(max_examples=300, deadline=None)
@given(cases(), st.lists(st.integers(0, 999_999), min_size=24, max_size=24))
def test_busy_seconds_block_what_busy_datetimes_block(case, fractions):
    schedule, rules, start, end, now, busy, booked, _meetings = case
    # Move the busy edges off whole seconds too: rounding must widen, never narrow.
    shifted = [
        Interval(
            item.start + timedelta(microseconds=fractions[2 * i % 24]),
            item.end + timedelta(microseconds=fractions[(2 * i + 1) % 24]),
        )
        for i, item in enumerate(busy)
    ]
    expected = compute_slot_seconds(schedule, rules, start, end, now, shifted, booked)
    got = compute_slot_seconds(
        schedule,
        rules,
        start,
        end,
        now,
        booked_starts=booked,
        busy_seconds=[as_seconds(item) for item in shifted],
    )
    assert got == expected
    # Both forms together count each interval once, as either does alone.
    half = len(shifted) // 2
    mixed = compute_slot_seconds(
        schedule,
        rules,
        start,
        end,
        now,
        shifted[:half],
        booked,
        [as_seconds(item) for item in shifted[half:]],
    )
    assert mixed == expected


def test_busy_seconds_rule_out_the_overlapping_starts():
    """A busy time ending half a second after 10:00 also takes the 10:00 start."""
    from scheduling.availability import Schedule, SlotSettings, WeeklyInterval

    schedule = Schedule(tz="UTC", weekly=(WeeklyInterval(0, 9 * 60, 11 * 60),))
    rules = SlotSettings(
        duration=30,
        step=15,
        buffer_before=0,
        buffer_after=0,
        min_notice=0,
        horizon_days=60,
        daily_limit=None,
    )
    monday = datetime(2030, 1, 7, tzinfo=UTC)
    now = monday - timedelta(days=1)
    free = compute_slot_seconds(schedule, rules, monday, monday + timedelta(days=1), now)
    busy = Interval(
        monday + timedelta(hours=9, minutes=45), monday + timedelta(hours=10, seconds=0.5)
    )
    blocked = compute_slot_seconds(
        schedule,
        rules,
        monday,
        monday + timedelta(days=1),
        now,
        busy_seconds=[as_seconds(busy)],
    )
    epoch = int((monday - EPOCH).total_seconds())
    removed = sorted(set(free) - set(blocked))
    # 30-minute meetings at 09:30 and 09:45 overlap [09:45, 10:00:00.5), and so does 10:00.
    assert [(s - epoch) // 60 for s in removed] == [9 * 60 + 30, 9 * 60 + 45, 10 * 60]
