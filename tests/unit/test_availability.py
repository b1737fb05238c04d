"""Examples of the slot rules (DESIGN.md section 4), one per rule and per awkward zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import (
    MAX_RANGE_DAYS,
    DateOverride,
    Interval,
    Schedule,
    SlotSettings,
    WeeklyInterval,
    compute_slots,
    compute_windows,
    group_by_local_date,
    is_slot_available,
    local_day_range,
    occupied_interval,
)

EARLY = datetime(2025, 1, 1, tzinfo=UTC)  # "now" long before every example day
ALL_WEEK = tuple(range(7))


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def weekly(tz: str, *spans: tuple[str, str], days=ALL_WEEK, overrides=()) -> Schedule:
    return Schedule(
        tz,
        tuple(WeeklyInterval(d, hm(a), hm(b)) for d in days for a, b in spans),
        tuple(overrides),
    )


def settings(duration=30, step=None, **kw) -> SlotSettings:
    kw.setdefault("horizon_days", 3650)
    return SlotSettings(duration=duration, step=step or duration, **kw)


def day_slots(schedule, rules, day, now=EARLY, busy=(), booked=(), last=None):
    start, end = local_day_range(schedule.tz, day, last or day)
    return compute_slots(schedule, rules, start, end, now, busy, booked)


def local(slots, tz) -> list[str]:
    zone = ZoneInfo(tz)
    return [s.astimezone(zone).strftime("%H:%M") for s in slots]


def at(tz: str, text: str, fold: int = 0) -> datetime:
    """Aware datetime of a local 'YYYY-MM-DD HH:MM' in tz."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz), fold=fold)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


MONDAY = date(2026, 6, 1)


# --- grid ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "duration", "step", "expected"),
    [
        (("09:15", "11:00"), 60, 60, ["10:00"]),
        (("07:22", "08:00"), 8, 8, ["07:22", "07:30", "07:38", "07:46"]),
        (("09:30", "11:00"), 30, 45, ["09:30", "10:15"]),
        (("09:30", "18:00"), 30, 45, None),  # checked below: 09:30, 10:15, 11:00 ...
        (("09:07", "10:00"), 15, 15, ["09:15", "09:30", "09:45"]),
        (("09:10", "11:00"), 30, 90, ["09:30"]),  # step 90 aligns to 30
        (("09:00", "10:00"), 20, 20, ["09:00", "09:20", "09:40"]),
        (("09:01", "10:00"), 25, 25, ["09:05", "09:30"]),  # step 25 aligns to 5
        (("09:00", "09:29"), 30, 30, []),  # the meeting must fit
    ],
)
def test_grid_examples(span, duration, step, expected):
    schedule = weekly("Europe/Berlin", span)
    got = local(day_slots(schedule, settings(duration, step), MONDAY), "Europe/Berlin")
    if expected is None:
        assert got[:4] == ["09:30", "10:15", "11:00", "11:45"]
        assert got[-1] == "17:00"  # 17:45 + 30 would end after 18:00
    else:
        assert got == expected


def test_grid_follows_real_time_not_the_range():
    schedule = weekly("Europe/Berlin", ("09:15", "11:00"))
    rules = settings(30, 30)
    full = day_slots(schedule, rules, MONDAY)
    assert local(full, "Europe/Berlin") == ["09:30", "10:00", "10:30"]
    for cut in ("09:16", "09:45", "10:00", "10:01"):
        start = at("Europe/Berlin", f"2026-06-01 {cut}")
        part = compute_slots(schedule, rules, start, start + timedelta(hours=5), EARLY)
        assert part == [s for s in full if s >= start]


def test_asking_from_noon_changes_no_slot():
    schedule = weekly("Europe/Berlin", ("09:10", "17:00"))
    rules = settings(30, 45)
    full = day_slots(schedule, rules, MONDAY)
    noon = at("Europe/Berlin", "2026-06-01 12:00")
    part = compute_slots(schedule, rules, noon, noon + timedelta(hours=12), EARLY)
    assert part == [s for s in full if s >= noon]
    assert local(full, "Europe/Berlin")[:2] == ["09:15", "10:00"]


