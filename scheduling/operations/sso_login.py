"""Signing in with single sign-on: which organisation an address belongs to, and the checks after
the identity provider vouched for someone (verified address, allowed domain, an active user of
that organisation or a just-in-time account). Every outcome is a login attempt (the password
login's rate limits count it) and an audit entry of the organisation.

Users who sign in this way skip the app's own two-factor step: the identity provider does
multi-factor authentication, and its policy is the organisation's to set.
"""

import secrets
from datetime import datetime

from sqlalchemy import func, select

from scheduling.errors import N_, InvalidRequest
from scheduling.extensions import db
from scheduling.models import Host, Organisation, SsoConfig, User
from scheduling.security.sso_rules import domain_allowed, email_domain, verified_email

from .accounts import check_address_limit, create_user, normalise_email, note_attempt
from .audit import record
from .hosts import create_host
from .sso_settings import sso_config


class SsoRefused(InvalidRequest):
    """The identity provider's answer does not let this person in; the message says why."""

    status = 403


def config_for_slug(slug: str) -> SsoConfig | None:
    """The settings of the organisation with this slug, if it uses single sign-on."""
    return db.session.scalar(
        select(SsoConfig).join(Organisation).where(Organisation.slug == slug.strip().lower())
    )


def config_for_email(email: str) -> SsoConfig | None:
    """The organisation an address signs in to: its user's, or else the one organisation with
    just-in-time accounts for the address's domain (none if several claim it)."""
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return sso_config(user.organisation_id)
    domain = email_domain(email)
    candidates = [
        config
        for config in db.session.scalars(select(SsoConfig).where(SsoConfig.jit_enabled))
        if domain in (config.allowed_domains or [])
    ]
    return candidates[0] if len(candidates) == 1 else None


def refuse(
    config: SsoConfig | None, email: str, address: str, summary: str, message: str, now: datetime
) -> SsoRefused:
    """Count a failed attempt, audit it for the organisation, and return the error to raise."""
    note_attempt(email, address, False, now)
    if config is not None:
        record(config.organisation_id, None, "sso.login_refused", "sso", None, summary, now)
    return SsoRefused(message)


def check_attempts(address: str, now: datetime) -> None:
    """The password login's per-address limit also covers sign-on callbacks (RateLimited)."""
    check_address_limit(address, now)


def _name_from(claims: dict, email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        name = email.partition("@")[0]
    return name.strip()[:200]


def _host_for_rep(organisation: Organisation, name: str, email: str, now: datetime) -> Host:
    """A new rep's host: the organisation's host with that address if it has no login yet."""
    host = db.session.scalar(
        select(Host).where(Host.organisation_id == organisation.id, func.lower(Host.email) == email)
    )
    if host is not None and db.session.scalar(select(User.id).where(User.host_id == host.id)):
        host = None
    return host or create_host(organisation, name, email, organisation.tz, now, None)


def _create_just_in_time(config: SsoConfig, email: str, claims: dict, now: datetime) -> User:
    organisation = config.organisation
    name = _name_from(claims, email)
    host = _host_for_rep(organisation, name, email, now) if config.jit_role == "rep" else None
    # An unusable random password: the account signs in by single sign-on (or gets a
    # set-password link from an admin).
    return create_user(
        organisation, email, name, secrets.token_urlsafe(32), config.jit_role, now, host=host
    )


def complete_login(config: SsoConfig, claims: dict, address: str, now: datetime) -> User:
    """The user the checked ID token signs in, or SsoRefused (attempt and audit recorded)."""
    email = verified_email(claims)
    shown = claims.get("email") if isinstance(claims.get("email"), str) else ""
    shown = shown.strip().lower()[:254]
    if email is None:
        raise refuse(
            config,
            shown,
            address,
            f"Sign-on refused for {shown or 'an address'}: the address is missing or not verified",
            N_(
                "Your identity provider did not confirm a verified email address, so you cannot "
                "be signed in. Ask your administrator to verify your address there."
            ),
            now,
        )
    if not domain_allowed(email, config.allowed_domains or []):
        raise refuse(
            config,
            email,
            address,
            f"Sign-on refused for {email}: domain not allowed",
            N_("Addresses of this domain may not sign in to this organisation."),
            now,
        )
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and user.organisation_id != config.organisation_id:
        raise refuse(
            config,
            email,
            address,
            f"Sign-on refused for {email}: the account belongs to another organisation",
            N_("This address has no account in this organisation."),
            now,
        )
    if user is not None and not user.active:
        raise refuse(
            config,
            email,
            address,
            f"Sign-on refused for {email}: the account is deactivated",
            N_("Your account is deactivated. Ask an administrator of your organisation."),
            now,
        )
    created = False
    if user is None:
        if not config.jit_enabled:
            raise refuse(
                config,
                email,
                address,
                f"Sign-on refused for {email}: no account, and just-in-time accounts are off",
                N_(
                    "This address has no account in this organisation. Ask an administrator "
                    "to invite you."
                ),
                now,
            )
        user = _create_just_in_time(config, email, claims, now)
        created = True
    note_attempt(email, address, True, now)
    user.last_login_at = now
    record(
        config.organisation_id,
        user,
        "user.sso_login",
        "user",
        user.id,
        f"{email} signed in with single sign-on"
        + (f" (account created as {user.role})" if created else ""),
        now,
    )
    return user
