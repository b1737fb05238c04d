"""Account link tokens: bound to secret, link, purpose and nonce; a new nonce kills the old."""

import pytest

from scheduling.security.account_links import (
    account_link_token,
    check_account_link_token,
    new_nonce,
)

SECRET = "s" * 32


def test_a_token_checks_against_what_made_it():
    nonce = new_nonce()
    token = account_link_token(SECRET, 7, nonce, "invite")
    assert len(token) == 32 and "=" not in token
    assert check_account_link_token(SECRET, 7, nonce, "invite", token)


@pytest.mark.parametrize(
    "secret, link_id, nonce, purpose",
    [
        ("other secret", 7, "n1", "invite"),
        (SECRET, 8, "n1", "invite"),
        (SECRET, 7, "n2", "invite"),  # resent: the nonce changed
        (SECRET, 7, "n1", "password"),  # an invitation token is no set-password token
    ],
)
def test_any_difference_refuses(secret, link_id, nonce, purpose):
    token = account_link_token(SECRET, 7, "n1", "invite")
    assert not check_account_link_token(secret, link_id, nonce, purpose, token)


@pytest.mark.parametrize("token", ["", "x", "é" * 32, "A" * 32])
def test_junk_tokens_are_refused(token):
    assert not check_account_link_token(SECRET, 7, "n1", "invite", token)


def test_unknown_purposes_and_empty_nonces():
    with pytest.raises(ValueError):
        account_link_token(SECRET, 7, "n1", "admin")
    assert not check_account_link_token(SECRET, 7, "n1", "admin", "token")
    assert not check_account_link_token(
        SECRET, 7, "", "invite", account_link_token(SECRET, 7, "", "invite")
    )


def test_nonces_are_fresh():
    assert len({new_nonce() for _ in range(100)}) == 100