def test_grid_hangs_on_window_start_days_back():
    """A window open since Monday 09:00 keeps Monday's grid on Wednesday."""
    overrides = [
        DateOverride(date(2026, 6, 1), ((hm("09:00"), 1440),)),
        DateOverride(date(2026, 6, 2), ((0, 1440),)),
        DateOverride(date(2026, 6, 3), ((0, hm("12:00")),)),
    ]
    schedule = Schedule("Europe/Berlin", (), tuple(overrides))
    rules = settings(25, 25)
    wednesday = day_slots(schedule, rules, date(2026, 6, 3))
    monday_9 = at("Europe/Berlin", "2026-06-01 09:00")
    assert wednesday
    assert all((s - monday_9) % timedelta(minutes=25) == timedelta(0) for s in wednesday)
    later = at("Europe/Berlin", "2026-06-03 10:00")
    assert compute_slots(schedule, rules, later, later + timedelta(hours=3), EARLY) == [
        s for s in wednesday if s >= later
    ]


# --- windows -------------------------------------------------------------------------------------


def test_weekly_basic_and_other_days_closed():
    schedule = weekly("Europe/Berlin", ("09:00", "12:00"), days=(0,))
    rules = settings(30)
    assert local(day_slots(schedule, rules, MONDAY), "Europe/Berlin") == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert day_slots(schedule, rules, MONDAY + timedelta(days=1)) == []
    assert len(day_slots(schedule, rules, MONDAY + timedelta(days=7))) == 6


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        (((hm("13:00"), hm("14:00")),), ["13:00", "13:30"]),
        ((), []),  # a day off
        (((hm("14:00"), hm("13:00")),), []),  # only a reversed span: still replaces the day
        (
            ((hm("08:00"), hm("09:00")), (hm("16:00"), hm("17:00"))),
            ["08:00", "08:30", "16:00", "16:30"],
        ),
    ],
)
def test_override_replaces_the_day(intervals, expected):
    schedule = weekly(
        "Europe/Berlin", ("09:00", "12:00"), overrides=[DateOverride(MONDAY, intervals)]
    )
    rules = settings(30)
    assert local(day_slots(schedule, rules, MONDAY), "Europe/Berlin") == expected
    assert len(day_slots(schedule, rules, MONDAY + timedelta(days=7))) == 6


def test_same_day_overrides_add_up():
    overrides = [
        DateOverride(MONDAY, ((hm("08:00"), hm("09:00")),)),
        DateOverride(MONDAY, ()),
        DateOverride(MONDAY, ((hm("15:00"), hm("16:00")),)),
    ]
    schedule = weekly("Europe/Berlin", ("09:00", "12:00"), overrides=overrides)
    assert local(day_slots(schedule, settings(60), MONDAY), "Europe/Berlin") == ["08:00", "15:00"]


@pytest.mark.parametrize(
    "spans",
    [
        [("09:00", "10:00"), ("10:00", "11:00")],  # touching
        [("09:00", "10:30"), ("10:00", "11:00")],  # overlapping
        [("09:00", "11:00"), ("09:30", "10:00")],  # contained
    ],
)
def test_windows_merge(spans):
    schedule = weekly("Europe/Berlin", *spans, days=(0,))
    assert local(day_slots(schedule, settings(90, 30), MONDAY), "Europe/Berlin") == [
        "09:00",
        "09:30",
    ]
    start, end = local_day_range("Europe/Berlin", MONDAY, MONDAY)
    assert compute_windows(schedule, start, end) == [
        Interval(utc("2026-06-01 07:00"), utc("2026-06-01 09:00"))
    ]


def test_windows_merge_across_midnight():
    schedule = Schedule(
        "Europe/Berlin",
        (WeeklyInterval(0, hm("23:00"), 1440), WeeklyInterval(1, 0, hm("00:30"))),
    )
    slots = day_slots(schedule, settings(60, 30), MONDAY, last=MONDAY + timedelta(days=1))
    assert slots == [
        at("Europe/Berlin", "2026-06-01 23:00"),
        at("Europe/Berlin", "2026-06-01 23:30"),
    ]
    start, end = local_day_range("Europe/Berlin", MONDAY, MONDAY)
    assert compute_windows(schedule, start, end) == [
        Interval(utc("2026-06-01 21:00"), utc("2026-06-01 22:30"))
    ]
    # Asking for Tuesday alone still sees the window's true start on Monday.
    tuesday = day_slots(schedule, settings(60, 30), MONDAY + timedelta(days=1))
    assert tuesday == []
    # 23:00, 23:25, 23:50, then 00:15 on Tuesday: the grid does not restart at midnight.
    tuesday_short = day_slots(schedule, settings(15, 25), MONDAY + timedelta(days=1))
    assert local(tuesday_short, "Europe/Berlin") == ["00:15"]


