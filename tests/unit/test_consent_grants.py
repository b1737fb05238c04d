"""Pure consent rules: withdrawals name their grant, and when a grant id may still store."""

from datetime import UTC, datetime, timedelta

import pytest

from scheduling.attribution import (
    REFUSALS,
    GrantState,
    clean_decision,
    grant_expires_at,
    grant_refusal,
    withdrawal_refusal,
)

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
GRANT = "a" * 32


def raw(**changes):
    return {
        "origin": "https://www.customer.example",
        "decision": "granted",
        "source": "api",
        "notice": "We measure campaigns.",
        "purposes": ["attribution"],
        **changes,
    }


def state(**changes):
    values = {
        "organisation_id": 1,
        "decision": "granted",
        "decided_at": NOW - timedelta(days=1),
        "withdrawn_at": None,
        "erased": False,
    }
    return GrantState(**{**values, **changes})


def test_a_withdrawal_keeps_the_grant_it_ends():
    decision, errors = clean_decision(raw(decision="withdrawn", ends=GRANT))
    assert errors == {} and decision.ends == GRANT and decision.decision == "withdrawn"


@pytest.mark.parametrize("ends", [None, "", "G" * 32, "a" * 31, 42, ["a" * 32]])
def test_a_withdrawal_without_a_grant_id_is_refused(ends):
    decision, errors = clean_decision(raw(decision="withdrawn", ends=ends))
    assert decision is None
    assert errors == {"ends": "A withdrawal names the consent id of the grant it ends."}


@pytest.mark.parametrize("kind", ["granted", "refused"])
def test_only_withdrawals_name_a_grant(kind):
    assert clean_decision(raw(decision=kind, ends=GRANT))[1] == {
        "ends": "Only a withdrawal names a grant it ends."
    }
    assert clean_decision(raw(decision=kind))[0].ends is None


@pytest.mark.parametrize(
    ("purposes", "problem"),
    [
        (["attribution", "attribution"], "Name each purpose once."),
        (["attribution", {"x": 1}], "A list of: attribution, ads."),
        (["attribution", "Ads"], "A list of: attribution, ads."),
        (["ads"], "The ads purpose comes only with attribution."),
        ([], "A list of: attribution, ads."),
    ],
)
def test_purposes_are_known_and_named_once(purposes, problem):
    assert clean_decision(raw(purposes=purposes))[1] == {"purposes": problem}


def test_purposes_are_kept_exactly_as_given():
    assert clean_decision(raw(purposes=["ads", "attribution"]))[0].purposes == (
        "ads",
        "attribution",
    )


def test_a_live_grant_of_the_organisation_stores():
    assert grant_refusal(state(), 1, NOW, 30) is None


@pytest.mark.parametrize(
    ("grant", "org", "expected"),
    [
        (None, 1, "unknown"),
        (state(organisation_id=2), 1, "unknown"),
        (state(erased=True), 1, "unknown"),
        (state(decision="refused"), 1, "not_granted"),
        (state(decision="withdrawn"), 1, "not_granted"),
        (state(withdrawn_at=NOW - timedelta(hours=1)), 1, "withdrawn"),
        (state(decided_at=NOW - timedelta(days=30)), 1, "expired"),
    ],
)
def test_what_a_grant_id_may_not_store(grant, org, expected):
    assert grant_refusal(grant, org, NOW, 30) == expected
    assert expected in REFUSALS


def test_a_grant_lasts_the_cookie_lifetime():
    decided = NOW - timedelta(days=30)
    assert grant_expires_at(decided, 30) == NOW
    assert grant_refusal(state(decided_at=decided + timedelta(seconds=1)), 1, NOW, 30) is None
    assert grant_refusal(state(decided_at=decided), 1, NOW, 30) == "expired"


def test_what_a_withdrawal_may_end():
    assert withdrawal_refusal(state(), 1) is None
    # An expired grant may still be withdrawn: the log then says so.
    assert withdrawal_refusal(state(decided_at=NOW - timedelta(days=400)), 1) is None
    assert withdrawal_refusal(state(withdrawn_at=NOW), 1) == "withdrawn_twice"
    assert withdrawal_refusal(state(organisation_id=2), 1) == "unknown"
    assert withdrawal_refusal(None, 1) == "unknown"
    assert withdrawal_refusal(state(decision="refused"), 1) == "not_granted"
