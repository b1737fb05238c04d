"""Privacy self-audit (issue 15.6): pure decisions on what a headless browser saw.

The driver (scheduling/cli/privacy_audit.py) opens a page three times in a fresh browser
context — before consent, after refusal, after consent — and records every request, cookie,
storage key and every script read of `document.cookie` / `Storage.getItem`. This module
classifies the domains, computes lifetimes, builds the storage table (the columns of the
generated cookie table) and decides the verdict. No Flask, no database, no browser.
"""

import contextlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scheduling.attribution.storage_inventory import (
    ATTRIBUTION_COOKIE,
    COLUMNS,
    attribution_cookie,
    markdown_cell,
)

PHASES = ("before_consent", "after_refusal", "after_consent")
TITLES = {
    "before_consent": "Before consent",
    "after_refusal": "After refusal",
    "after_consent": "After consent",
}
# Phases in which the visitor has not consented: nothing may be stored or read there.
WITHOUT_CONSENT = ("before_consent", "after_refusal")

# Purposes of the names Rendezvous sets, from the inventory behind the generated cookie table
# (Admin -> Privacy documents), so the audit and the documents name them alike.
KNOWN_PURPOSES = {ATTRIBUTION_COOKIE: attribution_cookie(1).purpose}
UNKNOWN_PURPOSE = "unknown (not set by Rendezvous)"

DAY = 86400.0


@dataclass(frozen=True)
class StoredItem:
    """A cookie or a storage key the browser held at some point of a phase."""

    name: str
    kind: str  # cookie, localStorage, sessionStorage, IndexedDB
    host: str  # the cookie's domain, or the storage's origin host
    expires: float | None = None  # cookies: epoch seconds, None for a session cookie
    seen_at: float = 0.0  # epoch seconds when first seen


@dataclass(frozen=True)
class Access:
    """A script touching storage: kind is cookie-read, cookie-write, storage-read, storage-write."""

    kind: str
    origin: str
    detail: str = ""  # cookie-write: the assigned text; storage-*: "localStorage:key"
    at: float = 0.0  # epoch seconds


@dataclass
class Phase:
    name: str
    consent: str = ""  # how the decision was given, e.g. "Rendezvous.consent({attribution: false})"
    urls: list[str] = field(default_factory=list)
    items: list[StoredItem] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    booking: str = ""  # after consent: "booked", else why not ("" when not attempted)


@dataclass
class Audit:
    url: str
    page_hosts: tuple[str, ...]  # the page's own site (plus --first-party hosts)
    app_hosts: tuple[str, ...]  # Rendezvous: PUBLIC_URL and the origin embed.js came from
    phases: list[Phase] = field(default_factory=list)
    allowed: tuple[str, ...] = ()  # names the operator declared strictly necessary