def test_invalid_intervals_are_ignored_one_by_one():
    schedule = Schedule(
        "Europe/Berlin",
        (
            WeeklyInterval(0, hm("12:00"), hm("11:00")),
            WeeklyInterval(0, hm("13:00"), hm("13:00")),
            WeeklyInterval(0, -30, hm("01:00")),
            WeeklyInterval(0, hm("23:00"), 1500),
            WeeklyInterval(7, hm("09:00"), hm("10:00")),
            WeeklyInterval(-1, hm("09:00"), hm("10:00")),
            WeeklyInterval(0, hm("09:00"), hm("10:00")),
        ),
    )
    assert local(day_slots(schedule, settings(30), MONDAY), "Europe/Berlin") == ["09:00", "09:30"]
    assert day_slots(schedule, settings(30), MONDAY - timedelta(days=1)) == []


# --- daylight saving -----------------------------------------------------------------------------

DST_DAYS = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Adelaide", date(2026, 4, 5)),
    ("Australia/Adelaide", date(2026, 10, 4)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
]


@pytest.mark.parametrize(("tz", "day"), DST_DAYS)
def test_hosts_keep_local_hours_across_dst(tz, day):
    schedule = weekly(tz, ("09:00", "17:00"))
    rules = settings(60)
    hours = [f"{h:02d}:00" for h in range(9, 17)]
    for offset in (-1, 0, 1):
        slots = day_slots(schedule, rules, day + timedelta(days=offset))
        assert local(slots, tz) == hours
    week = day_slots(schedule, rules, day - timedelta(days=3), last=day + timedelta(days=3))
    assert len(week) == len(set(week)) == 7 * 8


@pytest.mark.parametrize(
    ("tz", "day", "span", "expected_utc", "expected_local"),
    [
        # 02:30 does not exist: read with the old offset, it is 03:30 new time.
        ("Europe/Berlin", "2026-03-29", ("02:30", "04:00"), "2026-03-29 01:30", "03:30"),
        ("America/New_York", "2026-03-08", ("02:30", "04:00"), "2026-03-08 07:30", "03:30"),
        # Lord Howe jumps 30 minutes, 02:00 -> 02:30.
        ("Australia/Lord_Howe", "2026-10-04", ("02:00", "03:00"), "2026-10-03 15:30", "02:30"),
    ],
)
def test_skipped_local_time_uses_offset_before_the_change(
    tz, day, span, expected_utc, expected_local
):
    schedule = weekly(tz, span)
    slots = day_slots(schedule, settings(30), date.fromisoformat(day))
    assert slots == [utc(expected_utc)]
    assert local(slots, tz) == [expected_local]


def test_gap_window_rounds_its_real_wall_start():
    """02:30-05:00 on the Berlin spring night opens at 03:30 CEST; an hourly grid starts 04:00."""
    schedule = weekly("Europe/Berlin", ("02:30", "05:00"))
    slots = day_slots(schedule, settings(60), date(2026, 3, 29))
    assert local(slots, "Europe/Berlin") == ["04:00"]


@pytest.mark.parametrize(
    ("tz", "day", "first_utc"),
    [
        ("Europe/Berlin", "2026-10-25", "2026-10-24 22:00"),
        ("America/New_York", "2026-11-01", "2026-11-01 04:00"),
    ],
)
def test_repeated_hour_window_lasts_four_real_hours(tz, day, first_utc):
    schedule = weekly(tz, ("00:00", "03:00"))
    start, end = local_day_range(tz, date.fromisoformat(day), date.fromisoformat(day))
    windows = compute_windows(schedule, start, end)
    assert [w.end - w.start for w in windows] == [timedelta(hours=4)]
    slots = day_slots(schedule, settings(60), date.fromisoformat(day))
    first = utc(first_utc)
    assert slots == [first + timedelta(hours=h) for h in range(4)]


