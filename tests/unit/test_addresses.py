"""Client addresses are shortened to their network before storage."""

import pytest

from scheduling.security.addresses import truncate_address


@pytest.mark.parametrize(
    ("address", "stored"),
    [
        ("203.0.113.57", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("fe80::1%eth0", "fe80::/48"),
        ("[2001:db8::5]", "2001:db8::/48"),
        ("203.0.113.0/24", "203.0.113.0/24"),  # already shortened: unchanged
        ("203.0.113.9/32", "203.0.113.0/24"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("", "unknown"),
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_truncate_address(address, stored):
    assert truncate_address(address) == stored
