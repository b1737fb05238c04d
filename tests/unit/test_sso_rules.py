"""Single sign-on rules (pure): allowed domains, verified addresses, password login."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.security.sso_rules import (
    domain_allowed,
    parse_domains,
    password_login_allowed,
    verified_email,
)

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
domain = st.builds(
    lambda parts, top: ".".join([*parts, top]),
    st.lists(label, min_size=1, max_size=3),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)


@given(st.lists(domain, max_size=8), st.sampled_from(["\n", ", ", " ", ";"]))
def test_parsing_is_idempotent_sorted_and_lower_case(domains, separator):
    text = separator.join(d.upper() for d in domains)
    parsed = parse_domains(text)
    assert parsed == sorted(set(domains))
    assert parse_domains("\n".join(parsed)) == parsed


@pytest.mark.parametrize(
    "bad", ["example", "exa mple.com!", "-x.com", "a..com", "x@y.com", "1.2.3.4"]
)
def test_parsing_names_what_is_not_a_domain(bad):
    with pytest.raises(ValueError, match="is not a domain name"):
        parse_domains(f"good.example {bad}")


def test_at_sign_and_trailing_dot_are_forgiven():
    assert parse_domains("@Northwind.Example. northwind.example") == ["northwind.example"]


def test_domains_match_exactly():
    allowed = ["northwind.example"]
    assert domain_allowed("a@NorthWind.example", allowed)
    assert not domain_allowed("a@sales.northwind.example", allowed)
    assert not domain_allowed("a@northwind.example.evil", allowed)
    assert domain_allowed("anyone@anywhere.example", [])


@pytest.mark.parametrize(
    ("claims", "email"),
    [
        ({"email": "Ada@X.example", "email_verified": True}, "ada@x.example"),
        ({"email": "ada@x.example", "email_verified": "true"}, "ada@x.example"),
        ({"email": "ada@x.example", "xms_edov": True}, "ada@x.example"),
        ({"email": "ada@x.example", "email_verified": False}, None),
        ({"email": "ada@x.example", "email_verified": "false"}, None),
        ({"email": "ada@x.example", "email_verified": 1}, None),
        ({"email": "ada@x.example"}, None),
        ({"email_verified": True}, None),
        ({"email": "not-an-address", "email_verified": True}, None),
        ({"email": ["ada@x.example"], "email_verified": True}, None),
    ],
)
def test_only_verified_addresses_count(claims, email):
    assert verified_email(claims) == email


def test_password_login_off_leaves_the_break_glass_admin():
    assert password_login_allowed(False, False)
    assert not password_login_allowed(True, False)
    assert password_login_allowed(True, True)