def test_repeated_time_takes_first_occurrence():
    schedule = weekly("Europe/Berlin", ("02:30", "03:00"))
    slots = day_slots(schedule, settings(30), date(2026, 10, 25))
    # 02:30 CEST (first pass) = 00:30 UTC; 03:00 CET = 02:00 UTC, so 90 real minutes.
    assert slots == [utc("2026-10-25 00:30"), utc("2026-10-25 01:00"), utc("2026-10-25 01:30")]


# --- odd offsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "expected_utc"),
    [
        ("Asia/Kolkata", "2026-06-01", ["2026-06-01 03:30", "2026-06-01 04:00"]),
        ("Asia/Kathmandu", "2026-06-01", ["2026-06-01 03:15", "2026-06-01 03:45"]),
        ("Australia/Adelaide", "2026-01-05", ["2026-01-04 22:30", "2026-01-04 23:00"]),
        ("Australia/Adelaide", "2026-07-06", ["2026-07-05 23:30", "2026-07-06 00:00"]),
        ("Australia/Lord_Howe", "2026-01-05", ["2026-01-04 22:00", "2026-01-04 22:30"]),
        ("Australia/Lord_Howe", "2026-07-06", ["2026-07-05 22:30", "2026-07-05 23:00"]),
        ("America/St_Johns", "2026-06-01", ["2026-06-01 11:30", "2026-06-01 12:00"]),
    ],
)
def test_fractional_offsets(tz, day, expected_utc):
    schedule = weekly(tz, ("09:00", "10:00"))
    slots = day_slots(schedule, settings(30), date.fromisoformat(day))
    assert slots == [utc(t) for t in expected_utc]
    assert local(slots, tz) == ["09:00", "09:30"]


# --- availability that never closes --------------------------------------------------------------


