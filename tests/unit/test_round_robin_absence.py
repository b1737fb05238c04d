"""Round-robin and out of office: an absent member accrues no share and does not catch up."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.routing import Member, pick_host
from scheduling.routing.round_robin import Ledger

START = datetime(2030, 1, 7, 9, tzinfo=UTC)


def _run(ledger, members, free, picks, offset):
    winners = []
    for n in range(picks):
        pick = pick_host(members, ledger.stats(), free)
        ledger.record(pick, START + timedelta(hours=offset + n))
        winners.append(pick.host_id)
    return winners


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(1, 3), min_size=2, max_size=5),
    st.integers(0, 12),
    st.integers(1, 30),
    st.integers(1, 40),
)
def test_an_absent_member_does_not_catch_up(weights, before, away, after):
    members = [Member(host_id=i + 1, weight=w) for i, w in enumerate(weights)]
    everyone = [m.host_id for m in members]
    absent = members[0].host_id
    ledger = Ledger(everyone)
    _run(ledger, members, everyone, before, 0)
    expected_before = ledger.expected[absent]
    assigned_before = ledger.assigned[absent]
    during = _run(ledger, members, everyone[1:], away, before)
    # While away: never picked, and the fair share does not grow.
    assert absent not in during
    assert ledger.expected[absent] == expected_before
    assert ledger.assigned[absent] == assigned_before
    # Back: over the next picks they get no more than their weighted share (plus one for
    # rounding and the deficit they had before), not the turns they missed.
    back = _run(ledger, members, everyone, after, before + away)
    share = members[0].weight / sum(weights)
    deficit_before = max(0.0, expected_before - assigned_before)
    assert back.count(absent) <= after * share + deficit_before + 1 + 1e-9
