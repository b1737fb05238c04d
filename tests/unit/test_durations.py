"""Several meeting lengths per event type: the pure rules and the engine's slots per length."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.availability import (
    Interval,
    Schedule,
    SlotSettings,
    WeeklyInterval,
    compute_slots,
    compute_windows,
)
from scheduling.availability.durations import (
    choose_duration,
    durations_problem,
    offered_durations,
    parse_durations,
    with_duration,
)

from .test_availability_properties import FAST, cases

NOW = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
NINE_TO_FIVE = Schedule("UTC", tuple(WeeklyInterval(d, 540, 1020) for d in range(5)))


@pytest.mark.parametrize(
    ("default", "stored", "offered"),
    [
        (30, [15, 30, 45], (15, 30, 45)),
        (30, [45, 15], (15, 30, 45)),  # the default is always offered, the list sorted
        (30, [], (30,)),  # a row the migration's server default filled
        (30, None, (30,)),
        (30, [30, 30, 0, -5, True, "45", 60], (30, 60)),  # damaged values left out
    ],
)
def test_offered_durations(default, stored, offered):
    assert offered_durations(default, stored) == offered


@pytest.mark.parametrize(
    ("asked", "chosen"),
    [
        (None, 30),
        ("", 30),
        ("45", 45),
        (" 15 ", 15),
        (15, 15),
        ("20", None),  # not offered
        (20, None),
        ("abc", None),
        ("-15", None),
        ("1e2", None),
        ("٤٥", None),  # digits, but not ASCII ones
        ("99999999999999999999", None),
        (True, None),
        (30.0, None),
        ([30], None),
    ],
)
def test_choose_duration(asked, chosen):
    assert choose_duration((15, 30, 45), 30, asked) == chosen


def test_parse_durations():
    assert parse_durations("45, 15 30,30") == [15, 30, 45]
    assert parse_durations("") == []
    assert parse_durations("15, half an hour") is None
    assert parse_durations("15.5") is None


@pytest.mark.parametrize(
    ("default", "values", "problem"),
    [
        (30, [15, 30, 45], None),
        (30, [30], None),
        (30, [], "Enter at least one duration."),
        (30, [15, 45], "The default duration must be one of the offered durations."),
        (30, [4, 30], "Each duration must be whole minutes from 5 to 720."),
        (30, [30, 721], "Each duration must be whole minutes from 5 to 720."),
        (30, list(range(5, 50, 5)), "Offer at most 8 durations."),
    ],
)
def test_durations_problem(default, values, problem):
    assert durations_problem(default, values) == problem


def test_longer_meeting_leaves_out_starts_near_the_end_of_the_day_and_busy_time():
    busy = [Interval(MONDAY.replace(hour=12), MONDAY.replace(hour=13))]
    rules = SlotSettings(duration=30, step=30, buffer_after=15)
    day = (MONDAY, MONDAY + timedelta(days=1))

    def starts(minutes):
        found = compute_slots(NINE_TO_FIVE, with_duration(rules, minutes), *day, NOW, busy)
        return [f"{s:%H:%M}" for s in found]

    assert "11:00" in starts(30) and "16:30" in starts(30)
    # 45 minutes + 15 buffer from 11:00 reaches 12:00 exactly (half-open): still offered.
    assert "11:00" in starts(45) and "11:30" not in starts(45)
    assert "16:30" not in starts(45) and "16:00" in starts(45)
    # Buffers and step do not change with the length.
    assert with_duration(rules, 45) == SlotSettings(duration=45, step=30, buffer_after=15)


@FAST
@given(cases(), st.integers(1, 240))
def test_every_start_of_a_longer_meeting_is_offered_for_a_shorter_one(case, longer_by):
    schedule, rules, start, end, now, busy, booked, meetings = case
    longer = with_duration(rules, rules.duration + longer_by)
    short_slots = set(compute_slots(schedule, rules, start, end, now, busy, booked, meetings))
    long_slots = compute_slots(schedule, longer, start, end, now, busy, booked, meetings)
    assert set(long_slots) <= short_slots


@FAST
@given(cases(), st.sampled_from([15, 30, 45, 60, 90]))
def test_every_slot_of_the_chosen_length_fits_in_free_time_with_buffers(case, minutes):
    schedule, rules, start, end, now, busy, booked, meetings = case
    chosen = with_duration(rules, minutes)
    slots = compute_slots(schedule, chosen, start, end, now, busy, booked, meetings)
    if not slots:
        return
    length = timedelta(minutes=minutes)
    windows = compute_windows(schedule, slots[0] - timedelta(days=1), slots[-1] + length)
    before = timedelta(minutes=chosen.buffer_before)
    after = timedelta(minutes=chosen.buffer_after)
    gap = timedelta(minutes=chosen.min_gap)
    for slot in slots:
        meeting_end = slot + length
        assert any(w.start <= slot and meeting_end <= w.end for w in windows)
        for item in busy:
            assert not (item.start < meeting_end + after and slot - before < item.end)
        if chosen.min_gap:
            for item in meetings:
                if item.end > item.start:
                    assert not (item.start - gap < meeting_end and slot < item.end + gap)
