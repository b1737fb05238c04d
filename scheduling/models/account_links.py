"""Account links sent by email: invitations (who is invited, as what) and set-password links.

The row keeps a random nonce, never the token (security/account_links.py derives it with the
app secret). A link is pending until it is used, revoked or past expires_at.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .hosts import Host
from .types import UTCDateTime
from .users import User

LINK_PURPOSES = ("invite", "password")


class AccountLink(db.Model):
    __tablename__ = "account_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('invite', 'password')", name="purpose_known"),
        CheckConstraint("role IN ('admin', 'manager', 'rep')", name="role_known"),
        CheckConstraint("purpose != 'password' OR user_id IS NOT NULL", name="password_has_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    # Invitations: what the account will be. Set-password links: a copy of the user's.
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id", ondelete="SET NULL"))
    # The account: set-password links from the start, invitations once accepted.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    host: Mapped[Host | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def state(self, now: datetime) -> str:
        """pending, used, revoked or expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"
