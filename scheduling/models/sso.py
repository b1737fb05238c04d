"""Single sign-on: one OpenID Connect issuer per organisation for the admin side."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .organisations import Organisation
from .types import UTCDateTime
from .users import User


class SsoConfig(db.Model):
    __tablename__ = "sso_configs"
    __table_args__ = (
        CheckConstraint("jit_role IN ('admin', 'manager', 'rep')", name="jit_role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    # As the discovery document announces it: ID tokens must carry exactly this `iss`.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Encrypted with a key derived from SECRET_KEY (security/secretbox.py); never shown again.
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    # The discovery document's endpoints (remote/oidc.py Provider), read when the settings
    # were saved: sign-ins do not fetch it again.
    provider: Mapped[dict] = mapped_column(JSON)
    # Lower-case domains a signing-in address must have; empty: any address of a known user.
    allowed_domains: Mapped[list] = mapped_column(JSON, default=list)
    # Just-in-time accounts: an unknown (allowed, verified) address gets a user with this role.
    jit_enabled: Mapped[bool] = mapped_column(default=False)
    jit_role: Mapped[str] = mapped_column(String(20), default="rep")
    # Password login off: only single sign-on, except for the break-glass admin.
    password_login_disabled: Mapped[bool] = mapped_column(default=False)
    # The one admin who may still sign in with password (and two-factor) when the identity
    # provider is down or misconfigured; required before password login can be switched off.
    break_glass_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    break_glass_user: Mapped[User | None] = relationship()
