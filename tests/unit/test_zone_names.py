"""Zone labels in the reader's language, deprecated aliases, and the order of the zone list."""

from zoneinfo import ZoneInfo

import pytest

from scheduling.availability.timezones import all_zones
from scheduling.availability.zone_names import ALIASES, canonical_zone, order_zones, zone_label


@pytest.mark.parametrize(
    ("zone", "locale", "label"),
    [
        ("Europe/Berlin", "en_GB", "Central European Time (Berlin)"),
        ("Europe/Berlin", "de", "Mitteleuropäische Zeit (Berlin)"),
        ("Europe/Paris", "fr", "heure d’Europe centrale (Paris)"),
        ("America/New_York", "en_US", "Eastern Time (New York)"),
        ("UTC", "de", "UTC"),
    ],
)
def test_labels_name_the_zone_and_its_city_in_the_language(zone, locale, label):
    assert zone_label(zone, locale) == label


@pytest.mark.parametrize(
    ("alias", "zone"),
    [
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_deprecated_aliases_fold_into_their_zone(alias, zone):
    assert canonical_zone(alias) == zone
    assert zone_label(alias, "de") == zone_label(zone, "de")  # the same label either way
    assert alias not in all_zones() and zone in all_zones()


def test_canonical_names_stay_as_they_are():
    assert canonical_zone("Europe/Berlin") == "Europe/Berlin"
    assert canonical_zone("Mars/Olympus") == "Mars/Olympus"  # validation is someone else's job


def test_every_alias_and_target_is_a_real_zone_and_no_target_is_an_alias():
    for alias, zone in ALIASES.items():
        ZoneInfo(alias), ZoneInfo(zone)
        assert zone not in ALIASES


def test_visitor_and_host_zones_come_first_once_each_and_aliases_fold():
    zones = order_zones(
        ["Europe/Athens", "Asia/Kolkata", "Europe/Berlin"], "US/Eastern", "Europe/Berlin"
    )
    assert zones == ["America/New_York", "Europe/Berlin", "Europe/Athens", "Asia/Kolkata"]
    assert order_zones(["UTC"], None, "") == ["UTC"]
