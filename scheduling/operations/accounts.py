"""Accounts: create users, check passwords with rate limits, change passwords, two-factor."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

import pyotp
from sqlalchemy import func, select

from scheduling.errors import InvalidRequest, PermissionDenied, RateLimited
from scheduling.extensions import db
from scheduling.models import ROLES, Host, LoginAttempt, Organisation, User
from scheduling.security.secretbox import decrypt, encrypt

from .audit import record
from .sso_settings import is_break_glass_login, password_login_refusal

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_PASSWORD_LENGTH = 10
WINDOW = timedelta(minutes=15)
# Failures for one account from one address, and from one address for any accounts.
MAX_FAILURES_PER_ACCOUNT_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
# Failures for one account from all addresses (a distributed attack): then a right password is
# only enough with two-factor login on; the code step still lets the owner in.
MAX_FAILURES_PER_ACCOUNT = 50
TOO_MANY = "Too many failed attempts. Please wait a few minutes and try again."
UNDER_ATTACK = (
    "This account sees too many failed logins right now. Please try again later; "
    "accounts with two-factor login can still sign in."
)
TOTP_PURPOSE = "totp"


@dataclass(frozen=True)
class LoginResult:
    user: User
    needs_totp: bool


@cache
def _argon2() -> tuple["PasswordHasher", str]:
    """The hasher and a hash of nothing useful, verified when the account does not exist, so
    timing does not tell. argon2 and its cffi bindings load on the first password use, not in
    every worker; both are made together, so that first use costs the same for any account."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    return hasher, hasher.hash("rendezvous-no-such-account")


def _matches(password_hash: str | None, password: str) -> bool:
    """The password against a stored hash (None: against the dummy hash, and False)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher, dummy = _argon2()
    try:
        matched = hasher.verify(dummy if password_hash is None else password_hash, password)
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False
    return matched and password_hash is not None


def hash_password(password: str) -> str:
    return _argon2()[0].hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
            {"password": "too short"},
        )
    if len(password) > 256:
        raise InvalidRequest("The password may have at most 256 characters.", {"password": "long"})


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    organisation: Organisation,
    email: str,
    name: str,
    password: str,
    role: str,
    now: datetime,
    host: Host | None = None,
    actor: User | None = None,
) -> User:
    """A new active user; reps must be linked to a host of the same organisation."""
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidRequest(f"Unknown role {role!r}.", {"role": "unknown"})
    if role == "rep" and host is None:
        raise InvalidRequest("A rep must be linked to a host.", {"host_id": "required for reps"})
    if host is not None and host.organisation_id != organisation.id:
        raise InvalidRequest("That host belongs to another organisation.", {"host_id": "invalid"})
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidRequest("A user with this email exists already.", {"email": "taken"})
    if host is not None and db.session.scalar(select(User.id).where(User.host_id == host.id)):
        raise InvalidRequest("That host already has a login.", {"host_id": "taken"})
    check_password_rules(password)
    user = User(
        organisation=organisation,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        host=host,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    record(organisation.id, actor, "user.create", "user", user.id, f"Created {role} {email}", now)
    return user


def _failures(now: datetime, **match: str) -> tuple[int, datetime | None]:
    """Failed attempts in the window matching email and/or address, and the oldest one's time."""
    conditions = [getattr(LoginAttempt, column) == value for column, value in match.items()]
    count, oldest = db.session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            *conditions, LoginAttempt.success.is_(False), LoginAttempt.created_at > now - WINDOW
        )
    ).one()
    return count, oldest


def _refuse(oldest: datetime | None, now: datetime, message: str) -> RateLimited:
    wait = (oldest + WINDOW - now).total_seconds() if oldest is not None else WINDOW.seconds
    return RateLimited(message, math.ceil(wait))


def _check_rate_limit(email: str, address: str, now: datetime) -> None:
    """Slow guessing down per address: the attacker's address waits, the owner's does not.

    Failures for one account from one address, and failures from one address for any account,
    are refused after their limit. Nothing here refuses the account for everyone.
    """
    count, oldest = _failures(now, email=email, address=address)
    if count >= MAX_FAILURES_PER_ACCOUNT_ADDRESS:
        raise _refuse(oldest, now, TOO_MANY)
    check_address_limit(address, now)


