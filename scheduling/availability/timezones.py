"""IANA time zone names: validation and the list people choose from.

Pure: no Flask, no DB, no clock.
"""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .zone_names import ALIASES

_HIDDEN = {"localtime", "Factory"}


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Every selectable zone name, sorted; deprecated aliases ('US/Eastern') are left out."""
    names = (
        name
        for name in available_timezones()
        if "/" in name
        and name not in _HIDDEN
        and name not in ALIASES
        and not name.startswith(("Etc/", "SystemV/"))
    )
    return (*sorted(names), "UTC")


@lru_cache(maxsize=1024)
def is_valid_zone(name: str) -> bool:
    """True for any IANA name zoneinfo can load (aliases included), false for anything else."""
    if not isinstance(name, str) or not name or len(name) > 64 or name in _HIDDEN:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


# The zones of the EU's member states (Cyprus is in Asia/Nicosia), then a short list of places
# most visitors elsewhere recognise. Anything else stays one "More time zones" click away.
EU_ZONES = (
    "Europe/Amsterdam",
    "Europe/Athens",
    "Europe/Berlin",
    "Europe/Bratislava",
    "Europe/Brussels",
    "Europe/Bucharest",
    "Europe/Budapest",
    "Europe/Copenhagen",
    "Europe/Dublin",
    "Europe/Helsinki",
    "Europe/Lisbon",
    "Europe/Ljubljana",
    "Europe/Luxembourg",
    "Europe/Madrid",
    "Europe/Malta",
    "Europe/Paris",
    "Europe/Prague",
    "Europe/Riga",
    "Europe/Rome",
    "Europe/Sofia",
    "Europe/Stockholm",
    "Europe/Tallinn",
    "Europe/Vienna",
    "Europe/Vilnius",
    "Europe/Warsaw",
    "Europe/Zagreb",
    "Asia/Nicosia",
    "Atlantic/Canary",
)
WORLD_ZONES = (
    "Europe/London",
    "Europe/Zurich",
    "Europe/Oslo",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Cairo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)


def common_zones(*first: str | None) -> tuple[str, ...]:
    """The short list a page offers: the given zones (visitor's, host's) and the common ones.

    Sorted like the full list (UTC last); unknown or empty names among `first` are left out.
    """
    names = {zone for zone in first if zone and is_valid_zone(zone)}
    names.update(EU_ZONES, WORLD_ZONES)
    names.discard("UTC")
    return (*sorted(names), "UTC")
