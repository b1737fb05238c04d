"""Find references to other origins in HTML, CSS or plain text (pages and emails)."""

import re
from urllib.parse import urlsplit

# src, href, action, formaction, poster, data and srcset attributes; url(...) in CSS.
URL_ATTR = re.compile(
    r"""\b(?:src|href|action|formaction|poster|data|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
# <meta http-equiv="refresh" content="0;url=...">: a navigation the page starts by itself.
META_REFRESH = re.compile(r"""content\s*=\s*["']\s*\d+\s*;\s*url\s*=\s*([^"']+)["']""", re.I)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""", re.IGNORECASE)
# A bare address in plain text (the text part of an email).
TEXT_URL = re.compile(r"""\b(?:https?|webcal|ftp)://[^\s<>"')]+""", re.IGNORECASE)
# Schemes that make no request to anyone.
HARMLESS = ("mailto", "tel", "data")


def _references(text: str, bare: bool) -> list[str]:
    found = []
    for match in URL_ATTR.finditer(text):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        found.extend(part.strip().split(" ")[0] for part in value.split(",") if part.strip())
    found.extend(CSS_URL.findall(text))
    found.extend(META_REFRESH.findall(text))
    if bare:
        found.extend(TEXT_URL.findall(text))
    return found


def _is_prefix(url: str, base: str) -> bool:
    base = base.rstrip("/")
    return url == base or url.startswith(base + "/") or url.startswith(base + "?")


def external_urls(
    text: str, own: tuple[str, ...], allowed: tuple[str, ...] = (), bare: bool = False
) -> list[str]:
    """Every absolute URL in text outside the app's own origins and the allowed bases; with
    bare, addresses written out as text count too (an email's link a reader copies)."""
    bad = []
    for url in _references(text, bare):
        url = url.strip().replace("&amp;", "&")
        parts = urlsplit(url)
        if not parts.scheme and not url.startswith("//"):
            continue  # relative: the app's own origin
        if parts.scheme.lower() in HARMLESS:
            continue
        if any(_is_prefix(url, base) for base in (*own, *allowed) if base):
            continue
        bad.append(url)
    return bad
