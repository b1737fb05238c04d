"""Round-robin over thousands of bookings: shares, absence, newcomers, credits, property checks.

The pool's standing lives in a Ledger, as the database would hold it; each booking is one
pick_host call on the ledger's stats followed by ledger.record.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.routing import Ledger, Member, equal_distribution_hidden, pick_host

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
STEP = timedelta(minutes=10)  # 1,000 bookings are just under a week


def book(ledger, members, free, n, first=0):
    """Book n slots; `free` maps the booking index to the free host ids. Return the winners."""
    winners = []
    for i in range(first, first + n):
        when = START + i * STEP
        pick = pick_host(members, ledger.stats(at=when), free(i))
        ledger.record(pick, when)
        winners.append(pick.host_id)
    return winners


def everyone(members):
    ids = frozenset(m.host_id for m in members)
    return lambda i: ids


WEIGHTED = [Member(1, weight=2), Member(2), Member(3)]
SHARES = {1: 0.5, 2: 0.25, 3: 0.25}


def test_ten_thousand_bookings_follow_weights_2_1_1():
    ledger = Ledger([1, 2, 3])
    counts = Counter(book(ledger, WEIGHTED, everyone(WEIGHTED), 10_000))
    assert counts == {1: 5000, 2: 2500, 3: 2500}
    for host_id, share in SHARES.items():
        assert abs(counts[host_id] / 10_000 - share) <= 0.01
        assert abs(counts[host_id] - 10_000 * share) <= 1


def test_member_away_for_a_week_is_neither_booked_nor_flooded():
    ledger = Ledger([1, 2, 3])
    away = range(1500, 2500)

    def free(i):
        return {1, 2} if i in away else {1, 2, 3}

    winners = book(ledger, WEIGHTED, free, 4000)
    assert winners[away.start : away.stop].count(3) == 0
    after_return = winners[away.stop : away.stop + 100].count(3)
    assert 25 - 2 <= after_return <= 25 + 2
    counts = Counter(winners)
    assert counts[3] == 750  # a quarter of the 3,000 bookings made while present
    assert ledger.expected[3] == 750
    for host_id in (1, 2, 3):
        assert abs(ledger.assigned[host_id] - ledger.expected[host_id]) < 1
    # While 3 was away, 1 and 2 shared its part by their weights (2:1).
    absence = Counter(winners[away.start : away.stop])
    assert absence == {1: 667, 2: 333} or absence == {1: 666, 2: 334}


def test_new_member_joining_late_is_not_flooded():
    ledger = Ledger([1, 2, 3])
    book(ledger, WEIGHTED, everyone(WEIGHTED), 2000)
    grown = [*WEIGHTED, Member(4, weight=1)]  # shares now 2:1:1:1
    winners = book(ledger, grown, everyone(grown), 2000, first=2000)
    assert 20 - 2 <= winners[:100].count(4) <= 20 + 2
    assert winners[0] == 4  # level with everyone, and never booked: first by recency
    assert Counter(winners)[4] == 400
    for host_id in (1, 2, 3, 4):
        assert abs(ledger.assigned[host_id] - ledger.expected[host_id]) < 1


def first_turn(ledger, members, start):
    """Index (from start) of the next booking for each member, on a copy of the run."""
    seen = {}
    winners = book(ledger, members, everyone(members), 12, first=start)
    for index, host_id in enumerate(winners):
        seen.setdefault(host_id, index)
    return seen


def test_cancelled_booking_gives_the_credit_back():
    members = [Member(1), Member(2), Member(3), Member(4)]
    control, credited = Ledger(), Ledger()
    for ledger in (control, credited):
        book(ledger, members, everyone(members), 40)
    last = max(control.last_booked_at, key=lambda h: control.last_booked_at[h])
    credited.credit_back(last)
    assert credited.stats()[last].assigned == control.stats()[last].assigned - 1
    assert first_turn(credited, members, 40)[last] == 0
    assert first_turn(control, members, 40)[last] == 3


def test_manual_adjustments_shift_the_next_picks():
    members = [Member(1), Member(2), Member(3)]
    ledger = Ledger()
    book(ledger, members, everyone(members), 30)
    ledger.adjust(2, -2)  # a manager owes host 2 two bookings
    assert book(ledger, members, everyone(members), 2, first=30) == [2, 2]
    ledger.adjust(1, 3)  # and counts three outside bookings against host 1
    winners = book(ledger, members, everyone(members), 9, first=32)
    assert winners.count(1) == 0 or winners.index(1) >= 6
    assert Counter(winners)[1] <= 1


def test_equal_distribution_reports_members_who_ran_ahead():
    members = [Member(1), Member(2), Member(3)]
    ledger = Ledger([1, 2, 3])

    def free(i):
        return {1} if i < 6 else {1, 2, 3}  # 2 and 3 were booked up elsewhere

    book(ledger, members, free, 6)
    assert equal_distribution_hidden(members, ledger.stats(), 3) == {1}
    assert equal_distribution_hidden(members, ledger.stats(), 6) == set()
    # On the calibrated basis host 1 took only what it was eligible for: nothing to hide.
    assert equal_distribution_hidden(members, ledger.stats(), 3, basis="share") == set()


# --- properties ----------------------------------------------------------------------------

pools = st.lists(
    st.builds(
        Member,
        st.integers(0, 10**6),
        weight=st.integers(0, 5),
        priority=st.integers(0, 2),
        daily_cap=st.none() | st.integers(0, 4),
        weekly_cap=st.none() | st.integers(1, 12),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda m: m.host_id,
)


steps = st.lists(
    st.tuples(
        st.sampled_from([1, 3, 9, 30]),  # hours since the previous booking
        st.lists(st.booleans(), min_size=6, max_size=6),  # who is free
        st.integers(0, 9),  # 0: the booking is cancelled at once
    ),
    min_size=1,
    max_size=50,
)


@settings(max_examples=100, deadline=None)
@given(pools, steps)
def test_no_pick_ever_chooses_an_ineligible_member(members, plan):
    ids = [m.host_id for m in members]
    ledger = Ledger(ids, tz="Europe/Berlin")
    when = START
    for hours, mask, cancel in plan:
        when += timedelta(hours=hours)
        free = {host_id for host_id, is_free in zip(ids, mask, strict=False) if is_free}
        standing = ledger.stats(at=when)
        pick = pick_host(members, standing, free)
        eligible = {
            m.host_id
            for m in members
            if m.weight > 0
            and m.host_id in free
            and (m.daily_cap is None or standing[m.host_id].today < m.daily_cap)
            and (m.weekly_cap is None or standing[m.host_id].this_week < m.weekly_cap)
        }
        assert set(pick.shares) == eligible
        if eligible:
            assert pick.host_id in eligible
            assert abs(sum(pick.shares.values()) - 1) < 1e-9
            deficits = {h: standing[h].expected - standing[h].assigned for h in eligible}
            assert deficits[pick.host_id] >= max(deficits.values()) - 1e-9
        else:
            assert pick.host_id is None
        ledger.record(pick, when)
        if cancel == 0 and pick.host_id is not None:
            ledger.credit_back(pick.host_id, booked_at=when)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=6),
    st.lists(st.integers(0, 2), min_size=6, max_size=6),
    st.integers(1, 150),
)
def test_always_free_pools_stay_close_to_their_shares(weights, priorities, n):
    """Nobody is ever a booking ahead; nobody falls far behind.

    Being ahead is bounded by 1 exactly: the winner has the largest deficit, which is at least
    0 while deficits sum to 0. Falling behind can slightly pass 1 with unequal weights (1:1:1:5
    reaches 1.125 after a few bookings), so that side is checked against 1.5.
    """
    members = [
        Member(i, weight=w, priority=p)
        for i, (w, p) in enumerate(zip(weights, priorities, strict=False))
    ]
    ledger = Ledger([m.host_id for m in members])
    free = everyone(members)
    for i in range(n):
        book(ledger, members, free, 1, first=i)
        for m in members:
            assert ledger.assigned[m.host_id] - ledger.expected[m.host_id] < 1
            assert ledger.expected[m.host_id] - ledger.assigned[m.host_id] < 1.5
    assert abs(sum(ledger.expected.values()) - n) < 1e-6


def test_falling_behind_can_pass_one_booking():
    """The documented edge of the bound above: weights 1:1:1:5, all free, equal priority."""
    members = [Member(1), Member(2), Member(3), Member(4, weight=5)]
    ledger = Ledger([1, 2, 3, 4])
    worst = 0.0
    for i in range(16):
        book(ledger, members, everyone(members), 1, first=i)
        worst = max(worst, *(ledger.expected[h] - ledger.assigned[h] for h in (1, 2, 3, 4)))
    assert 1 < worst < 1.5
