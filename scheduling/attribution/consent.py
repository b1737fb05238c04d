"""Consent decisions as logged for GDPR Art. 7(1) proof. Pure: no Flask, no DB, no clock."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from .origins import normalise_origin

DECISIONS = ("granted", "refused", "withdrawn")
SOURCES = ("api", "tcf", "consent_mode", "prompt")
# attribution: campaign touches (first-party cookie); ads: also the ad click ids, for offline
# conversion files an admin uploads to the ad platform. ads never comes without attribution.
PURPOSES = ("attribution", "ads")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
MAX_NOTICE = 20000


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
    if not isinstance(purposes, list) or not purposes or any(p not in PURPOSES for p in purposes):
        errors["purposes"] = f"A list of: {', '.join(PURPOSES)}."
    elif "attribution" not in purposes:
        errors["purposes"] = "The ads purpose comes only with attribution."
    if errors:
        return None, errors
    return ConsentDecision(
        host_origin=origin,
        decision=decision,
        source=source,
        notice_hash=notice_hash(notice),
        language=language,
        purposes=tuple(dict.fromkeys(purposes)),
    ), {}
