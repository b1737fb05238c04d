"""Properties of the slot engine over random hours, zones, rules and busy time.

A slow, obvious reference (plain datetimes, every check spelled out) stands beside the fast
engine; the engine must agree with it exactly.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.availability import (
    DateOverride,
    Interval,
    Schedule,
    SlotSettings,
    WeeklyInterval,
    compute_slots,
    compute_windows,
    is_slot_available,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Havana",  # changes at midnight
    "America/Santiago",  # changes at midnight, southern hemisphere
]
# Start days near this year's changes, so DST nights come up often.
DAYS = [
    date(2026, 3, 7),
    date(2026, 3, 27),
    date(2026, 4, 3),
    date(2026, 6, 1),
    date(2026, 9, 5),
    date(2026, 10, 2),
    date(2026, 10, 23),
    date(2026, 10, 31),
]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

minute = st.one_of(
    st.sampled_from([0, 30, 60 * 9, 60 * 12, 60 * 17, 60 * 23, 1440]),
    st.integers(-20, 1460),
)
# Mostly sensible spans (start, start + length), some anything-goes ones (reversed, out of range).
span = st.one_of(
    st.tuples(st.integers(0, 1439), st.integers(1, 1440)).map(lambda p: (p[0], min(1440, sum(p)))),
    st.tuples(minute, minute),
)
weekly_items = st.lists(
    st.builds(lambda d, p: WeeklyInterval(d, *p), st.integers(-1, 7), span), max_size=10
)
round_the_clock = st.just(tuple(WeeklyInterval(d, 0, 1440) for d in range(7)))
office = span.map(lambda p: tuple(WeeklyInterval(d, *p) for d in range(7)))


@st.composite
def schedules(draw):
    tz = draw(st.sampled_from(ZONES))
    weekly = draw(st.one_of(weekly_items.map(tuple), office, round_the_clock))
    base = draw(st.sampled_from(DAYS))
    overrides = draw(
        st.lists(
            st.builds(
                DateOverride,
                st.integers(-20, 12).map(lambda k: base + timedelta(days=k)),
                st.lists(span, max_size=3).map(tuple),
            ),
            max_size=4,
        )
    )
    return Schedule(tz, weekly, tuple(overrides)), base


slot_settings = st.builds(
    SlotSettings,
    duration=st.integers(1, 240),
    step=st.one_of(st.sampled_from([15, 30, 45, 60, 25, 8]), st.integers(5, 240)),
    buffer_before=st.integers(0, 60),
    buffer_after=st.integers(0, 60),
    min_notice=st.one_of(st.just(0), st.integers(0, 3000)),
    horizon_days=st.one_of(st.just(60), st.integers(0, 20)),
    daily_limit=st.one_of(st.none(), st.integers(1, 4)),
    weekly_limit=st.one_of(st.none(), st.integers(1, 6)),
    min_gap=st.one_of(st.just(0), st.integers(0, 1440), st.sampled_from([15, 30, 60])),
)


@st.composite
def cases(draw):
    schedule, base = draw(schedules())
    rules = draw(slot_settings)
    start = datetime.combine(base, time(), UTC) + timedelta(minutes=draw(st.integers(-600, 3000)))
    end = start + timedelta(minutes=draw(st.integers(-60, 6 * 1440).filter(bool)))
    now = start + timedelta(
        minutes=draw(st.integers(-5 * 1440, 1440)), seconds=draw(st.integers(0, 59))
    )

    def around(k):
        return start + timedelta(minutes=k)

    busy = [
        Interval(around(a), around(a + length))
        for a, length in draw(
            st.lists(st.tuples(st.integers(-1440, 8 * 1440), st.integers(1, 240)), max_size=12)
        )
    ]
    booked = [around(k) for k in draw(st.lists(st.integers(-1440, 8 * 1440), max_size=8))]
    # The host's meetings of any event type (for the minimum gap), some with odd seconds.
    meetings = [
        Interval(around(a) + timedelta(seconds=sec), around(a + length))
        for a, length, sec in draw(
            st.lists(
                st.tuples(
                    st.integers(-1440, 8 * 1440), st.integers(1, 240), st.sampled_from([0, 0, 17])
                ),
                max_size=6,
            )
        )
    ]
    return schedule, rules, start, end, now, busy, booked, meetings


# --- reference ------------------------------------------------------------------------------


def _valid(start, end):
    return 0 <= start < end <= 1440


def reference_windows(schedule, first: date, last: date):
    zone = ZoneInfo(schedule.tz)
    overrides: dict[date, list] = {}
    for override in schedule.overrides:
        overrides.setdefault(override.day, []).extend(
            (a, b) for a, b in override.intervals if _valid(a, b)
        )
    raw = []
    day = first
    while day <= last:
        if day in overrides:
            spans = overrides[day]
        else:
            spans = [
                (w.start_minute, w.end_minute)
                for w in schedule.weekly
                if w.weekday == day.weekday() and _valid(w.start_minute, w.end_minute)
            ]
        for a, b in spans:
            midnight = datetime.combine(day, time())
            start = (midnight + timedelta(minutes=a)).replace(tzinfo=zone).astimezone(UTC)
            end = (midnight + timedelta(minutes=b)).replace(tzinfo=zone).astimezone(UTC)
            if end > start:
                raw.append([start, end])
        day += timedelta(days=1)
    raw.sort()
    merged = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def local_midnight(zone, day):
    return datetime.combine(day, time()).replace(tzinfo=zone).astimezone(UTC)


def alignment(step):
    return next((u for u in (60, 30, 20, 15, 10, 5) if step % u == 0), 1)


def reference_slots(schedule, rules, start, end, now, busy, booked, meetings=()):
    zone = ZoneInfo(schedule.tz)
    dur = timedelta(minutes=rules.duration)
    step = timedelta(minutes=rules.step)
    end = min(end, start + timedelta(days=62))
    first_day = start.astimezone(zone).date() - timedelta(days=40)
    last_day = (end + dur).astimezone(zone).date() + timedelta(days=2)
    edge = local_midnight(zone, first_day)
    candidates = []
    for w_start, w_end in reference_windows(schedule, first_day, last_day):
        wall = w_start.astimezone(zone)
        if w_start <= edge:
            restart_from = first_day  # open since before we looked: every midnight anchors
        else:
            of_day = wall.hour * 60 + wall.minute
            unit = alignment(rules.step)
            rounded = -(-of_day // unit) * unit
            naive = datetime.combine(wall.date(), time()) + timedelta(minutes=rounded)
            t = naive.replace(tzinfo=zone).astimezone(UTC)
            if t < w_start:
                t = max(w_start, naive.replace(tzinfo=zone, fold=1).astimezone(UTC))
            restart_from = wall.date() + timedelta(days=15)
            cut = local_midnight(zone, restart_from)
            while t + dur <= w_end and t < cut and t < end:
                candidates.append(t)
                t += step
        day = restart_from
        while day <= last_day:
            midnight = local_midnight(zone, day)
            following = local_midnight(zone, day + timedelta(days=1))
            if midnight >= w_start and following > start:
                t = midnight
                while t + dur <= w_end and t < following and t < end:
                    candidates.append(t)
                    t += step
            day += timedelta(days=1)
    before = timedelta(minutes=rules.buffer_before)
    after = timedelta(minutes=rules.buffer_after)
    counts: dict[date, int] = {}
    for b in booked:
        counts[b.astimezone(zone).date()] = counts.get(b.astimezone(zone).date(), 0) + 1
    weeks: dict[date, int] = {}
    for b in booked:
        day = b.astimezone(zone).date()
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + 1
    gap = timedelta(minutes=rules.min_gap)
    out = []
    for t in candidates:
        if not (start <= t < end):
            continue
        if not (
            now + timedelta(minutes=rules.min_notice) <= t < now + timedelta(rules.horizon_days)
        ):
            continue
        if any(b.start < t + dur + after and t - before < b.end for b in busy if b.end > b.start):
            continue
        if (
            rules.daily_limit is not None
            and counts.get(t.astimezone(zone).date(), 0) >= rules.daily_limit
        ):
            continue
        local_day = t.astimezone(zone).date()
        monday = local_day - timedelta(days=local_day.weekday())
        if rules.weekly_limit is not None and weeks.get(monday, 0) >= rules.weekly_limit:
            continue
        if rules.min_gap and any(
            t < m.end + gap and t + dur > m.start - gap for m in meetings if m.end > m.start
        ):
            continue
        out.append(t)
    return sorted(set(out))


# --- properties -------------------------------------------------------------------------------


@FAST
@given(cases())
def test_engine_agrees_with_reference(case):
    assert compute_slots(*case) == reference_slots(*case)


@FAST
@given(cases())
def test_slot_invariants(case):
    schedule, rules, start, end, now, busy, booked, meetings = case
    slots = compute_slots(*case)
    dur = timedelta(minutes=rules.duration)
    before = timedelta(minutes=rules.buffer_before)
    after = timedelta(minutes=rules.buffer_after)
    # sorted, unique, UTC, in range
    assert slots == sorted(set(slots))
    assert all(s.tzinfo is UTC for s in slots)
    assert all(start <= s < end for s in slots)
    # notice and horizon
    assert all(now + timedelta(minutes=rules.min_notice) <= s for s in slots)
    assert all(s < now + timedelta(days=rules.horizon_days) for s in slots)
    # free of busy time, own buffers included
    for s in slots:
        for b in busy:
            assert not (b.start < s + dur + after and s - before < b.end)
    # at most weekly_limit - 1 earlier bookings in the slot's local ISO week (host's zone)
    zone = ZoneInfo(schedule.tz)
    if rules.weekly_limit is not None:
        for s in slots:
            week = s.astimezone(zone).isocalendar()[:2]
            same = [b for b in booked if b.astimezone(zone).isocalendar()[:2] == week]
            assert len(same) < rules.weekly_limit
    # no meeting of the host closer than the minimum gap, end to start, on either side
    gap = timedelta(minutes=rules.min_gap)
    for s in slots:
        for m in meetings:
            assert s >= m.end + gap or s + dur <= m.start - gap or rules.min_gap == 0
    # inside the host's hours
    windows = compute_windows(schedule, start - timedelta(days=2), end + timedelta(days=2))
    for s in slots:
        assert any(w.start <= s and s + dur <= w.end for w in windows)


@FAST
@given(cases(), st.integers(0, 6 * 1440))
def test_range_independence(case, cut):
    schedule, rules, start, end, now, busy, booked, meetings = case
    middle = min(start + timedelta(minutes=cut), end)
    left = compute_slots(schedule, rules, start, middle, now, busy, booked, meetings)
    right = compute_slots(schedule, rules, middle, end, now, busy, booked, meetings)
    assert left + right == compute_slots(*case)


@settings(max_examples=100, deadline=None)
@given(cases(), st.integers(0, 5 * 1440))
def test_is_slot_available_matches(case, offset):
    schedule, rules, start, end, now, busy, booked, meetings = case
    slots = compute_slots(*case)
    for s in slots[:: max(1, len(slots) // 10)]:
        assert is_slot_available(schedule, rules, s, now, busy, booked, meetings)
    probe = start + timedelta(minutes=offset)
    if probe < end:
        available = is_slot_available(schedule, rules, probe, now, busy, booked, meetings)
        assert available == (probe in slots)


@FAST
@given(
    schedules(),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**4), 10**4),
    st.integers(-(10**4), 10**4),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**4), 10**4),
    st.one_of(st.none(), st.integers(-5, 5)),
)
def test_never_raises_for_any_numbers(sched, dur, step, before, after, notice, horizon, limit):
    schedule, base = sched
    rules = SlotSettings(dur, step, before, after, notice, horizon, limit)
    start = datetime.combine(base, time(), UTC)
    now = start - timedelta(days=1)
    busy = [Interval(start + timedelta(hours=10), start + timedelta(hours=11))]
    slots = compute_slots(schedule, rules, start, start + timedelta(days=3), now, busy, [start])
    assert slots == sorted(set(slots))
    if dur <= 0 or step <= 0 or min(before, after, notice, horizon) < 0:
        assert slots == []
    if limit is not None and limit <= 0:
        assert slots == []


@FAST
@given(schedules(), st.integers(0, 3 * 1440), st.integers(1, 4 * 1440))
def test_windows_match_reference(sched, offset, length):
    schedule, base = sched
    zone = ZoneInfo(schedule.tz)
    start = datetime.combine(base, time(), UTC) + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    got = [(w.start, w.end) for w in compute_windows(schedule, start, end)]
    first = start.astimezone(zone).date() - timedelta(days=16)
    last = end.astimezone(zone).date() + timedelta(days=16)
    edge_low, edge_high = local_midnight(zone, first), local_midnight(zone, last)
    expected = [
        (a, b) for a, b in reference_windows(schedule, first, last) if b > start and a < end
    ]
    assert len(got) == len(expected)
    for (a, b), (ra, rb) in zip(got, expected, strict=True):
        # Windows that run into the edge of what we looked at may be cut differently.
        assert a == ra or ra <= edge_low + timedelta(days=2)
        assert b == rb or rb >= edge_high - timedelta(days=2)
