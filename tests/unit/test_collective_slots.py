"""Collective meetings in the pure engine: a start every selected host is free for.

Examples pin the rule (hours, busy time, limits, days off of each host); properties check the
algebra over random hosts: a collective slot is a slot of each host alone, adding a host never
adds slots, and one host's collective slots are that host's slots.
"""

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.availability import (
    Interval,
    MemberCalendar,
    Schedule,
    SlotSettings,
    WeeklyInterval,
    busy_members,
    compute_collective_slots,
    compute_slots,
    intersect_starts,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
HALF_HOUR = SlotSettings(duration=30, step=30)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def weekdays(start_hour: int, end_hour: int, tz: str = "UTC") -> Schedule:
    return Schedule(tz, tuple(WeeklyInterval(d, start_hour * 60, end_hour * 60) for d in range(5)))


def at(hour: int, minute: int = 0, day: datetime = MONDAY) -> datetime:
    return day + timedelta(hours=hour, minutes=minute)


def monday(members, rules=HALF_HOUR):
    return compute_collective_slots(members, rules, MONDAY, MONDAY + timedelta(days=1), NOW)


def test_slots_are_the_overlap_of_each_hosts_hours():
    closer = MemberCalendar(weekdays(9, 12))
    engineer = MemberCalendar(weekdays(10, 14))
    assert monday([closer, engineer]) == [at(10), at(10, 30), at(11), at(11, 30)]


def test_hours_in_different_zones_meet_in_absolute_time():
    berlin = MemberCalendar(weekdays(9, 17, "Europe/Berlin"))  # 08:00-16:00 UTC in January
    new_york = MemberCalendar(weekdays(9, 17, "America/New_York"))  # 14:00-22:00 UTC
    assert monday([berlin, new_york]) == [at(14), at(14, 30), at(15), at(15, 30)]


def test_one_busy_host_takes_the_time_away_from_all():
    free = MemberCalendar(weekdays(9, 11))
    busy = MemberCalendar(weekdays(9, 11), busy=[Interval(at(9, 30), at(10))])
    assert monday([free, busy]) == [at(9), at(10), at(10, 30)]
    assert busy_members([free, busy], HALF_HOUR, at(9, 30), NOW) == [1]
    assert busy_members([free, busy], HALF_HOUR, at(10), NOW) == []


def test_each_hosts_daily_limit_counts_their_own_bookings():
    rules = SlotSettings(duration=30, step=30, daily_limit=1)
    full = MemberCalendar(weekdays(9, 11), booked_starts=[at(9)], busy=[Interval(at(9), at(9, 30))])
    other = MemberCalendar(weekdays(9, 11))
    assert monday([full, other], rules) == []
    assert monday([other], rules) == [at(9), at(9, 30), at(10), at(10, 30)]


def test_a_host_on_a_day_off_or_holiday_makes_the_day_unavailable():
    away = Schedule("UTC", weekdays(9, 11).weekly, days_off=(date(2030, 1, 7),))
    holiday = Schedule("UTC", weekdays(9, 11).weekly, holidays=(date(2030, 1, 7),))
    present = MemberCalendar(weekdays(9, 11))
    assert monday([present, MemberCalendar(away)]) == []
    assert monday([present, MemberCalendar(holiday)]) == []


def test_the_minimum_gap_is_kept_for_each_host():
    rules = SlotSettings(duration=30, step=30, min_gap=30)
    meeting = Interval(at(10), at(10, 30))
    gapped = MemberCalendar(weekdays(9, 12), busy=[meeting], meetings=[meeting])
    assert monday([MemberCalendar(weekdays(9, 12)), gapped], rules) == [at(9), at(11), at(11, 30)]


def test_no_host_no_slots_and_a_start_off_the_grid_is_busy_for_all():
    assert monday([]) == []
    assert busy_members([], HALF_HOUR, at(9), NOW) == [0]
    both = [MemberCalendar(weekdays(9, 11)), MemberCalendar(weekdays(9, 11))]
    assert busy_members(both, HALF_HOUR, at(9, 10), NOW) == [0, 1]
    assert busy_members(both, HALF_HOUR, at(9, 0) + timedelta(microseconds=1), NOW) == [0, 1]


def test_intersect_starts():
    assert intersect_starts([]) == []
    assert intersect_starts([[1, 2, 3], [2, 3, 4], [0, 3]]) == [3]
    assert intersect_starts([[1, 2], []]) == []


# -- properties -----------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
hour_span = st.tuples(st.integers(0, 23), st.integers(1, 24)).map(
    lambda p: (p[0] * 60, min(1440, (p[0] + p[1]) * 60))
)


@st.composite
def member(draw):
    tz = draw(st.sampled_from(ZONES))
    spans = draw(st.lists(st.tuples(st.integers(0, 6), hour_span), min_size=1, max_size=6))
    weekly = tuple(WeeklyInterval(day, a, b) for day, (a, b) in spans)
    off = draw(st.lists(st.integers(0, 6), max_size=2))
    schedule = Schedule(tz, weekly, days_off=tuple(date(2030, 1, 7 + k) for k in sorted(off)))
    busy = [
        Interval(at(0, m), at(0, m + length))
        for m, length in draw(
            st.lists(st.tuples(st.integers(0, 7 * 1440), st.integers(1, 300)), max_size=6)
        )
    ]
    booked = [interval.start for interval in busy]
    return MemberCalendar(schedule, busy=busy, booked_starts=booked, meetings=busy)


rules = st.builds(
    SlotSettings,
    duration=st.sampled_from([15, 30, 45, 60, 90]),
    step=st.sampled_from([15, 20, 30, 60]),
    buffer_before=st.sampled_from([0, 5, 15]),
    buffer_after=st.sampled_from([0, 10]),
    daily_limit=st.one_of(st.none(), st.integers(1, 3)),
    weekly_limit=st.one_of(st.none(), st.integers(1, 5)),
    min_gap=st.sampled_from([0, 0, 15, 60]),
)
WEEK = (MONDAY, MONDAY + timedelta(days=7))


def alone(calendar: MemberCalendar, rule: SlotSettings) -> list[datetime]:
    return compute_slots(
        calendar.schedule,
        rule,
        *WEEK,
        NOW,
        calendar.busy,
        calendar.booked_starts,
        calendar.meetings,
    )


@FAST
@given(st.lists(member(), min_size=1, max_size=4), rules)
def test_a_collective_slot_is_a_slot_of_each_host_alone(members, rule):
    together = set(compute_collective_slots(members, rule, *WEEK, NOW))
    each = [set(alone(calendar, rule)) for calendar in members]
    assert together == set.intersection(*each)
    for slot in sorted(together)[:5]:
        assert busy_members(members, rule, slot, NOW) == []


@FAST
@given(st.lists(member(), min_size=1, max_size=3), member(), rules)
def test_adding_a_host_never_adds_slots(members, extra, rule):
    before = set(compute_collective_slots(members, rule, *WEEK, NOW))
    after = set(compute_collective_slots([*members, extra], rule, *WEEK, NOW))
    assert after <= before


@FAST
@given(member(), rules)
def test_one_hosts_collective_slots_are_that_hosts_slots(calendar, rule):
    assert compute_collective_slots([calendar], rule, *WEEK, NOW) == alone(calendar, rule)


@FAST
@given(st.lists(member(), min_size=1, max_size=3), rules)
def test_the_order_of_hosts_does_not_matter(members, rule):
    forward = compute_collective_slots(members, rule, *WEEK, NOW)
    assert compute_collective_slots(members[::-1], rule, *WEEK, NOW) == forward
