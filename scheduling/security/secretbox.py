"""Encrypt small secrets at rest (TOTP seeds, calendar passwords) with a key from SECRET_KEY.

Pure: no Flask, no DB, no clock.
"""

import base64
import hashlib


def _fernet(secret_key: str, purpose: str):
    # Imported here: cryptography weighs about 8 MiB per process, and most web workers
    # (public booking pages, the API) never encrypt or decrypt anything (issue 12.10).
    from cryptography.fernet import Fernet

    # A separate key per purpose, so one kind of ciphertext cannot be replayed as another.
    digest = hashlib.sha256(f"rendezvous-secretbox|{purpose}|{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, purpose: str, plaintext: str) -> str:
    """Authenticated encryption (AES-128-CBC + HMAC-SHA256, Fernet)."""
    return _fernet(secret_key, purpose).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: str, purpose: str, ciphertext: str, ttl: int | None = None) -> str | None:
    """The plaintext, or None when the key changed, the data was tampered with, or (with `ttl`)
    it was encrypted more than `ttl` seconds ago."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(secret_key, purpose).decrypt(ciphertext.encode(), ttl=ttl).decode()
    except (InvalidToken, ValueError):
        return None
