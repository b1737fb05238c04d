"""Holidays, out-of-office days and covering days in the slot engine (Schedule fields).

Each is defined by the overrides it stands for, so the engine must give exactly the slots of
the same schedule with those overrides written out; and no slot touches a day off.
"""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scheduling.availability import (
    DateOverride,
    Schedule,
    SlotSettings,
    WeeklyInterval,
    compute_slots,
    dates_in_ranges,
    is_slot_available,
)
from tests.unit.test_availability_properties import FAST, cases

UTC = ZoneInfo("UTC")
# Wider than anything the engine lays out around a case (cases stay within ~10 days of base).
MARGIN = 90

offsets = st.lists(st.integers(-20, 12), max_size=6)


def _near(base: date, ks) -> tuple[date, ...]:
    return tuple(base + timedelta(days=k) for k in ks)


def _base_of(schedule: Schedule, start: datetime) -> date:
    return start.astimezone(ZoneInfo(schedule.tz)).date()


def written_out(schedule: Schedule, around: date) -> Schedule:
    """The same schedule with holidays, days off and only_days as plain day-off overrides."""
    named = {o.day for o in schedule.overrides}
    overrides = [o for o in schedule.overrides if o.day not in set(schedule.days_off)]
    off = {d for d in schedule.holidays if d not in named} | set(schedule.days_off)
    if schedule.only_days is not None:
        for k in range(-MARGIN, MARGIN):
            day = around + timedelta(days=k)
            if day not in schedule.only_days:
                off.add(day)
                overrides = [o for o in overrides if o.day != day]
    overrides += [DateOverride(day, ()) for day in sorted(off)]
    return Schedule(schedule.tz, schedule.weekly, tuple(overrides))


@FAST
@given(cases(), offsets, offsets, st.one_of(st.none(), offsets))
def test_days_off_equal_day_off_overrides(case, holidays, days_off, only):
    schedule, rules, start, end, now, busy, booked, meetings = case
    base = _base_of(schedule, start)
    marked = replace(
        schedule,
        holidays=_near(base, holidays),
        days_off=_near(base, days_off),
        only_days=None if only is None else frozenset(_near(base, only)),
    )
    expected = compute_slots(
        written_out(marked, base), rules, start, end, now, busy, booked, meetings
    )
    assert compute_slots(marked, rules, start, end, now, busy, booked, meetings) == expected


@FAST
@given(cases(), offsets)
def test_no_slot_touches_a_day_off(case, days_off):
    schedule, rules, start, end, now, busy, booked, meetings = case
    base = _base_of(schedule, start)
    off = set(_near(base, days_off))
    zone = ZoneInfo(schedule.tz)
    marked = replace(schedule, days_off=tuple(off))
    for slot in compute_slots(marked, rules, start, end, now, busy, booked, meetings):
        first = slot.astimezone(zone).date()
        last = (slot + timedelta(minutes=rules.duration) - timedelta(microseconds=1)).astimezone(
            zone
        )
        assert first not in off
        assert last.date() not in off


OFFICE = tuple(WeeklyInterval(d, 9 * 60, 17 * 60) for d in range(5))
RULES = SlotSettings(duration=30, step=30)
MONDAY = date(2027, 1, 4)
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo("Europe/Berlin"))


def test_holiday_yields_to_an_override_but_an_absence_does_not():
    override = DateOverride(MONDAY, ((10 * 60, 11 * 60),))
    base = Schedule("Europe/Berlin", OFFICE, (override,))
    holiday = replace(base, holidays=(MONDAY, MONDAY + timedelta(days=1)))
    assert is_slot_available(holiday, RULES, _at(MONDAY, 10), NOW)
    assert not is_slot_available(holiday, RULES, _at(MONDAY + timedelta(days=1), 10), NOW)
    absent = replace(base, days_off=(MONDAY,))
    assert not is_slot_available(absent, RULES, _at(MONDAY, 10), NOW)
    assert is_slot_available(absent, RULES, _at(MONDAY + timedelta(days=1), 10), NOW)


def test_only_days_keeps_just_those_dates():
    covering = Schedule("Europe/Berlin", OFFICE, only_days=frozenset({MONDAY}))
    assert is_slot_available(covering, RULES, _at(MONDAY, 9), NOW)
    assert not is_slot_available(covering, RULES, _at(MONDAY + timedelta(days=1), 9), NOW)
    assert (
        compute_slots(
            replace(covering, only_days=frozenset()), RULES, _at(MONDAY, 0), _at(MONDAY, 23), NOW
        )
        == []
    )


@given(
    st.lists(st.tuples(st.integers(-10, 40), st.integers(-10, 40)), max_size=5),
    st.integers(-5, 30),
    st.integers(-5, 30),
)
def test_dates_in_ranges_matches_a_plain_walk(pairs, lo, hi):
    origin = date(2027, 3, 1)
    ranges = [(origin + timedelta(days=a), origin + timedelta(days=b)) for a, b in pairs]
    first, last = origin + timedelta(days=lo), origin + timedelta(days=hi)
    expected = {
        first + timedelta(days=k)
        for k in range((last - first).days + 1)
        if any(a <= first + timedelta(days=k) <= b for a, b in ranges)
    }
    assert dates_in_ranges(ranges, first, last) == expected
