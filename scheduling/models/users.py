"""People who log in to the admin side, and the login attempts used to slow down guessing."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .hosts import Host
from .organisations import Organisation
from .types import UTCDateTime

ROLES = ("admin", "manager", "rep")


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'manager', 'rep')", name="role_known"),
        CheckConstraint("role != 'rep' OR host_id IS NOT NULL", name="rep_has_host"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # Stored lower-case: one account per address across the installation.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    # A rep is one of the hosts people book; managers and admins may be hosts too.
    host_id: Mapped[int | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="SET NULL"), unique=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    # TOTP secret, encrypted with a key derived from SECRET_KEY; NULL while 2FA is off.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    # Raised on password change and logout-everywhere: older sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    host: Mapped[Host | None] = relationship()

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret_encrypted is not None


class LoginAttempt(db.Model):
    """Failed and successful logins; failures per account and per address are rate-limited."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "created_at"),
        Index("ix_login_attempts_address_at", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
