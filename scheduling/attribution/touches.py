"""Touches (one visit's campaign data) and attribution payloads. Pure: no Flask, no DB, no clock."""

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

TOUCH_KEYS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "wbraid",
    "gbraid",
    "fbclid",
    "msclkid",
    "referrer",
    "path",
)
MAX_VALUE = 200
MAX_PAYLOAD = 4000
# Printable text without control characters; click ids and UTM values are short and plain.
_VALUE_RE = re.compile(r"[^\x00-\x1f\x7f]*")
_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
_VISITOR_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
CLICK_SOURCES = (
    ("gclid", "google"),
    ("wbraid", "google"),
    ("gbraid", "google"),
    ("fbclid", "facebook"),
    ("msclkid", "bing"),
)
CLICK_ID_KEYS = tuple(key for key, _name in CLICK_SOURCES)


@dataclass(frozen=True)
class Touch:
    """What one visit carried: UTM values, click ids, referrer domain, landing path, time."""

    at: datetime
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    gclid: str = ""
    wbraid: str = ""
    gbraid: str = ""
    fbclid: str = ""
    msclkid: str = ""
    referrer: str = ""
    path: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return {key: value for key, value in data.items() if value}


@dataclass(frozen=True)
class Attribution:
    """A consented visitor's first and last touch, and the consent record they came with."""

    visitor: str
    consent_id: str
    first: Touch
    last: Touch


def _clean_value(key: str, value) -> str:
    if not isinstance(value, str):
        return ""
    value = value.strip()[:MAX_VALUE]
    if not _VALUE_RE.fullmatch(value):
        return ""
    if key == "referrer":
        value = value.lower()
        return value if _DOMAIN_RE.fullmatch(value) else ""
    if key == "path":
        return value if value.startswith("/") else ""
    return value


def loads_bounded(text: str | None, limit: int = MAX_PAYLOAD):
    """JSON from untrusted text of at most `limit` characters, or None if it cannot be read.

    Deep nesting makes the decoder raise RecursionError, which is not a ValueError: both mean
    "not readable" here, never a server error.
    """
    if not isinstance(text, str) or not text or len(text) > limit:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def clean_touch(raw) -> Touch | None:
    """A Touch from untrusted JSON (unknown keys dropped, bad values emptied), or None.

    `at` is a time in milliseconds since the epoch (what JavaScript's Date.now() gives).
    """
    if not isinstance(raw, dict):
        return None
    at = raw.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float) or not 0 < at < 10**14:
        return None
    values = {key: _clean_value(key, raw.get(key)) for key in TOUCH_KEYS}
    return Touch(at=datetime.fromtimestamp(at / 1000, UTC), **values)


def clean_attribution(text: str | None) -> Attribution | None:
    """The attribution a consented widget put in its hidden form field, or None if unusable."""
    raw = loads_bounded(text)
    if not isinstance(raw, dict):
        return None
    visitor, consent_id = raw.get("visitor"), raw.get("consent")
    if not isinstance(visitor, str) or not _VISITOR_RE.fullmatch(visitor):
        return None
    if not isinstance(consent_id, str) or not _VISITOR_RE.fullmatch(consent_id):
        return None
    first, last = clean_touch(raw.get("first")), clean_touch(raw.get("last"))
    if first is None or last is None:
        return None
    return Attribution(visitor=visitor, consent_id=consent_id, first=first, last=last)


def channel(touch: dict | None) -> tuple[str, str, str]:
    """(source, medium, campaign) of a stored touch; click ids and referrers fill in the gaps.

    No touch (no consent) gives ("", "", ""): the report shows it as "not attributed".
    """
    if not touch:
        return ("", "", "")
    # "click" is what strip_click_ids leaves of an id: the platform's name, no identifier.
    click = next((name for key, name in CLICK_SOURCES if touch.get(key)), "") or touch.get(
        "click", ""
    )
    referrer = touch.get("referrer", "")
    source = touch.get("utm_source") or click or referrer or "(direct)"
    if touch.get("utm_medium"):
        medium = touch["utm_medium"]
    elif click:
        medium = "cpc"
    elif touch.get("utm_source"):
        medium = "(not set)"
    elif referrer:
        medium = "referral"
    else:
        medium = "(none)"
    return (source, medium, touch.get("utm_campaign") or "(not set)")


def strip_click_ids(touch: dict | None) -> dict | None:
    """The stored touch without ad click ids (no `ads` consent); keeps which platform it was.

    The platform's name alone identifies nobody, and keeps the funnel's source/medium the same
    with or without the ads purpose.
    """
    if not touch:
        return touch
    kept = {key: value for key, value in touch.items() if key not in CLICK_ID_KEYS}
    click = next((name for key, name in CLICK_SOURCES if touch.get(key)), "")
    if click:
        kept["click"] = click
    return kept
