"""Regional conventions per locale: which region formats, the clock, the first weekday."""

import pytest

from scheduling.web.locale_formats import (
    clock_hours,
    first_weekday,
    formatting_locale,
    time_pattern,
    weekday_names,
)


@pytest.mark.parametrize(
    ("language", "accepted", "locale"),
    [
        ("en", ["en-US", "de"], "en_US"),
        ("en", ["de-DE", "en-IE"], "en_IE"),  # only tags of the page's language count
        ("de", ["en-US"], "de"),
        ("de", ["de-AT"], "de_AT"),
        ("en", [], "en_GB"),  # bare English: this EU app's British conventions
        ("fr", ["*", "xx-YY", "fr-CA"], "fr_CA"),  # junk tags are skipped
    ],
)
def test_formatting_locale_takes_the_browsers_region_for_the_language(language, accepted, locale):
    assert formatting_locale(language, accepted) == locale


@pytest.mark.parametrize(
    ("locale", "asked", "hours"),
    [
        ("en_US", None, 12),
        ("de", None, 24),
        ("en_GB", None, 24),
        ("fr", None, 24),
        ("de", "12", 12),
        ("en_US", "24", 24),
        ("en_US", "13", 12),  # anything else: the locale's own clock
        ("xx", None, 24),  # unknown locale: the British default
    ],
)
def test_clock_follows_the_locale_unless_asked(locale, asked, hours):
    assert clock_hours(locale, asked) == hours


def test_time_patterns():
    assert time_pattern(12) == "h:mm a" and time_pattern(24) == "HH:mm"


@pytest.mark.parametrize(("locale", "first"), [("de", 0), ("fr", 0), ("en_US", 6), ("en_GB", 0)])
def test_first_weekday_per_locale(locale, first):
    assert first_weekday(locale) == first


def test_weekday_names_start_on_the_given_day():
    assert weekday_names("de", 0, "wide")[:2] == ["Montag", "Dienstag"]
    assert weekday_names("en_US", 6) == ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
