"""Pure helpers of the outbox: backoff with jitter, webhook signatures, address checks."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.delivery.backoff import backoff_seconds
from scheduling.remote.netguard import RefusedAddress, check_url, is_public
from scheduling.security.webhook_signature import sign, verify

secrets_ = st.text(min_size=1, max_size=40)
bodies = st.binary(max_size=200)
instants = st.integers(min_value=0, max_value=4_000_000_000)


@given(st.integers(min_value=1, max_value=200), st.floats(0, 1, exclude_max=True))
def test_backoff_stays_within_half_to_full_nominal_delay(attempt, draw):
    class Fixed(random.Random):
        def random(self):
            return draw

    nominal = min(3600, 30 * 2 ** min(attempt - 1, 62))
    delay = backoff_seconds(attempt, 30, 3600, Fixed())
    assert nominal / 2 <= delay <= nominal


def test_backoff_grows_then_caps():
    rand = random.Random(1)
    lows = [backoff_seconds(n, 30, 3600, rand) for n in range(1, 12)]
    assert lows[0] < 30 < lows[3]
    assert max(lows) <= 3600
    with pytest.raises(ValueError):
        backoff_seconds(0, 30, 3600)


@given(secrets_, bodies, instants)
def test_a_signature_verifies_with_its_secret_at_its_time(secret, body, t):
    assert verify(sign([secret], t, body), secret, body, t)


@given(secrets_, secrets_, bodies, instants)
def test_during_rotation_both_secrets_verify(new, old, body, t):
    header = sign([new, old], t, body)
    assert header.count("v1=") == 2
    assert verify(header, new, body, t) and verify(header, old, body, t)


@given(secrets_, bodies, instants, st.integers(min_value=301, max_value=10**6))
def test_old_or_future_timestamps_are_refused(secret, body, t, skew):
    header = sign([secret], t, body)
    assert not verify(header, secret, body, t + skew)
    assert not verify(header, secret, body, t - skew)


@given(st.text(max_size=80), secrets_, bodies, instants)
def test_any_header_is_an_answer_never_an_error(header, secret, body, t):
    """A forged header (t=\u00b2 is isdigit() but not int()) is refused, not an exception."""
    assert verify(header, secret, body, t) in (True, False)
    assert verify(f"t=\u00b2,{header}", secret, body, t) is False


@given(secrets_, bodies, bodies, instants)
def test_another_body_does_not_verify(secret, body, other, t):
    if body != other:
        assert not verify(sign([secret], t, body), secret, other, t)


def test_the_signature_is_hmac_sha256_of_t_dot_body():
    # Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    header = sign(["whsec_test"], 1700000000, b'{"a":1}')
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert not verify("v1=abc", "whsec_test", b"", 0)  # no timestamp
    assert not verify("t=x,v1=abc", "whsec_test", b"", 0)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("224.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of the metadata address
        ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
        ("64:ff9b:1::5db8:d822", False),  # local-use NAT64 prefix
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
        ("::127.0.0.1", False),  # IPv4-compatible loopback
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("fe80::1%eth0", False),  # zone ids do not hide link-local
    ],
)
def test_only_public_addresses(address, public):
    assert is_public(address) is public


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "javascript:alert(1)",
        "http:///path",
        "https://user:pw@example.com/",
        "https://@example.com/",
        "https://x.com:99999/",
        "https://x.com:0/",
        "https://x.com:+80/",
        "https://x.com:80:80/",
        "http://[::1/",  # urlsplit itself raises ValueError
        "http://[fe80::1%25eth0]/hook",  # zone id
        "http://2130706433/",  # 127.0.0.1 in decimal
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "https://example.com/a b",
        "https://example.com/\r\nX-Injected: 1",
        "https://exa\x00mple.com/",
        "https://example.com/\x85",
    ],
)
def test_urls_refused_by_shape(url):
    """Each refusal is a RefusedAddress with a message for the form, never another error."""
    with pytest.raises(RefusedAddress) as refused:
        check_url(url)
    assert str(refused.value)


def test_url_parts():
    assert check_url("https://crm.example.com/hooks?x=1") == (
        "https",
        "crm.example.com",
        443,
        "/hooks?x=1",
    )
    assert check_url("http://crm.example.com")[2:] == (80, "/")
