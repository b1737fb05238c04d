"""Consent decisions as logged for GDPR Art. 7(1) proof. Pure: no Flask, no DB, no clock."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from .origins import normalise_origin

DECISIONS = ("granted", "refused", "withdrawn")
SOURCES = ("api", "tcf", "consent_mode", "prompt")
# attribution: campaign touches (first-party cookie); ads: also the ad click ids, for offline
# conversion files an admin uploads to the ad platform. ads never comes without attribution.
PURPOSES = ("attribution", "ads")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
MAX_NOTICE = 20000
# Consent ids are 32 hex characters (secrets.token_hex(16)).
CONSENT_ID_RE = re.compile(r"[0-9a-f]{32}")


def notice_hash(text: str) -> str:
    """SHA-256 of the consent text shown, with Unicode and whitespace normalised.

    Reformatting the text keeps the hash; changing a word changes it, so each log entry
    proves which notice the visitor saw.
    """
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normal.encode()).hexdigest()


@dataclass(frozen=True)
class ConsentDecision:
    host_origin: str
    decision: str
    source: str
    notice_hash: str
    language: str
    purposes: tuple[str, ...]
    # A withdrawal: the consent id of the grant it ends; None for grants and refusals.
    ends: str | None = None


def _check_purposes(purposes) -> str | None:
    """What is wrong with a list of purposes, or None: known names, each once, attribution in."""
    if not isinstance(purposes, list) or not purposes:
        return f"A list of: {', '.join(PURPOSES)}."
    if any(not isinstance(p, str) or p not in PURPOSES for p in purposes):
        return f"A list of: {', '.join(PURPOSES)}."
    if len(set(purposes)) != len(purposes):
        return "Name each purpose once."
    if "attribution" not in purposes:
        return "The ads purpose comes only with attribution."
    return None


def clean_decision(raw) -> tuple[ConsentDecision | None, dict[str, str]]:
    """A decision from the widget's JSON, or None with a message per bad field."""
    if not isinstance(raw, dict):
        return None, {"_": "Send a JSON object."}
    errors: dict[str, str] = {}
    origin = normalise_origin(raw.get("origin") or "")
    if origin is None:
        errors["origin"] = "Not an origin."
    decision = raw.get("decision")
    if decision not in DECISIONS:
        errors["decision"] = f"One of {', '.join(DECISIONS)}."
    source = raw.get("source")
    if source not in SOURCES:
        errors["source"] = f"One of {', '.join(SOURCES)}."
    notice = raw.get("notice")
    if not isinstance(notice, str) or not 1 <= len(notice.strip()) <= MAX_NOTICE:
        errors["notice"] = "The consent text shown (or its version), 1 to 20000 characters."
    language = raw.get("language") or "und"
    if isinstance(language, str):
        # Host pages often write lang="en_US"; refusing it would lose the decision itself.
        language = language.replace("_", "-")
    if not isinstance(language, str) or not (
        language == "und" or (len(language) <= 35 and _LANGUAGE_RE.fullmatch(language))
    ):
        errors["language"] = "A language tag such as en or de-AT."
    purposes = raw.get("purposes", ["attribution"])
    problem = _check_purposes(purposes)
    if problem:
        errors["purposes"] = problem
    ends = raw.get("ends")
    if decision == "withdrawn":
        if not isinstance(ends, str) or not CONSENT_ID_RE.fullmatch(ends):
            errors["ends"] = "A withdrawal names the consent id of the grant it ends."
    elif ends is not None:
        errors["ends"] = "Only a withdrawal names a grant it ends."
    if errors:
        return None, errors
    return ConsentDecision(
        host_origin=origin,
        decision=decision,
        source=source,
        notice_hash=notice_hash(notice),
        language=language,
        purposes=tuple(purposes),
        ends=ends if decision == "withdrawn" else None,
    ), {}


@dataclass(frozen=True)
class GrantState:
    """What the log knows of a consent id: enough to decide whether it may still be used."""

    organisation_id: int
    decision: str
    decided_at: datetime
    withdrawn_at: datetime | None
    erased: bool


# Why a consent id stores nothing; "unknown" also for another organisation's id (its existence
# is not told).
REFUSALS = {
    "unknown": "No consent of this organisation has that id.",
    "not_granted": "That consent id records a refusal or a withdrawal, not a grant.",
    "withdrawn": "That consent was withdrawn; it no longer allows storing anything.",
    "expired": "That consent has expired; the visitor needs to be asked again.",
    "withdrawn_twice": "That consent was already withdrawn.",
}


def grant_expires_at(decided_at: datetime, lifetime_days: int) -> datetime:
    """A grant lasts as long as the attribution cookie that carries its id may live.

    The widget writes the `rv_attr` cookie once, at the grant, for the organisation's cookie
    lifetime (Admin -> Embed, 1 to 395 days) and never extends it; after that the browser
    has forgotten the id, so anything still sending it replays an old grant.
    """
    return decided_at + timedelta(days=lifetime_days)


def grant_refusal(
    state: GrantState | None, organisation_id: int, now: datetime, lifetime_days: int
) -> str | None:
    """None when the id is a live grant of this organisation, else a key of REFUSALS."""
    if state is None or state.erased or state.organisation_id != organisation_id:
        return "unknown"
    if state.decision != "granted":
        return "not_granted"
    if state.withdrawn_at is not None:
        return "withdrawn"
    if now >= grant_expires_at(state.decided_at, lifetime_days):
        return "expired"
    return None


def withdrawal_refusal(state: GrantState | None, organisation_id: int) -> str | None:
    """None when a withdrawal may end this grant (an expired grant may still be withdrawn)."""
    if state is None or state.erased or state.organisation_id != organisation_id:
        return "unknown"
    if state.decision != "granted":
        return "not_granted"
    if state.withdrawn_at is not None:
        return "withdrawn_twice"
    return None
