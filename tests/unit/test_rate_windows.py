"""Rate-limit arithmetic: specs, the sliding estimate, and a Retry-After that is exact."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scheduling.security.rate_windows import (
    Limit,
    estimate,
    parse_limit,
    verdict,
    window_number,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("20/10m", Limit(20, 600)),
        (" 60 / 10m ", Limit(60, 600)),
        ("30/5m", Limit(30, 300)),
        ("5/s", Limit(5, 1)),
        ("100/h", Limit(100, 3600)),
        ("1000/1d", Limit(1000, 86400)),
        ("off", None),
        ("", None),
        (None, None),
    ],
)
def test_specs(spec, expected):
    assert parse_limit(spec) == expected


@pytest.mark.parametrize("spec", ["20", "20/10", "0/10m", "-1/10m", "20/8d", "x/m", 20, "20/10w"])
def test_bad_specs_say_what_is_expected(spec):
    with pytest.raises(ValueError, match=r"COUNT/PERIOD|at least 1"):
        parse_limit(spec)


def test_windows_and_estimate():
    assert window_number(599.9, 600) == 0 and window_number(600, 600) == 1
    # Halfway through a window, half of the previous one still counts.
    assert estimate(previous=10, current=3, elapsed=300, seconds=600) == 8
    assert estimate(previous=10, current=3, elapsed=600, seconds=600) == 3


def test_a_burst_at_the_window_edge_does_not_pass_twice_the_limit():
    limit = Limit(20, 600)
    assert verdict(limit, previous=0, current=20, elapsed=599).allowed
    # One second into the next window the 20 still weigh almost fully.
    refused = verdict(limit, previous=20, current=1, elapsed=1)
    assert not refused.allowed and refused.retry_after > 0


def _passes_after(limit, previous, current, elapsed, wait):
    """Whether one more hit `wait` seconds later (nothing else happening) is allowed."""
    at = elapsed + wait
    if at < limit.seconds:
        return estimate(previous, current + 1, at, limit.seconds) <= limit.count
    at -= limit.seconds
    before = current if at < limit.seconds else 0
    return estimate(before, 1, at % limit.seconds, limit.seconds) <= limit.count


@example(count=5, seconds=60, previous=0, current=15, fraction=0.0)  # a float hair over 5
@example(count=9, seconds=10, previous=0, current=50, fraction=0.94)  # 9.000000000000002 s
@given(
    count=st.integers(1, 30),
    seconds=st.sampled_from([1, 10, 60, 300, 600]),
    previous=st.integers(0, 60),
    current=st.integers(1, 60),
    fraction=st.floats(0, 0.999),
)
def test_retry_after_is_the_first_second_that_passes(count, seconds, previous, current, fraction):
    limit = Limit(count, seconds)
    elapsed = fraction * seconds
    result = verdict(limit, previous, current, elapsed)
    if result.allowed:
        assert result.retry_after == 0
        return
    wait = result.retry_after
    assert wait >= 1
    assert _passes_after(limit, previous, current, elapsed, wait)
    if wait > 1:
        assert not _passes_after(limit, previous, current, elapsed, wait - 1)
