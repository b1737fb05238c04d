"""Round-robin host choice: eligibility, tie-breaks, explanations, periods, equal distribution."""

import json
from datetime import UTC, datetime

import pytest

from scheduling.routing import (
    PERIODS,
    Ledger,
    Member,
    MemberStats,
    equal_distribution_hidden,
    period_bounds,
    period_start,
    pick_host,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def stats(*rows):
    return {row.host_id: row for row in rows}


def test_largest_deficit_wins():
    members = [Member(1), Member(2), Member(3)]
    standing = stats(MemberStats(1, 5, 5.2), MemberStats(2, 4, 5.5), MemberStats(3, 6, 5.3))
    pick = pick_host(members, standing, {1, 2, 3})
    assert pick.host_id == 2
    assert pick.explanation["decided_by"] == "deficit"


def test_priority_breaks_ties():
    members = [Member(1, priority=0), Member(2, priority=3), Member(3, priority=1)]
    pick = pick_host(members, {}, {1, 2, 3})
    assert (pick.host_id, pick.explanation["decided_by"]) == (2, "priority")


def test_priority_only_among_the_tied():
    members = [Member(1, priority=0), Member(2, priority=9)]
    standing = stats(MemberStats(1, 0, 1), MemberStats(2, 1, 1))
    assert pick_host(members, standing, {1, 2}).host_id == 1


def test_recency_breaks_ties_and_never_booked_comes_first():
    members = [Member(1), Member(2), Member(3)]
    standing = stats(
        MemberStats(1, 2, 2, last_booked_at=datetime(2026, 3, 1, 10, tzinfo=UTC)),
        MemberStats(2, 2, 2, last_booked_at=datetime(2026, 3, 1, 9, tzinfo=UTC)),
        MemberStats(3, 2, 2, last_booked_at=datetime(2026, 3, 1, 11, tzinfo=UTC)),
    )
    pick = pick_host(members, standing, {1, 2, 3})
    assert (pick.host_id, pick.explanation["decided_by"]) == (2, "recency")
    never = {**standing, 3: MemberStats(3, 2, 2)}
    assert pick_host(members, never, {1, 2, 3}).host_id == 3


def test_stable_order_by_host_id():
    members = [Member(9), Member(4), Member(7)]
    pick = pick_host(members, {}, {9, 4, 7})
    assert (pick.host_id, pick.explanation["decided_by"]) == (4, "order")


def test_tolerance_treats_float_noise_as_a_tie():
    members = [Member(1), Member(2)]
    standing = stats(MemberStats(1, 1, 1 / 3 + 2 / 3), MemberStats(2, 1, 1.0 + 1e-12))
    assert pick_host(members, standing, {1, 2}).explanation["decided_by"] == "order"
    # Over a long period the noise grows with the sums; the tolerance grows with them.
    long_run = stats(MemberStats(1, 90_000, 90_000 + 2e-7), MemberStats(2, 90_000, 90_000))
    assert pick_host(members, long_run, {1, 2}).explanation["decided_by"] == "order"
    real_gap = stats(MemberStats(1, 90_000, 90_000.01), MemberStats(2, 90_000, 90_000))
    assert pick_host(members, real_gap, {1, 2}).explanation["decided_by"] == "deficit"


def test_only_candidate():
    pick = pick_host([Member(1), Member(2)], {}, {2})
    assert (pick.host_id, pick.explanation["decided_by"]) == (2, "only candidate")
    assert pick.shares == {2: 1.0}


def test_weights_set_shares_of_eligible_members():
    members = [Member(1, weight=2), Member(2), Member(3), Member(4, weight=4)]
    pick = pick_host(members, {}, {1, 2, 3})
    assert pick.shares == {1: 0.5, 2: 0.25, 3: 0.25}
    assert sum(pick.shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("weight", [0, -1])
def test_weight_zero_is_never_eligible(weight):
    pick = pick_host([Member(1, weight=weight), Member(2)], stats(MemberStats(1, 0, 99)), {1, 2})
    assert pick.host_id == 2
    skipped = {c["host_id"]: c["skipped"] for c in pick.explanation["candidates"]}
    assert skipped == {1: "weight 0", 2: None}
    assert 1 not in pick.shares


def test_daily_cap_skips_with_reason():
    members = [Member(1, daily_cap=3), Member(2)]
    standing = stats(MemberStats(1, 0, 5, today=3), MemberStats(2, 5, 5, today=5))
    pick = pick_host(members, standing, {1, 2})
    assert pick.host_id == 2
    assert pick.explanation["candidates"][0]["skipped"] == "daily cap reached"
    below = stats(MemberStats(1, 0, 5, today=2), MemberStats(2, 5, 5))
    assert pick_host(members, below, {1, 2}).host_id == 1


def test_weekly_cap_skips_with_reason():
    members = [Member(1, weekly_cap=10), Member(2, weekly_cap=10)]
    standing = stats(MemberStats(1, 0, 5, this_week=10), MemberStats(2, 5, 5, this_week=9))
    pick = pick_host(members, standing, {1, 2})
    assert pick.host_id == 2
    assert pick.explanation["candidates"][0]["skipped"] == "weekly cap reached"


def test_none_free():
    members = [Member(1, daily_cap=1), Member(2), Member(3, weight=0)]
    pick = pick_host(members, stats(MemberStats(1, 0, 0, today=1)), {1, 3})
    assert pick.host_id is None
    assert pick.shares == {}
    assert pick.explanation["decided_by"] == "none free"
    assert pick.explanation["winner"] is None
    reasons = [c["skipped"] for c in pick.explanation["candidates"]]
    assert reasons == ["daily cap reached", "not free", "weight 0"]


def test_empty_pool():
    pick = pick_host([], {}, {1})
    assert (pick.host_id, pick.explanation["decided_by"]) == (None, "none free")


def test_duplicate_members_count_once():
    pick = pick_host([Member(1), Member(1, weight=5), Member(2)], {}, {1, 2})
    assert pick.shares == {1: 0.5, 2: 0.5}


def test_explanation_is_json_and_complete():
    members = [Member(1, weight=2, priority=1, daily_cap=4), Member(2), Member(3)]
    standing = stats(
        MemberStats(1, 3, 3.5, today=1, last_booked_at=datetime(2026, 3, 1, 9, tzinfo=UTC)),
        MemberStats(2, 2, 1.75),
    )
    pick = pick_host(members, standing, {1, 2}, period="week")
    explanation = json.loads(json.dumps(pick.explanation))
    assert explanation["period"] == "week"
    assert explanation["winner"] == pick.host_id == 1
    assert explanation["decided_by"] == "deficit"
    assert "calibration" in explanation and "not flooded" in explanation["calibration"]
    assert explanation["summary"] == "Host 1 was furthest below their fair share."
    first, second, third = explanation["candidates"]
    assert first == {
        "host_id": 1,
        "weight": 2,
        "priority": 1,
        "share": pytest.approx(2 / 3, abs=1e-6),
        "expected": 3.5,
        "assigned": 3,
        "deficit": 0.5,
        "today": 1,
        "this_week": 0,
        "daily_cap": 4,
        "weekly_cap": None,
        "last_booked_at": "2026-03-01T09:00:00+00:00",
        "skipped": None,
    }
    assert second["deficit"] == -0.25
    assert third["skipped"] == "not free"
    assert third["share"] == 0


def test_shares_sum_to_one():
    members = [Member(h, weight=w) for h, w in [(1, 3), (2, 1), (3, 5), (4, 2)]]
    pick = pick_host(members, {}, {1, 2, 3, 4})
    assert sum(pick.shares.values()) == pytest.approx(1.0)


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "moment", "tz", "start"),
    [
        ("day", datetime(2026, 3, 4, 23, 30, tzinfo=UTC), "Europe/Berlin", "2026-03-04T23:00"),
        ("day", datetime(2026, 3, 4, 22, 59, tzinfo=UTC), "Europe/Berlin", "2026-03-03T23:00"),
        ("week", datetime(2026, 3, 8, 12, tzinfo=UTC), "Europe/Berlin", "2026-03-01T23:00"),
        ("week", datetime(2026, 3, 9, 3, tzinfo=UTC), "America/New_York", "2026-03-02T05:00"),
        ("month", datetime(2026, 4, 1, 3, tzinfo=UTC), "America/New_York", "2026-03-01T05:00"),
        ("month", datetime(2026, 4, 1, 5, tzinfo=UTC), "America/New_York", "2026-04-01T04:00"),
        # Havana skips midnight on 8 March 2026: the day starts at 01:00 local (05:00 UTC).
        ("day", datetime(2026, 3, 8, 12, tzinfo=UTC), "America/Havana", "2026-03-08T05:00"),
    ],
)
def test_period_start(period, moment, tz, start):
    result = period_start(period, moment, tz)
    assert result.tzinfo is UTC
    assert result.isoformat(timespec="minutes") == start + "+00:00"


