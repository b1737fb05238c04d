"""API keys: created with a random secret shown once, stored as a SHA-256 hash, revocable.

A key is `rdv_<prefix>_<secret>`: the prefix finds the row, the hash of the whole key is
compared in constant time. SHA-256 (not a slow password hash) is right for 256-bit random keys.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import API_SCOPES, ApiKey, User

from .audit import record
from .locking import acquire_booking_lock

NAME_MAX = 100
_PREFIX = re.compile(r"[0-9a-f]{12}")
# last_used_at is written at most this often per key, so reads stay cheap.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(user: User, name: str, scope: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key acting as `user`; returns the row and the key itself (to show once)."""
    name = (name or "").strip()
    fields = {}
    if not name:
        fields["name"] = "Give the key a name, e.g. the system that uses it."
    elif len(name) > NAME_MAX:
        fields["name"] = f"The name may have at most {NAME_MAX} characters."
    if scope not in API_SCOPES:
        fields["scope"] = "Choose read or write."
    if fields:
        raise InvalidRequest("Please correct the marked fields.", fields)
    prefix = secrets.token_hex(6)
    token = f"rdv_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organisation_id=user.organisation_id,
        user_id=user.id,
        name=name,
        prefix=prefix,
        key_hash=_hash(token),
        scope=scope,
        created_at=now,
    )
    db.session.add(key)
    db.session.flush()
    record(
        user.organisation_id,
        user,
        "api_key.create",
        "api_key",
        key.id,
        f"API key '{name}' ({scope})",
        now,
    )
    return key, token


def revoke_api_key(key: ApiKey, actor: User, now: datetime) -> None:
    if key.revoked_at is not None:
        return
    key.revoked_at = now
    db.session.flush()
    record(
        key.organisation_id,
        actor,
        "api_key.revoke",
        "api_key",
        key.id,
        f"Revoked API key '{key.name}'",
        now,
    )


def authenticate(token: str, now: datetime) -> ApiKey | None:
    """The active key for this bearer token (its user still active), or None."""
    parts = token.split("_", 2)
    # The prefix is 12 hex digits; anything else (NUL, which PostgreSQL refuses in a query,
    # included) cannot match a key and is not looked up.
    if len(parts) != 3 or parts[0] != "rdv" or not _PREFIX.fullmatch(parts[1]):
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(token)):
        return None
    if key.revoked_at is not None or not key.user.active:
        return None
    return key


def touch(key: ApiKey, now: datetime) -> ApiKey:
    """Record the key's use, at most once a minute (the caller commits)."""
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY:
        return key
    key_id = key.id
    acquire_booking_lock(db.session)  # SQLite: take the write lock before writing after reads
    key = db.session.get(ApiKey, key_id)
    key.last_used_at = now
    db.session.flush()
    return key