def test_all_week_availability_restarts_grid_at_local_midnight():
    schedule = weekly("Europe/Berlin", ("00:00", "24:00"))
    rules = settings(25)
    for day, hours in [(date(2026, 6, 1), 24), (date(2026, 3, 29), 23), (date(2026, 10, 25), 25)]:
        slots = day_slots(schedule, rules, day)
        assert local(slots[:3], "Europe/Berlin") == ["00:00", "00:25", "00:50"]
        assert len(slots) == -(-hours * 60 // 25)
        # The slot before midnight is on the old grid; the next day starts again at 00:00.
        nxt = day_slots(schedule, rules, day + timedelta(days=1))
        assert local(nxt[:1], "Europe/Berlin") == ["00:00"]
    start = at("Europe/Berlin", "2026-06-01 12:03")
    part = compute_slots(schedule, rules, start, start + timedelta(hours=2), EARLY)
    full = day_slots(schedule, rules, date(2026, 6, 1))
    assert part == [s for s in full if start <= s < start + timedelta(hours=2)]


def test_window_open_more_than_14_days_moves_to_midnight_grid():
    opened = date(2026, 6, 3)  # a day off on the 2nd, then round the clock
    schedule = weekly(
        "Europe/Berlin", ("00:00", "24:00"), overrides=[DateOverride(opened - timedelta(days=1))]
    )
    rules = settings(25)
    # Day 2 of the window still follows the grid from the window's start (1440 % 25 = 15).
    assert local(day_slots(schedule, rules, opened + timedelta(days=1))[:1], "Europe/Berlin") == [
        "00:10"
    ]
    # 14 dates later the window counts as never closing: back to midnight.
    assert local(day_slots(schedule, rules, opened + timedelta(days=14))[:1], "Europe/Berlin") != [
        "00:00"
    ]
    assert local(day_slots(schedule, rules, opened + timedelta(days=15))[:1], "Europe/Berlin") == [
        "00:00"
    ]


# --- busy time, buffers --------------------------------------------------------------------------


def nine_to_five(tz="Europe/Berlin"):
    return weekly(tz, ("09:00", "17:00"))


def test_back_to_back_meetings_allowed():
    busy = [
        Interval(at("Europe/Berlin", "2026-06-01 10:00"), at("Europe/Berlin", "2026-06-01 11:00"))
    ]
    slots = day_slots(nine_to_five(), settings(60), MONDAY, busy=busy)
    assert local(slots, "Europe/Berlin")[:3] == ["09:00", "11:00", "12:00"]


def test_buffers_add_up_between_neighbours():
    existing = occupied_interval(
        at("Europe/Berlin", "2026-06-01 10:00"), at("Europe/Berlin", "2026-06-01 11:00"), 0, 15
    )
    assert existing == Interval(utc("2026-06-01 08:00"), utc("2026-06-01 09:15"))
    rules = settings(30, buffer_before=15, buffer_after=10)
    slots = local(day_slots(nine_to_five(), rules, MONDAY, busy=[existing]), "Europe/Berlin")
    # 09:30 + 30 + 10 = 10:10 touches 10:00; 11:00 - 15 = 10:45 is inside the 15 after.
    assert slots[:3] == ["09:00", "11:30", "12:00"]


def test_buffers_need_not_fit_in_hours():
    rules = settings(60, buffer_before=30, buffer_after=30)
    assert local(day_slots(nine_to_five(), rules, MONDAY), "Europe/Berlin")[0] == "09:00"
    assert local(day_slots(nine_to_five(), rules, MONDAY), "Europe/Berlin")[-1] == "16:00"


def test_busy_from_imported_calendar_blocks_overlap_only():
    busy = [Interval(utc("2026-06-01 08:10"), utc("2026-06-01 08:20"))]  # 10:10-10:20 Berlin
    slots = local(day_slots(nine_to_five(), settings(30), MONDAY, busy=busy), "Europe/Berlin")
    assert "10:00" not in slots
    assert "09:30" in slots and "10:30" in slots


def test_empty_and_reversed_busy_blocks_nothing():
    t = at("Europe/Berlin", "2026-06-01 10:00")
    busy = [Interval(t, t), Interval(t + timedelta(hours=1), t)]
    assert len(day_slots(nine_to_five(), settings(60), MONDAY, busy=busy)) == 8


# --- notice, horizon, limits ---------------------------------------------------------------------


def test_minimum_notice_is_inclusive():
    now = at("Europe/Berlin", "2026-06-01 09:00")
    slots = day_slots(nine_to_five(), settings(30, min_notice=60), MONDAY, now=now)
    assert local(slots, "Europe/Berlin")[0] == "10:00"
    now = at("Europe/Berlin", "2026-06-01 09:00:00.000001")
    slots = day_slots(nine_to_five(), settings(30, min_notice=60), MONDAY, now=now)
    assert local(slots, "Europe/Berlin")[0] == "10:30"


def test_past_slots_are_not_offered():
    now = at("Europe/Berlin", "2026-06-01 12:10")
    slots = day_slots(nine_to_five(), settings(30), MONDAY, now=now)
    assert local(slots, "Europe/Berlin")[0] == "12:30"


def test_horizon_is_exclusive():
    now = at("Europe/Berlin", "2026-06-01 12:00")
    rules = settings(60, horizon_days=1)
    slots = day_slots(nine_to_five(), rules, MONDAY, now=now, last=MONDAY + timedelta(days=3))
    monday = ["12:00", "13:00", "14:00", "15:00", "16:00"]
    assert local(slots, "Europe/Berlin") == [*monday, "09:00", "10:00", "11:00"]
    assert day_slots(nine_to_five(), settings(60, horizon_days=0), MONDAY, now=now) == []


def test_daily_limit_counts_host_local_date():
    tz = "America/Los_Angeles"
    schedule = nine_to_five(tz)
    rules = settings(60, daily_limit=1)
    # 02:00 UTC on June 2nd is 19:00 on June 1st in Los Angeles.
    booked = [utc("2026-06-02 02:00")]
    assert day_slots(schedule, rules, MONDAY, booked=booked) == []
    assert len(day_slots(schedule, rules, MONDAY + timedelta(days=1), booked=booked)) == 8
    two = settings(60, daily_limit=2)
    assert len(day_slots(schedule, two, MONDAY, booked=booked)) == 8
    both = day_slots(schedule, rules, MONDAY, booked=booked, last=MONDAY + timedelta(days=1))
    assert {s.astimezone(ZoneInfo(tz)).date() for s in both} == {MONDAY + timedelta(days=1)}


def test_weekly_limit_counts_host_local_iso_week():
    tz = "America/Los_Angeles"
    schedule = nine_to_five(tz)
    rules = settings(60, weekly_limit=2)
    sunday_before = MONDAY - timedelta(days=1)
    # 02:00 UTC on Monday June 1st is 19:00 on Sunday May 31st in Los Angeles: last week.
    booked = [utc("2026-06-01 02:00"), utc("2026-06-03 17:00")]
    assert len(day_slots(schedule, rules, MONDAY + timedelta(days=6), booked=booked)) == 8
    booked.append(utc("2026-06-08 02:00"))  # Sunday June 7th, 19:00 local: this week's second
    week = day_slots(schedule, rules, sunday_before, booked=booked, last=MONDAY + timedelta(8))
    days = {s.astimezone(ZoneInfo(tz)).date() for s in week}
    # Full from Monday 00:00 to the next Monday 00:00, local; the weeks around stay open.
    assert days == {sunday_before, MONDAY + timedelta(days=7), MONDAY + timedelta(days=8)}
    assert len(day_slots(schedule, settings(60, weekly_limit=3), MONDAY, booked=booked)) == 8


def test_min_gap_keeps_meetings_apart_end_to_start():
    schedule = nine_to_five()
    tz = "Europe/Berlin"
    meeting = Interval(at(tz, "2026-06-01 12:00"), at(tz, "2026-06-01 13:00"))
    rules = settings(30, 15, min_gap=30)
    slots = local(day_slots(schedule, rules, MONDAY, booked=()), tz)
    assert "11:30" in slots and "13:00" in slots  # no meetings: nothing refused
    start, end = local_day_range(tz, MONDAY, MONDAY)
    got = local(compute_slots(schedule, rules, start, end, EARLY, meetings=[meeting]), tz)
    # Ends at 11:30 (30 minutes before) or starts at 13:30 (30 minutes after): allowed.
    assert "11:00" in got and "13:30" in got
    for refused in ("11:15", "11:30", "11:45", "12:00", "12:45", "13:00", "13:15"):
        assert refused not in got
    # The gap is beyond buffers: a 0 gap leaves back-to-back meetings to busy time alone.
    plain = compute_slots(schedule, settings(30, 15), start, end, EARLY, meetings=[meeting])
    assert "13:00" in local(plain, tz)
    assert not is_slot_available(
        schedule, rules, at(tz, "2026-06-01 13:15"), EARLY, (), (), [meeting]
    )
    assert is_slot_available(schedule, rules, at(tz, "2026-06-01 13:30"), EARLY, (), (), [meeting])


# --- visitors, output ----------------------------------------------------------------------------


def test_visitor_zone_changes_nothing():
    schedule = nine_to_five()
    rules = settings(45, 30)
    start, end = local_day_range("Europe/Berlin", MONDAY, MONDAY + timedelta(days=2))
    base = compute_slots(schedule, rules, start, end, EARLY)
    for tz in ("Asia/Tokyo", "America/Los_Angeles", "Asia/Kathmandu"):
        zone = ZoneInfo(tz)
        again = compute_slots(
            schedule, rules, start.astimezone(zone), end.astimezone(zone), EARLY.astimezone(zone)
        )
        assert again == base


def test_output_is_sorted_unique_utc():
    schedule = weekly("Australia/Lord_Howe", ("00:00", "03:00"), ("22:00", "24:00"))
    slots = day_slots(schedule, settings(20, 10), date(2026, 4, 4), last=date(2026, 4, 6))
    assert slots == sorted(set(slots))
    assert all(s.tzinfo is UTC for s in slots)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "rules"),
    [
        ("Europe/Berlin", SlotSettings(duration=0, step=30)),
        ("Europe/Berlin", SlotSettings(duration=-30, step=30)),
        ("Europe/Berlin", SlotSettings(duration=30, step=0)),
        ("Europe/Berlin", SlotSettings(duration=30, step=-15)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, buffer_before=-1)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, buffer_after=-5)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, min_notice=-60)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, horizon_days=-1)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, daily_limit=0)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, daily_limit=-2)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, weekly_limit=0)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, min_gap=-1)),
        ("Europe/Berlin", SlotSettings(duration=30, step=30, min_gap=1441)),
        ("Mars/Olympus_Mons", SlotSettings(duration=30, step=30)),
        ("", SlotSettings(duration=30, step=30)),
        ("../etc", SlotSettings(duration=30, step=30)),
        ("Europe", SlotSettings(duration=30, step=30)),
        ("Europe/Berlin/", SlotSettings(duration=30, step=30)),
        ("/etc/localtime", SlotSettings(duration=30, step=30)),
    ],
)
def test_bad_settings_give_no_slots(tz, rules):
    schedule = weekly(tz, ("09:00", "17:00"))
    start = utc("2026-06-01 00:00")
    assert compute_slots(schedule, rules, start, start + timedelta(days=7), EARLY) == []
    assert not is_slot_available(schedule, rules, utc("2026-06-01 07:00"), EARLY)


