"""Offline conversion files for Google Ads and Microsoft Ads. Pure: no Flask, no DB, no clock.

The admin downloads these files and uploads them to the ad platform; Rendezvous never contacts
one. Only bookings whose consent record includes the `ads` purpose carry click ids at all
(without it they are stripped before storing), so every row here is a consented one.
Rows are lists of cells; the web layer writes them with CSV-injection-safe cells.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

GOALS = ("booked", "attended", "won")
GOOGLE_HEADER = (
    "Google Click ID",
    "Conversion Name",
    "Conversion Time",
    "Conversion Value",
    "Conversion Currency",
)
MICROSOFT_HEADER = (
    "Microsoft Click ID",
    "Conversion Name",
    "Conversion Time",
    "Conversion Value",
    "Conversion Currency",
)
MAX_NAME = 100
# Click ids are URL-safe tokens; anything else was not set by an ad platform.
_CLICK_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,200}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Conversion:
    """One goal reached by a booking that came with ads consent, and the ids it came with."""

    goal: str  # booked, attended or won
    at: datetime  # aware UTC
    gclid: str = ""
    msclkid: str = ""
    value: Decimal | None = None  # won only
    currency: str = ""


def click_ids(touch: dict | None) -> dict:
    """The well-formed click ids of a stored touch, by key."""
    if not touch:
        return {}
    return {
        key: touch[key]
        for key in ("gclid", "wbraid", "gbraid", "msclkid")
        if isinstance(touch.get(key), str) and _CLICK_ID_RE.fullmatch(touch[key])
    }


def clean_names(raw: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Conversion names per goal (empty: that goal is not exported), or messages per bad goal."""
    names, errors = {}, {}
    for goal in GOALS:
        value = raw.get(goal) or ""
        value = value.strip() if isinstance(value, str) else ""
        if len(value) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in value):
            errors[goal] = f"At most {MAX_NAME} printable characters."
        names[goal] = value
    return names, errors


def _value_cells(conversion: Conversion) -> list[str]:
    if conversion.goal != "won" or conversion.value is None:
        return ["", ""]
    currency = conversion.currency if _CURRENCY_RE.fullmatch(conversion.currency or "") else ""
    return [f"{conversion.value.quantize(Decimal('0.01'))}", currency]


def _ordered(conversions, names: dict[str, str], key: str):
    chosen = [c for c in conversions if getattr(c, key) and names.get(c.goal)]
    return sorted(chosen, key=lambda c: (c.at, GOALS.index(c.goal), getattr(c, key)))


def google_ads_rows(conversions, names: dict[str, str], tz: str) -> list[list[str]]:
    """Google Ads' click-conversion import: the time zone line, the header, one row each.

    Google reads `Parameters:TimeZone=` with an IANA zone name and times as
    `yyyy-MM-dd HH:mm:ss` in that zone; goals without a name are left out.
    """
    zone = ZoneInfo(tz)
    rows = [[f"Parameters:TimeZone={tz}"], list(GOOGLE_HEADER)]
    for c in _ordered(conversions, names, "gclid"):
        local = c.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([c.gclid, names[c.goal], local, *_value_cells(c)])
    return rows


def _offset_text(moment: datetime) -> str:
    seconds = int(moment.utcoffset().total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}{minutes:02d}"


def microsoft_ads_rows(
    conversions, names: dict[str, str], tz: str, reference: datetime
) -> list[list[str]]:
    """Microsoft Advertising's offline-conversion import: time zone line, header, one row each.

    Microsoft takes one UTC offset for the file (`Parameters:TimeZone=+0100`) and times as
    `M/d/yyyy h:mm:ss AM`. The offset is the organisation zone's at `reference` (the end of
    the range); every time is written at that offset, so each stays the exact instant even
    when the range crosses a daylight-saving change.
    """
    zone = ZoneInfo(tz)
    offset_zone = reference.astimezone(zone).tzinfo
    fixed = reference.astimezone(zone).utcoffset()
    rows = [[f"Parameters:TimeZone={_offset_text(reference.astimezone(offset_zone))}"]]
    rows.append(list(MICROSOFT_HEADER))
    for c in _ordered(conversions, names, "msclkid"):
        local = (c.at + fixed).replace(tzinfo=None)
        hour = local.hour % 12 or 12
        text = (
            f"{local.month}/{local.day}/{local.year} {hour}:{local.minute:02d}:"
            f"{local.second:02d} {'AM' if local.hour < 12 else 'PM'}"
        )
        rows.append([c.msclkid, names[c.goal], text, *_value_cells(c)])
    return rows
