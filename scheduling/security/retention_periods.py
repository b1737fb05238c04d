"""Retention periods: parse and check them, and turn them into cut-off instants.

Pure: no Flask, no DB, no clock. A period is a whole number of days or months ("30d", "36m"),
at least one day and at most ten years. Data whose reference time is before the cut-off
(now minus the period) is due for erasure.
"""

import calendar
import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_DAYS = 3650
MAX_MONTHS = 120
UNITS = ("d", "m")
_PERIOD_RE = re.compile(r"([0-9]{1,4})([dm])")

# Keys of what is kept, in the order the settings page shows them.
KINDS = (
    "bookings",
    "leads_unbooked",
    "leads_disqualified",
    "consent_log",
    "delivery_logs",
    "login_attempts",
)


@dataclass(frozen=True)
class Period:
    amount: int
    unit: str  # "d" or "m"

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


DEFAULTS = {
    "bookings": Period(36, "m"),
    "leads_unbooked": Period(12, "m"),
    "leads_disqualified": Period(6, "m"),
    "consent_log": Period(36, "m"),
    "delivery_logs": Period(30, "d"),
    "login_attempts": Period(30, "d"),
}

# Click ids identify one ad click, so one person; UTM terms and contents can carry anything.
# UTM source, medium and campaign, the referrer's domain and the landing path stay for reports.
PERSONAL_TOUCH_KEYS = ("gclid", "fbclid", "msclkid", "utm_term", "utm_content")
CLICK_ID_KEYS = ("gclid", "fbclid", "msclkid")


def make_period(amount: int, unit: str) -> Period:
    """A checked period, or ValueError saying what is wrong."""
    if unit not in UNITS:
        raise ValueError("unit")
    if amount < 1:
        raise ValueError("too short")
    if amount > (MAX_DAYS if unit == "d" else MAX_MONTHS):
        raise ValueError("too long")
    return Period(amount, unit)


def parse_period(text) -> Period:
    """Read a stored period such as "30d" or "36m"; ValueError when it is not one."""
    match = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("format")
    return make_period(int(match.group(1)), match.group(2))


def periods_from(stored: dict | None) -> dict[str, Period]:
    """Every kind's period: the stored one where valid, else the default."""
    periods = dict(DEFAULTS)
    for kind, text in (stored or {}).items():
        if kind in periods:
            # A damaged setting falls back to the documented default.
            with contextlib.suppress(ValueError):
                periods[kind] = parse_period(text)
    return periods


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def cutoff(period: Period, now: datetime) -> datetime:
    """The instant before which data kept for `period` is due."""
    if period.unit == "d":
        return now - timedelta(days=period.amount)
    return months_before(now, period.amount)


def cutoffs(stored: dict | None, now: datetime) -> dict[str, datetime]:
    """Cut-off instant per kind for one organisation's settings."""
    return {kind: cutoff(period, now) for kind, period in periods_from(stored).items()}


def strictest(periods: list[dict[str, Period]], kind: str, now: datetime) -> datetime:
    """The latest cut-off of `kind` over several organisations (for data that has no owner)."""
    candidates = [cutoff(p[kind], now) for p in periods] or [cutoff(DEFAULTS[kind], now)]
    return max(candidates)


def scrub_touch(touch: dict | None) -> dict | None:
    """A touch without its personal values; a click id becomes "erased" so its source counts."""
    if not touch:
        return touch
    kept = {key: value for key, value in touch.items() if key not in PERSONAL_TOUCH_KEYS}
    for key in CLICK_ID_KEYS:
        if touch.get(key):
            kept[key] = "erased"
    return kept