def check_address_limit(address: str, now: datetime) -> None:
    """Refuse an address with too many failures for any accounts (also single sign-on's)."""
    count, oldest = _failures(now, address=address)
    if count >= MAX_FAILURES_PER_ADDRESS:
        raise _refuse(oldest, now, TOO_MANY)


def _under_attack(email: str, now: datetime) -> tuple[bool, datetime | None]:
    """Whether failures for this account come from so many addresses that a password won't do."""
    count, oldest = _failures(now, email=email)
    return count >= MAX_FAILURES_PER_ACCOUNT, oldest


def note_attempt(email: str, address: str, success: bool, now: datetime) -> None:
    db.session.add(LoginAttempt(email=email, address=address, success=success, created_at=now))


def authenticate(email: str, password: str, address: str, now: datetime) -> LoginResult:
    """Check a password login; every failure is counted, even for unknown accounts.

    The caller commits whether this returns or raises, so failures are kept. Too many
    failures raise RateLimited (see _check_rate_limit and MAX_FAILURES_PER_ACCOUNT).
    """
    email = normalise_email(email)
    _check_rate_limit(email, address, now)
    under_attack, oldest = _under_attack(email, now)
    user = db.session.scalar(select(User).where(User.email == email))
    ok = _matches(user.password_hash if user else None, password) and user.active
    if under_attack and not (ok and user.totp_enabled):
        # Same answer for a right and a wrong password: the attacker learns nothing.
        if not ok:
            note_attempt(email, address, False, now)
        raise _refuse(oldest, now, UNDER_ATTACK)
    refusal = password_login_refusal(user) if ok else None
    note_attempt(email, address, ok and refusal is None, now)
    if not ok:
        raise InvalidRequest("Wrong email or password.")
    if refusal:
        raise PermissionDenied(refusal)
    if is_break_glass_login(user):
        record(
            user.organisation_id,
            user,
            "user.break_glass_login",
            "user",
            user.id,
            f"Break-glass password login by {user.email} while password login is off",
            now,
        )
    if _argon2()[0].check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user, needs_totp=user.totp_enabled)


def finish_login(user: User, now: datetime) -> None:
    user.last_login_at = now


def verify_totp(user: User, code: str, secret_key: str, address: str, now: datetime) -> None:
    """Second factor; wrong codes count as failed attempts for the account."""
    _check_rate_limit(user.email, address, now)
    secret = decrypt(secret_key, TOTP_PURPOSE, user.totp_secret_encrypted or "")
    code = "".join(code.split())
    ok = (
        bool(secret)
        and code.isdigit()
        and pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)
    )
    note_attempt(user.email, address, ok, now)
    if not ok:
        raise InvalidRequest("That code is not valid. Use the current code from your app.")


def change_password(user: User, current: str, new: str, now: datetime) -> None:
    """Change a password after checking the current one; other sessions are signed out."""
    if not _matches(user.password_hash, current):
        raise InvalidRequest("The current password is not right.", {"current_password": "wrong"})
    set_password(user, new, now, actor=user)


def set_password(user: User, new: str, now: datetime, actor: User | None) -> None:
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_version += 1
    record(
        user.organisation_id,
        actor,
        "user.password",
        "user",
        user.id,
        f"Password of {user.email} changed",
        now,
    )


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str, issuer: str = "Rendezvous") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def enable_totp(user: User, secret: str, code: str, secret_key: str, now: datetime) -> None:
    """Turn on two-factor login once the user proves their app shows the right code."""
    code = "".join(code.split())
    if not (code.isdigit() and pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)):
        raise InvalidRequest(
            "That code does not match. Scan the code again and retry.", {"code": "wrong"}
        )
    user.totp_secret_encrypted = encrypt(secret_key, TOTP_PURPOSE, secret)
    user.session_version += 1
    record(
        user.organisation_id, user, "user.totp_on", "user", user.id, "Two-factor login enabled", now
    )


def disable_totp(user: User, actor: User, now: datetime) -> None:
    user.totp_secret_encrypted = None
    record(
        user.organisation_id,
        actor,
        "user.totp_off",
        "user",
        user.id,
        f"Two-factor login disabled for {user.email}",
        now,
    )