def test_period_bounds_cover_the_moment():
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Berlin springs forward this night
    for period in PERIODS:
        start, end = period_bounds(period, moment, "Europe/Berlin")
        assert start <= moment < end
        assert start == period_start(period, moment, "Europe/Berlin")
    start, end = period_bounds("day", moment, "Europe/Berlin")
    assert (end - start).total_seconds() == 23 * 3600
    start, end = period_bounds("month", datetime(2026, 12, 31, tzinfo=UTC), "UTC")
    assert (start.month, end.year, end.month) == (12, 2027, 1)


def test_period_start_refuses_bad_input():
    with pytest.raises(ValueError, match="Unknown period"):
        period_start("year", T0, "UTC")
    with pytest.raises(ValueError, match="aware"):
        period_start("day", datetime(2026, 1, 1), "UTC")


# --- equal distribution --------------------------------------------------------------------


def test_equal_distribution_hides_members_more_than_gap_ahead():
    members = [Member(1), Member(2), Member(3)]
    standing = stats(MemberStats(1, 10, 0), MemberStats(2, 12, 0), MemberStats(3, 13, 0))
    assert equal_distribution_hidden(members, standing, 2) == {3}
    assert equal_distribution_hidden(members, standing, 1) == {2, 3}
    assert equal_distribution_hidden(members, standing, 3) == set()


