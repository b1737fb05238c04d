"""Retention periods: parsing, bounds, calendar months and cut-offs."""

from datetime import UTC, datetime, timedelta

import pytest

from scheduling.security.retention_periods import (
    DEFAULTS,
    Period,
    cutoff,
    cutoffs,
    make_period,
    parse_period,
    periods_from,
    scrub_touch,
    strictest,
)

NOW = datetime(2030, 3, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "period"),
    [("1d", Period(1, "d")), ("3650d", Period(3650, "d")), ("120m", Period(120, "m"))],
)
def test_parse_valid(text, period):
    assert parse_period(text) == period and str(period) == text


@pytest.mark.parametrize("text", ["0d", "3651d", "121m", "12y", "d", "-1d", " 5d", None, 5])
def test_parse_invalid(text):
    with pytest.raises(ValueError):
        parse_period(text)


def test_make_period_names_the_problem():
    with pytest.raises(ValueError, match="too short"):
        make_period(0, "d")
    with pytest.raises(ValueError, match="too long"):
        make_period(121, "m")


def test_months_are_calendar_months_clamped_to_the_month_end():
    assert cutoff(Period(1, "m"), NOW) == datetime(2030, 2, 28, 12, 0, tzinfo=UTC)
    assert cutoff(Period(36, "m"), NOW) == datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
    assert cutoff(Period(13, "m"), NOW) == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)
    assert cutoff(Period(30, "d"), NOW) == NOW - timedelta(days=30)


def test_stored_settings_fall_back_to_defaults():
    periods = periods_from({"bookings": "24m", "consent_log": "broken", "unknown": "1d"})
    assert periods["bookings"] == Period(24, "m")
    assert periods["consent_log"] == DEFAULTS["consent_log"]
    assert set(periods) == set(DEFAULTS)
    assert cutoffs(None, NOW)["login_attempts"] == NOW - timedelta(days=30)


def test_strictest_is_the_latest_cutoff():
    short = periods_from({"login_attempts": "1d"})
    assert strictest([periods_from(None), short], "login_attempts", NOW) == NOW - timedelta(days=1)
    assert strictest([], "login_attempts", NOW) == NOW - timedelta(days=30)


def test_scrub_touch_keeps_campaign_and_source_only():
    touch = {"utm_source": "a", "utm_term": "b", "utm_content": "c", "fbclid": "x", "path": "/"}
    assert scrub_touch(touch) == {"utm_source": "a", "fbclid": "erased", "path": "/"}
    assert scrub_touch(scrub_touch(touch)) == scrub_touch(touch)
    assert scrub_touch(None) is None
