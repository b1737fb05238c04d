"""IANA time zone names: validation and the list people choose from.

Pure: no Flask, no DB, no clock.
"""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_HIDDEN = {"localtime", "Factory"}


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Every selectable zone name, sorted; legacy aliases like 'US/Eastern' are left out."""
    names = (
        name
        for name in available_timezones()
        if "/" in name and name not in _HIDDEN and not name.startswith(("Etc/", "SystemV/"))
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