def test_unknown_zone_gives_no_windows():
    start = utc("2026-06-01 00:00")
    assert (
        compute_windows(weekly("Nowhere/Land", ("09:00", "17:00")), start, start + timedelta(1))
        == []
    )


def test_reversed_range_gives_nothing():
    start = utc("2026-06-01 12:00")
    assert compute_slots(nine_to_five(), settings(30), start, start, EARLY) == []
    assert compute_slots(nine_to_five(), settings(30), start, start - timedelta(1), EARLY) == []
    assert compute_windows(nine_to_five(), start, start - timedelta(1)) == []


@pytest.mark.parametrize("which", ["start", "end", "now", "busy", "booked"])
def test_naive_datetimes_raise(which):
    aware = {
        "start": utc("2026-06-01 00:00"),
        "end": utc("2026-06-02 00:00"),
        "now": EARLY,
        "busy": [Interval(utc("2026-06-01 08:00"), utc("2026-06-01 09:00"))],
        "booked": [utc("2026-06-01 08:00")],
    }
    naive = datetime(2026, 6, 1, 8)
    aware[which] = {
        "busy": [Interval(naive, naive + timedelta(hours=1))],
        "booked": [naive],
    }.get(which, naive)
    with pytest.raises(ValueError, match="aware"):
        compute_slots(
            nine_to_five(),
            settings(30, daily_limit=3),
            aware["start"],
            aware["end"],
            aware["now"],
            aware["busy"],
            aware["booked"],
        )


