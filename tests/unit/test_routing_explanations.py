"""Round-robin explanations in words with host names (pure)."""

from scheduling import routing as rt
from scheduling.routing.explanations import explain_pick

NAMES = {1: "Anna", 2: "Ben"}


def pick(stats, free=(1, 2), members=(1, 2)):
    return rt.pick_host([rt.Member(i) for i in members], stats, set(free))


def test_each_reason_names_the_winner():
    even = {1: rt.MemberStats(1, 1, 1), 2: rt.MemberStats(2, 1, 1)}
    behind = {1: rt.MemberStats(1, 1, 1), 2: rt.MemberStats(2, 0, 1)}
    assert explain_pick(pick(behind).explanation, NAMES) == (
        "Ben was furthest below their fair share."
    )
    assert explain_pick(pick(even, free=(2,)).explanation, NAMES) == (
        "Ben was the only eligible member."
    )
    assert explain_pick(pick(even).explanation, NAMES) == (
        "Anna tied on fair share, priority and recency and comes first in order."
    )
    message = explain_pick(pick(even, free=()).explanation, NAMES)
    assert message == "No member of the pool is free and under their caps for this slot."


def test_the_message_keeps_its_msgid_for_translation():
    message = explain_pick({"winner": 2, "decided_by": "deficit"}, NAMES)
    assert message.template == "%(name)s was furthest below their fair share."
    assert message.params == {"name": "Ben"}


def test_old_and_odd_explanations():
    assert (
        explain_pick({"summary": "Host 1 was furthest below"}, NAMES) == "Anna was furthest below"
    )
    assert explain_pick({"summary": "Host 7 won"}, NAMES) == "(a deleted host) won"
    assert explain_pick({"winner": "x", "decided_by": "deficit"}, NAMES).startswith("(a deleted")
    assert explain_pick(None, NAMES) == ""
    assert explain_pick({"decided_by": "magic", "summary": ""}, NAMES) == ""
