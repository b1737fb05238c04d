"""Single sign-on settings per organisation: the issuer, client, domains, just-in-time
accounts, password login off and its break-glass admin.

The discovery document is fetched (remote/oidc.py) by the caller before saving, so nothing here
waits on the network; the client secret is stored encrypted and never returned.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from scheduling.errors import N_, InvalidRequest
from scheduling.extensions import db
from scheduling.models import ROLES, Organisation, SsoConfig, User
from scheduling.remote.oidc_types import NetPolicy, Provider
from scheduling.security import secretbox
from scheduling.security.sso_rules import password_login_allowed

from .audit import record

SECRET_PURPOSE = "sso-client-secret"  # noqa: S105 (a key-derivation label)


@dataclass(frozen=True)
class SsoInput:
    """What an admin enters; an empty client secret keeps the stored one."""

    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: list[str]
    jit_enabled: bool
    jit_role: str
    password_login_disabled: bool
    break_glass_user_id: int | None


def net_policy() -> NetPolicy:
    """How sign-on requests reach the issuer, from the app's configuration."""
    config = current_app.config
    return NetPolicy(
        allow_private=bool(config["SSO_ALLOW_PRIVATE"]),
        timeout=float(config["SSO_TIMEOUT_SECONDS"]),
        cafile=config.get("SSO_CAFILE"),
    )


def sso_config(organisation_id: int) -> SsoConfig | None:
    return db.session.scalar(select(SsoConfig).where(SsoConfig.organisation_id == organisation_id))


def break_glass_candidates(organisation_id: int) -> list[User]:
    """The organisation's active admins: the only people who can be the break-glass admin."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.organisation_id == organisation_id, User.role == "admin", User.active)
            .order_by(User.name, User.id)
        )
    )


def client_secret(config: SsoConfig, secret_key: str) -> str:
    """The plaintext secret, or InvalidRequest when SECRET_KEY changed since it was saved."""
    secret = secretbox.decrypt(secret_key, SECRET_PURPOSE, config.client_secret_encrypted)
    if secret is None:
        raise InvalidRequest(
            N_(
                "The single sign-on client secret can no longer be read (the app's secret key "
                "changed). An admin has to enter it again in the settings."
            )
        )
    return secret


def _check(organisation: Organisation, data: SsoInput, existing: SsoConfig | None) -> None:
    if data.jit_role not in ROLES:
        raise InvalidRequest(f"Unknown role {data.jit_role!r}.", {"jit_role": "unknown"})
    if not data.client_secret and existing is None:
        raise InvalidRequest(N_("Enter the client secret."), {"client_secret": "required"})
    if data.break_glass_user_id is not None:
        if data.break_glass_user_id not in {
            user.id for user in break_glass_candidates(organisation.id)
        }:
            raise InvalidRequest(
                N_("The break-glass account must be an active admin of this organisation."),
                {"break_glass_user_id": "invalid"},
            )
    elif data.password_login_disabled:
        raise InvalidRequest(
            N_(
                "Choose a break-glass admin before switching password login off: otherwise "
                "nobody can sign in while the identity provider is down."
            ),
            {"break_glass_user_id": "required"},
        )


def save_sso(
    organisation: Organisation,
    data: SsoInput,
    provider: Provider,
    secret_key: str,
    actor: User,
    now: datetime,
) -> SsoConfig:
    """Create or update the organisation's settings; the audit entry never holds the secret."""
    config = sso_config(organisation.id)
    _check(organisation, data, config)
    created = config is None
    if created:
        config = SsoConfig(organisation=organisation, created_at=now, updated_at=now)
        db.session.add(config)
    changes = {}
    values = {
        "issuer": provider.issuer,
        "client_id": data.client_id,
        "provider": provider.as_dict(),
        "allowed_domains": list(data.allowed_domains),
        "jit_enabled": data.jit_enabled,
        "jit_role": data.jit_role,
        "password_login_disabled": data.password_login_disabled,
        "break_glass_user_id": data.break_glass_user_id,
    }
    for field, new in values.items():
        old = None if created else getattr(config, field)
        if old != new:
            changes[field] = [old, new]
            setattr(config, field, new)
    if data.client_secret:
        config.client_secret_encrypted = secretbox.encrypt(
            secret_key, SECRET_PURPOSE, data.client_secret
        )
        changes["client_secret"] = ["(hidden)", "(changed)"]
    config.updated_at = now  # the issuer answered just now
    if changes:
        record(
            organisation.id,
            actor,
            "sso.create" if created else "sso.update",
            "sso",
            None,
            f"Single sign-on {'set up' if created else 'changed'}: issuer {provider.issuer}",
            now,
            changes,
        )
    db.session.flush()
    return config


def remove_sso(organisation: Organisation, actor: User, now: datetime) -> bool:
    """Switch single sign-on off: everybody signs in with a password again."""
    config = sso_config(organisation.id)
    if config is None:
        return False
    record(
        organisation.id,
        actor,
        "sso.remove",
        "sso",
        None,
        f"Single sign-on removed (issuer {config.issuer}); password login is on again",
        now,
    )
    db.session.delete(config)
    db.session.flush()
    return True


def password_login_refusal(user: User) -> str | None:
    """Why this user may not sign in with a password (None: they may)."""
    config = sso_config(user.organisation_id)
    if config is None:
        return None
    if password_login_allowed(
        config.password_login_disabled, config.break_glass_user_id == user.id
    ):
        return None
    return N_(
        "Your organisation signs in with single sign-on: use “Sign in with single sign-on” "
        "instead of a password."
    )


def is_break_glass_login(user: User) -> bool:
    """A password login that only works because this user is the break-glass admin."""
    config = sso_config(user.organisation_id)
    return bool(config and config.password_login_disabled and config.break_glass_user_id == user.id)