def test_naive_datetimes_raise_elsewhere():
    naive = datetime(2026, 6, 1, 8)
    with pytest.raises(ValueError):
        is_slot_available(nine_to_five(), settings(30), naive, EARLY)
    with pytest.raises(ValueError):
        compute_windows(nine_to_five(), naive, naive + timedelta(1))
    with pytest.raises(ValueError):
        occupied_interval(naive, naive, 0, 0)


def test_range_is_capped():
    schedule = weekly("UTC", ("00:00", "24:00"))
    start = utc("2026-06-01 00:00")
    slots = compute_slots(schedule, settings(60), start, start + timedelta(days=100), EARLY)
    assert slots[-1] == start + timedelta(days=MAX_RANGE_DAYS, hours=-1)
    assert len(slots) == MAX_RANGE_DAYS * 24


def test_huge_values_do_not_hang_or_raise():
    schedule = weekly("Europe/Berlin", ("00:00", "24:00"))
    start = utc("2026-06-01 00:00")
    end = start + timedelta(days=MAX_RANGE_DAYS)
    for rules in (
        SlotSettings(duration=10**9, step=30),
        SlotSettings(duration=30, step=10**12, horizon_days=10**9),
        SlotSettings(duration=30, step=30, min_notice=10**15, buffer_before=10**12),
        SlotSettings(duration=30, step=30, horizon_days=10**15, buffer_after=10**12),
    ):
        assert isinstance(compute_slots(schedule, rules, start, end, EARLY), list)
    # A buffer only reaches one way: before the slot, or after the meeting.
    meeting = Interval(start + timedelta(days=3), start + timedelta(days=3, hours=1))
    huge_before = SlotSettings(duration=30, step=30, buffer_before=10**12, horizon_days=3650)
    slots = compute_slots(schedule, huge_before, start, end, EARLY, [meeting])
    assert slots[-1] == meeting.start - timedelta(minutes=30)
    huge_after = SlotSettings(duration=30, step=30, buffer_after=10**12, horizon_days=3650)
    slots = compute_slots(schedule, huge_after, start, end, EARLY, [meeting])
    assert slots[0] == meeting.end


# --- is_slot_available ---------------------------------------------------------------------------


