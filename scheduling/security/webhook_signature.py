"""Webhook signatures: `Rendezvous-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`.

v1 is HMAC-SHA256 over "<t>.<body>" with a subscription secret; during a secret rotation
one v1 per valid secret is sent, so a receiver holding either secret accepts the message.
The timestamp is signed too, so a captured request cannot be replayed after the tolerance.
Pure: no Flask, no DB, no clock.
"""

import hashlib
import hmac

HEADER = "Rendezvous-Signature"
# The secretbox purpose under which subscription secrets are stored: operations encrypt with it,
# the worker decrypts with it to sign.
SECRET_PURPOSE = "webhook-secret"  # noqa: S105 (a key-derivation label)
DEFAULT_TOLERANCE = 300  # seconds


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secrets: list[str], timestamp: int, body: bytes) -> str:
    """The header value: one v1 per secret, current secret first."""
    if not secrets:
        raise ValueError("at least one secret is needed")
    parts = [f"t={timestamp}"] + [f"v1={_digest(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


def verify(
    header: str, secret: str, body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE
) -> bool:
    """True when a v1 matches `secret` and t is within `tolerance` seconds of `now`."""
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
