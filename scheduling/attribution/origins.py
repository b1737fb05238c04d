"""Framing allowlists: origins that may embed the widget. Pure: no Flask, no DB, no clock."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scheduling.errors import N_, Message

# 13 months, the longest the cookie may live (CNIL guidance for audience measurement).
MAX_COOKIE_DAYS = 395
MAX_ORIGINS = 50
_HOST_RE = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _valid_host(host: str) -> bool:
    """A DNS name or a dotted-quad IPv4 address.

    Browsers read a host whose last label is numeric (or 0x...) as an IPv4 address, so such a
    name must be a plain dotted quad with parts up to 255 (no 999.1.1.1, 1.2.3 or 0x7f.1).
    """
    last = host.rsplit(".", 1)[-1]
    if last.isdigit() or last.startswith("0x"):
        return bool(_IPV4_RE.fullmatch(host)) and all(int(p) <= 255 for p in host.split("."))
    return bool(_HOST_RE.fullmatch(host))


def normalise_origin(text: str) -> str | None:
    """`scheme://host[:port]` in lower case (http only for loopback hosts), or None if invalid."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > 200 or any(ch.isspace() for ch in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or text.endswith(("?", "#"))
        or not _valid_host(host)
        or port == 0
    ):
        return None
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1"):
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


def parse_allowlist(text: str) -> tuple[list[str], list[str]]:
    """(origins, problems) from one origin per line; duplicates dropped, order kept.

    Plain http is accepted for localhost and 127.0.0.1 only (local testing); `*` never.
    """
    origins: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        origin = normalise_origin(line)
        if origin is None:
            problems.append(
                f"Line {number}: {line[:80]!r} is not an origin such as https://www.example.com "
                "(https, no path; http only for localhost)."
            )
        elif origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        problems.append(f"At most {MAX_ORIGINS} origins.")
    return origins, problems


MAX_REDIRECT_URL = 500
FULL_ADDRESS = N_("Enter a full address such as https://www.example.com/thank-you.")


def redirect_url_problem(url: str, allowed_origins: list[str]) -> Message | None:
    """Why `url` may not be the page after booking, or None when it may.

    It must be an absolute https URL (http only for localhost) on one of `allowed_origins`,
    without user name or password.
    """
    if len(url) > MAX_REDIRECT_URL:
        return Message(N_("Use at most %(n)s characters."), n=MAX_REDIRECT_URL)
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return Message(N_("A web address has no spaces."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks the port)
    except ValueError:
        return Message(FULL_ADDRESS)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Message(FULL_ADDRESS)
    if "@" in parts.netloc:
        return Message(N_("The address may not contain a user name or password."))
    origin = normalise_origin(f"{parts.scheme}://{parts.netloc}")
    if origin is None:
        return Message(N_("Use https (plain http only for localhost)."))
    if origin not in allowed_origins:
        return Message(
            N_(
                "%(origin)s is not one of your allowed origins: add it under Embed first, "
                "or use an address on one of them."
            ),
            origin=origin,
        )
    return None


def with_query_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value` in its query, replacing any value it had; fragment kept."""
    parts = urlsplit(url)
    pairs = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0] != name]
    pairs.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(pairs)))