def host_of(url: str) -> str | None:
    """The host a request went to; None for addresses that reach no server (data:, blob:)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        return None
    return parts.hostname.lower()


def _base(host: str) -> str:
    host = host.lower().lstrip(".")
    return host[4:] if host.startswith("www.") else host


def matches(host: str, hosts) -> bool:
    """The host is one of `hosts` or a subdomain of one (a leading www. is ignored)."""
    host = host.lower().lstrip(".")
    for known in hosts:
        base = _base(known)
        if host == base or host == known.lower() or host.endswith("." + base):
            return True
    return False


def party(host: str, audit: Audit) -> str:
    if matches(host, audit.page_hosts):
        return "first party (page)"
    if matches(host, audit.app_hosts):
        return "first party (Rendezvous)"
    return "third party"


def is_third_party(host: str, audit: Audit) -> bool:
    return party(host, audit) == "third party"


def _span(seconds: float) -> str:
    if seconds >= 2 * DAY:
        return f"{round(seconds / DAY)} days"
    if seconds >= 2 * 3600:
        return f"{round(seconds / 3600)} hours"
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    return f"{max(0, round(seconds))} seconds"


def lifetime(item: StoredItem) -> str:
    if item.kind == "cookie":
        if item.expires is None or item.expires < 0:
            return "session"
        return _span(item.expires - item.seen_at)
    if item.kind == "sessionStorage":
        return "session (tab)"
    return "until cleared"


def cookie_write(text: str, now: float) -> tuple[str, bool]:
    """(name, deletes) for a `document.cookie = text` assignment: Max-Age <= 0 or a past
    Expires only removes a cookie, which stores nothing."""
    first, *attributes = text.split(";")
    name = first.split("=", 1)[0].strip()
    deletes = False
    for attribute in attributes:
        key, _, value = attribute.strip().partition("=")
        key = key.strip().lower()
        if key == "max-age":
            with contextlib.suppress(ValueError):
                deletes = int(value.strip()) <= 0
        elif key == "expires" and not any(
            a.strip().lower().startswith("max-age") for a in attributes
        ):
            deletes = _past(value.strip(), now)
    return name, deletes


def _past(value: str, now: float) -> bool:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp() <= now
    except (TypeError, ValueError, IndexError):
        return False


def purpose(name: str) -> str:
    return KNOWN_PURPOSES.get(name, UNKNOWN_PURPOSE)


def _key(item: StoredItem) -> tuple[str, str, str]:
    return item.name, item.kind, item.host


def unique_items(items) -> list[StoredItem]:
    """One entry per (name, kind, host), the first sighting kept, sorted for stable output."""
    seen: dict[tuple[str, str, str], StoredItem] = {}
    for item in items:
        seen.setdefault(_key(item), item)
    return sorted(seen.values(), key=lambda i: (i.kind != "cookie", i.kind, i.name, i.host))


def rows(audit: Audit, items) -> list[dict[str, str]]:
    """Table rows with the columns of the generated cookie table."""
    before = {_key(i) for p in audit.phases if p.name == "before_consent" for i in p.items}
    result = []
    for item in unique_items(items):
        stored_before = _key(item) in before
        result.append(
            {
                "Name": item.name,
                "Kind": item.kind,
                "Party": f"{party(item.host, audit)}: {item.host}",
                "Lifetime": lifetime(item),
                "Purpose": purpose(item.name),
                "Before consent": (
                    ("yes (declared necessary)" if item.name in audit.allowed else "yes")
                    if stored_before
                    else "no"
                ),
            }
        )
    return result


def domains(audit: Audit, phase: Phase) -> list[dict[str, str]]:
    hosts = sorted({h for h in map(host_of, phase.urls) if h})
    return [{"domain": h, "party": party(h, audit)} for h in hosts]


def _reads(phase: Phase) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for access in phase.accesses:
        if access.kind.endswith("-read"):
            what = "document.cookie" if access.kind == "cookie-read" else access.detail
            counts[(what, access.origin)] = counts.get((what, access.origin), 0) + 1
    return counts


def _fleeting_writes(phase: Phase, allowed) -> list[str]:
    """Writes that stored something the end-of-step inventory did not see (removed again)."""
    held = {(i.kind, i.name) for i in phase.items}
    found = []
    for access in phase.accesses:
        if access.kind == "cookie-write":
            name, deletes = cookie_write(access.detail, access.at)
            kind = "cookie"
        elif access.kind == "storage-write":
            kind, _, name = access.detail.partition(":")
            deletes = False
        else:
            continue
        if not deletes and (kind, name) not in held and name not in allowed:
            held.add((kind, name))
            found.append(f"{kind} {name!r} written by a script of {access.origin}")
    return found


def problems(audit: Audit) -> list[str]:
    """Every reason the audit fails, one line each; empty when it passes."""
    found = []
    for phase in audit.phases:
        title = TITLES[phase.name].lower()
        if phase.name in WITHOUT_CONSENT:
            for item in unique_items(phase.items):
                if item.name not in audit.allowed:
                    found.append(f"{title}: {item.kind} {item.name!r} stored on {item.host}")
            found += [f"{title}: {w}" for w in _fleeting_writes(phase, audit.allowed)]
            for (what, origin), n in sorted(_reads(phase).items()):
                times = "once" if n == 1 else f"{n} times"
                found.append(f"{title}: {what} read by a script of {origin} ({times})")
        for row in domains(audit, phase):
            if row["party"] == "third party":
                found.append(f"{title}: third-party domain {row['domain']} contacted")
        if phase.name == "after_consent" and phase.booking and phase.booking != "booked":
            found.append(f"after consent: the booking could not be completed ({phase.booking})")
    return found


def _table(table_rows: list[dict[str, str]]) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for row in table_rows:
        cells = (markdown_cell(row[c]) for c in COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render(audit: Audit) -> str:
    """The report as Markdown: per phase the domains and storage, then every item, the verdict."""
    lines = [f"# Privacy self-audit of {audit.url}", ""]
    lines.append("First party: " + ", ".join(sorted({*audit.page_hosts, *audit.app_hosts})))
    for phase in audit.phases:
        lines += ["", f"## {TITLES[phase.name]}", ""]
        if phase.consent:
            lines.append(f"Consent: {phase.consent}")
        if phase.steps:
            lines.append("Steps: " + "; ".join(phase.steps))
        if phase.booking:
            lines.append(f"Booking: {phase.booking}")
        lines.append("Domains contacted:")
        lines += [f"- {d['domain']} ({d['party']})" for d in domains(audit, phase)] or ["- none"]
        reads = _reads(phase)
        if reads:
            lines.append("Reads by scripts:")
            lines += [f"- {what} by {origin}: {n}" for (what, origin), n in sorted(reads.items())]
        lines.append("")
        table = rows(audit, phase.items)
        lines += _table(table) if table else ["Nothing stored."]
    every = [i for p in audit.phases for i in p.items]
    lines += ["", "## Everything stored", ""]
    lines += _table(rows(audit, every)) if every else ["Nothing stored in any phase."]
    found = problems(audit)
    lines += ["", "## Verdict", ""]
    lines += [f"FAIL: {p}" for p in found] or [
        "PASS: nothing stored or read before consent, no third-party domain, booking completed."
    ]
    return "\n".join(lines) + "\n"


def as_dict(audit: Audit) -> dict:
    """The same report for --json."""
    return {
        "url": audit.url,
        "first_party": sorted({*audit.page_hosts, *audit.app_hosts}),
        "phases": [
            {
                "phase": phase.name,
                "consent": phase.consent,
                "steps": phase.steps,
                "booking": phase.booking,
                "domains": domains(audit, phase),
                "reads": [
                    {"what": what, "origin": origin, "count": n}
                    for (what, origin), n in sorted(_reads(phase).items())
                ],
                "storage": rows(audit, phase.items),
            }
            for phase in audit.phases
        ],
        "storage": rows(audit, [i for p in audit.phases for i in p.items]),
        "problems": problems(audit),
        "passed": not problems(audit),
    }
