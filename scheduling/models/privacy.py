"""Data subject requests (GDPR Art. 15-17, 20) waiting for an admin: what was asked, by when."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .types import UTCDateTime
from .users import User

PRIVACY_REQUEST_KINDS = ("erasure",)
PRIVACY_REQUEST_STATUSES = ("open", "done", "rejected")


class PrivacyRequest(db.Model):
    """One request by a person about their data, answered within a month (Art. 12(3))."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('erasure')", name="kind_known"),
        CheckConstraint("status IN ('open', 'done', 'rejected')", name="status_known"),
        Index("ix_privacy_requests_org_status_due", "organisation_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="erasure")
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Whom it is about: the admin acts on this address; emptied when the request is closed.
    subject_email: Mapped[str] = mapped_column(String(254), default="")
    # Where it was asked: the invitee's booking page ("invitee") or an admin ("admin").
    source: Mapped[str] = mapped_column(String(20), default="invitee")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    closed_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == "open"
