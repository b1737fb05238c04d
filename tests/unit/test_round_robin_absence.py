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


def test_the_covering_colleague_carries_the_absent_members_weight():
    from scheduling.routing.round_robin import hand_over_weights

    members = [Member(1, weight=2), Member(2, weight=1), Member(3, weight=1)]
    handed = hand_over_weights(members, {1: 3})
    assert [m.weight for m in handed] == [2, 1, 3]
    # A colleague outside the team, or nobody covering, changes nothing.
    assert hand_over_weights(members, {1: 9}) == members
    assert hand_over_weights(members, {}) == members


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=3, max_size=5), st.integers(6, 40))
def test_while_away_the_colleague_gets_the_absent_members_share(weights, away):
    from scheduling.routing.round_robin import hand_over_weights

    members = [Member(host_id=i + 1, weight=w) for i, w in enumerate(weights)]
    everyone = [m.host_id for m in members]
    absent, colleague = everyone[0], everyone[1]
    handed = hand_over_weights(members, {absent: colleague})
    ledger = Ledger(everyone)
    winners = _run(ledger, handed, everyone[1:], away, 0)
    assert absent not in winners
    # The colleague's turns follow their own weight plus the absent member's, within one turn.
    total = sum(weights[1:]) + weights[0]
    fair = away * (weights[1] + weights[0]) / total
    assert abs(winners.count(colleague) - fair) <= 1 + 1e-9
