"""Capability tokens for booking links (view, cancel, reschedule).

Derived with HMAC from the app secret, the booking's random uid and its token_version, so the
database holds nothing that opens a booking, every email can carry the same link again, and
raising token_version revokes all links at once.
Pure: no Flask, no DB, no clock.
"""

import base64
import hashlib
import hmac

PURPOSES = ("view", "cancel", "reschedule")


def booking_token(secret: str, uid: str, version: int, purpose: str) -> str:
    """The link token for one purpose (192 bits, URL-safe)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    message = f"booking-link|{purpose}|{uid}|{version}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def check_booking_token(secret: str, uid: str, version: int, purpose: str, token: str) -> bool:
    """Constant-time comparison of a presented token."""
    expected = booking_token(secret, uid, version, purpose)
    return hmac.compare_digest(expected.encode(), token.encode())