def test_is_slot_available_agrees_with_compute_slots():
    schedule = weekly("Europe/Berlin", ("09:15", "17:00"))
    rules = settings(30, 45, buffer_after=10, min_notice=120)
    now = at("Europe/Berlin", "2026-06-01 10:00")
    busy = [
        Interval(at("Europe/Berlin", "2026-06-01 14:00"), at("Europe/Berlin", "2026-06-01 15:00"))
    ]
    start, end = local_day_range("Europe/Berlin", MONDAY, MONDAY + timedelta(days=1))
    slots = compute_slots(schedule, rules, start, end, now, busy)
    assert slots
    candidates = [start + timedelta(minutes=5 * k) for k in range(2 * 24 * 12)]
    for candidate in candidates:
        assert is_slot_available(schedule, rules, candidate, now, busy) == (candidate in slots)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-06-01 10:00", True),
        ("2026-06-01 10:00:01", False),  # off grid by a second
        ("2026-06-01 10:00:00.5", False),
        ("2026-06-01 10:10", False),  # off grid
        ("2026-06-01 13:30", False),  # busy
        ("2026-06-01 08:00", False),  # outside hours
        ("2026-05-25 10:00", False),  # past
        ("2026-09-01 10:00", False),  # beyond the horizon
    ],
)
def test_is_slot_available_cases(when, expected):
    now = at("Europe/Berlin", "2026-05-31 12:00")
    busy = [
        Interval(at("Europe/Berlin", "2026-06-01 13:00"), at("Europe/Berlin", "2026-06-01 14:00"))
    ]
    rules = SlotSettings(duration=30, step=30, horizon_days=30)
    slot = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert is_slot_available(nine_to_five(), rules, slot, now, busy) is expected


# --- helpers -------------------------------------------------------------------------------------


def test_local_day_range_handles_dst():
    start, end = local_day_range("Europe/Berlin", date(2026, 3, 29), date(2026, 3, 29))
    assert (start, end) == (utc("2026-03-28 23:00"), utc("2026-03-29 22:00"))
    start, end = local_day_range("Europe/Berlin", date(2026, 10, 1), date(2026, 10, 31))
    assert end - start == timedelta(days=31, hours=1)
    assert start.tzinfo is UTC
    with pytest.raises(ValueError):
        local_day_range("Not/AZone", date(2026, 1, 1), date(2026, 1, 1))


def test_group_by_local_date_uses_the_given_zone():
    slots = [utc("2026-06-01 22:30"), utc("2026-06-01 23:30"), utc("2026-06-02 08:00")]
    assert group_by_local_date(slots, "UTC") == {
        date(2026, 6, 1): slots[:2],
        date(2026, 6, 2): slots[2:],
    }
    assert group_by_local_date(slots, "Asia/Kolkata") == {
        date(2026, 6, 2): slots,
    }
    assert group_by_local_date([], "Europe/Berlin") == {}


def test_occupied_interval_widens_by_buffers():
    start = at("Europe/Berlin", "2026-06-01 10:00")
    occupied = occupied_interval(start, start + timedelta(minutes=30), 10, 5)
    assert occupied == Interval(utc("2026-06-01 07:50"), utc("2026-06-01 08:35"))
    assert occupied.start.tzinfo is UTC
    assert occupied_interval(start, start, -5, -5) == Interval(start, start)


def test_compute_windows_returns_true_extent():
    schedule = weekly("Europe/Berlin", ("09:00", "17:00"), days=(0,))
    noon = at("Europe/Berlin", "2026-06-01 12:00")
    assert compute_windows(schedule, noon, noon + timedelta(minutes=1)) == [
        Interval(utc("2026-06-01 07:00"), utc("2026-06-01 15:00"))
    ]
    assert compute_windows(schedule, noon + timedelta(hours=5), noon + timedelta(hours=6)) == []


def test_common_zones_start_from_the_given_ones_and_stay_short():
    from scheduling.availability.timezones import EU_ZONES, all_zones, common_zones

    zones = common_zones("America/Anchorage", None, "", "Not/AZone", "Europe/Paris")
    assert "America/Anchorage" in zones and "Not/AZone" not in zones
    assert set(EU_ZONES) <= set(zones) <= set(all_zones())
    assert zones[-1] == "UTC" and list(zones[:-1]) == sorted(zones[:-1])
    assert len(zones) == len(set(zones)) < 60