def test_equal_distribution_counts_per_weight():
    members = [Member(1, weight=2), Member(2)]
    standing = stats(MemberStats(1, 20, 0), MemberStats(2, 10, 0))
    assert equal_distribution_hidden(members, standing, 0) == set()
    standing = stats(MemberStats(1, 20, 0), MemberStats(2, 8, 0))
    assert equal_distribution_hidden(members, standing, 1) == {1}  # 10 per weight vs 8


def test_equal_distribution_share_basis_keeps_calibration():
    # Host 3 was away: few bookings, but no missed share either.
    members = [Member(1), Member(2), Member(3)]
    standing = stats(MemberStats(1, 30, 30), MemberStats(2, 31, 30.5), MemberStats(3, 2, 2.5))
    assert equal_distribution_hidden(members, standing, 2) == {1, 2}
    assert equal_distribution_hidden(members, standing, 2, basis="share") == set()
    standing[2] = MemberStats(2, 34, 30.5)
    assert equal_distribution_hidden(members, standing, 2, basis="share") == {2}


def test_equal_distribution_edge_cases():
    assert equal_distribution_hidden([], {}, 1) == set()
    members = [Member(1, weight=0), Member(2)]
    assert equal_distribution_hidden(members, stats(MemberStats(1, 50, 0)), 1) == set()
    with pytest.raises(ValueError, match="basis"):
        equal_distribution_hidden(members, {}, 1, basis="mood")


# --- ledger --------------------------------------------------------------------------------


def test_ledger_records_credits_and_adjusts():
    ledger = Ledger([1, 2])
    pick = pick_host([Member(1, weight=3), Member(2)], ledger.stats(), {1, 2})
    ledger.record(pick, T0)
    assert ledger.assigned == {1: 1, 2: 0}
    assert ledger.expected == {1: 0.75, 2: 0.25}
    assert ledger.last_booked_at == {1: T0, 2: None}
    ledger.credit_back(1)
    ledger.adjust(2, -2)
    standing = ledger.stats()
    assert (standing[1].assigned, standing[2].assigned) == (0, -2)


def test_ledger_day_and_week_counts_follow_the_zone():
    ledger = Ledger([1], tz="Europe/Berlin")
    pick = pick_host([Member(1)], ledger.stats(), {1})
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # Monday 2 March, 00:30 in Berlin
    ledger.record(pick, late)
    monday = ledger.stats(at=datetime(2026, 3, 2, 9, tzinfo=UTC))[1]
    assert (monday.today, monday.this_week) == (1, 1)
    sunday = ledger.stats(at=datetime(2026, 3, 1, 9, tzinfo=UTC))[1]
    assert (sunday.today, sunday.this_week) == (0, 0)
    ledger.credit_back(1, booked_at=late)
    monday = ledger.stats(at=datetime(2026, 3, 2, 9, tzinfo=UTC))[1]
    assert (monday.today, monday.this_week, monday.assigned) == (0, 0, 0)


def test_ledger_ignores_empty_picks():
    ledger = Ledger([1])
    ledger.record(pick_host([Member(1)], {}, set()), T0)
    assert ledger.assigned == {1: 0} and ledger.expected == {1: 0}
