"""Tokens for account links (an invitation, a set-password link), sent by email.

The database keeps only a random nonce per link; the token in the email is an HMAC of the app
secret, the link's id, its purpose and that nonce. So a copy of the database opens no link, and
a new nonce (resend) kills the old link at once. Single use and expiry live on the link row.
Pure: no Flask, no DB, no clock.
"""

import base64
import hashlib
import hmac
import secrets

PURPOSES = ("invite", "password")


def new_nonce() -> str:
    """A fresh random nonce for a link (192 bits)."""
    return secrets.token_urlsafe(24)


def account_link_token(secret: str, link_id: int, nonce: str, purpose: str) -> str:
    """The token for one link (192 bits, URL-safe)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    message = f"account-link|{purpose}|{link_id}|{nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def check_account_link_token(
    secret: str, link_id: int, nonce: str, purpose: str, token: str
) -> bool:
    """Constant-time comparison of a presented token."""
    if purpose not in PURPOSES or not nonce:
        return False
    expected = account_link_token(secret, link_id, nonce, purpose)
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
