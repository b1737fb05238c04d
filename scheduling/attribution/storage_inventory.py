"""Every cookie and storage key Rendezvous can set, as rows of the cookie table.

Pure: no Flask, no DB, no clock. The rows come from the settings values alone (the embed's
attribution cookie lifetime, the admin session cookie's name and lifetime), so the generated
privacy documents and the browser self-audit print the same table with the same names.

What exists, and why nothing else does:
- `rv_attr` (static/embed.js): written by the widget script on the host page, first party on
  that page's own domain, only after the visitor's consent; its expiry is set once.
- the admin session cookie (Flask's session; path /admin): admin login and CSRF, strictly
  necessary, never sent to or set on a public page.
- The public booking flow, the booking frame (static/js/embed-frame.js), feeds and the API
  set no cookie and use no localStorage or sessionStorage.
"""

from dataclasses import dataclass

ATTRIBUTION_COOKIE = "rv_attr"
KINDS = ("cookie", "localStorage", "sessionStorage")
# "Before consent" values: strictly necessary storage needs no consent ("none" is stored for a
# visitor before consent because it exists only on admin pages); everything else waits.
NOT_CONSENT_BASED = "none"
AFTER_CONSENT_ONLY = "never set before consent"
COLUMNS = ("Name", "Kind", "Party", "Lifetime", "Purpose", "Before consent")


@dataclass(frozen=True)
class StorageItem:
    name: str
    kind: str  # one of KINDS
    party: str
    lifetime: str
    purpose: str
    before_consent: str  # NOT_CONSENT_BASED or AFTER_CONSENT_ONLY

    def cells(self) -> tuple[str, ...]:
        return (
            self.name,
            self.kind,
            self.party,
            self.lifetime,
            self.purpose,
            self.before_consent,
        )


def duration_text(seconds: int) -> str:
    """A lifetime people read: "12 hours", "30 days", "1 day", "90 minutes"."""
    seconds = int(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            amount = seconds // size
            return f"{amount} {unit}{'' if amount == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def attribution_cookie(cookie_days: int) -> StorageItem:
    return StorageItem(
        name=ATTRIBUTION_COOKIE,
        kind="cookie",
        party="first party, on the host page's own domain",
        lifetime=f"{duration_text(cookie_days * 86400)} (expiry set once, never extended)",
        purpose=(
            "Campaign attribution: a random visitor id, the first and last campaign touch "
            "(UTM values, referring domain, landing path; ad click ids only with ads consent) "
            "and the A/B variant shown"
        ),
        before_consent=AFTER_CONSENT_ONLY,
    )


def session_cookie(name: str, lifetime_seconds: int, path: str = "/admin") -> StorageItem:
    return StorageItem(
        name=name,
        kind="cookie",
        party=f"first party, Rendezvous's own domain, path {path} only",
        lifetime=f"{duration_text(lifetime_seconds)} after sign-in, or until sign-out",
        purpose=(
            "Strictly necessary: keeps an admin user signed in and protects admin forms "
            "(CSRF); admin pages only, never on public pages"
        ),
        before_consent=NOT_CONSENT_BASED,
    )


def storage_inventory(
    *,
    attribution_days: int | None,
    session_cookie_name: str,
    session_lifetime_seconds: int,
    session_cookie_path: str = "/admin",
) -> list[StorageItem]:
    """Every cookie and storage key this installation can set.

    attribution_days: the embed settings' cookie lifetime, or None when no page may embed the
    widget (then the attribution cookie is never written).
    """
    rows = []
    if attribution_days is not None:
        rows.append(attribution_cookie(attribution_days))
    rows.append(
        session_cookie(session_cookie_name, session_lifetime_seconds, session_cookie_path or "/")
    )
    return rows


_CELL_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|<>"})


def markdown_cell(text: str) -> str:
    """One table cell: pipes and HTML brackets escaped, line breaks folded (one line)."""
    return " ".join(str(text).split()).translate(_CELL_SPECIAL)


def markdown_table(rows: list[StorageItem], columns: tuple[str, ...] = COLUMNS) -> str:
    """The cookie table as Markdown, with exactly the columns of COLUMNS."""
    lines = [
        "| " + " | ".join(markdown_cell(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines) + "\n"
