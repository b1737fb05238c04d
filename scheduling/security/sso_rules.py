"""Single sign-on rules: allowed email domains, verified addresses, who may use a password.

Pure: no Flask, no DB, no clock.
"""

import re

# A DNS name of at least two labels, each 1-63 letters, digits or inner hyphens (IDN as punycode).
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
MAX_DOMAINS = 50


def parse_domains(text: str) -> list[str]:
    """Domains from text separated by commas, spaces or lines: lower-case, sorted, no repeats.

    Raises ValueError naming the first entry that is not a domain name (an "@" in front is
    forgiven: people paste "@example.com").
    """
    domains = set()
    for raw in re.split(r"[\s,;]+", text.strip()):
        if not raw:
            continue
        domain = raw.lower().removeprefix("@").rstrip(".")
        if not _DOMAIN.match(domain):
            raise ValueError(f"{raw!r} is not a domain name such as example.com.")
        domains.add(domain)
    if len(domains) > MAX_DOMAINS:
        raise ValueError(f"At most {MAX_DOMAINS} domains.")
    return sorted(domains)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def domain_allowed(email: str, allowed: list[str]) -> bool:
    """True when no domains are set, or the address's domain is one of them (exactly: a
    subdomain is another domain and must be listed itself)."""
    return not allowed or email_domain(email) in allowed


def verified_email(claims: dict) -> str | None:
    """The ID token's address, lower-case, if the issuer says it is verified; else None.

    `email_verified` must be the JSON true (some issuers send the string "true"). Entra ID
    sends no `email_verified`; its optional claim `xms_edov` (the domain owner is verified)
    counts instead, as Microsoft recommends against the unverified `email` claim.
    """
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        return None
    verified = claims.get("email_verified")
    if verified is True or verified == "true" or claims.get("xms_edov") in (True, "true"):
        return email.strip().lower()
    return None


def password_login_allowed(password_login_disabled: bool, is_break_glass: bool) -> bool:
    """With password login switched off, only the organisation's break-glass admin uses one."""
    return not password_login_disabled or is_break_glass
