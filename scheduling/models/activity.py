"""What happened around bookings: busy blocks, call outcomes and their reasons, the audit log."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .bookings import Booking
from .hosts import Host
from .organisations import Organisation
from .types import UTCDateTime
from .users import User

OUTCOMES = ("attended", "no_show", "won", "lost")


class BusyBlock(db.Model):
    """Time a host is not bookable although inside their hours (managing slots by hand)."""

    __tablename__ = "busy_blocks"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_busy_blocks_host_start", "host_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    host: Mapped[Host] = relationship()
    created_by: Mapped[User | None] = relationship()


class LostReason(db.Model):
    """The organisation's list of reasons a deal was lost (price, timing, not a fit ...)."""

    __tablename__ = "lost_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship()


class Outcome(db.Model):
    """How a booked call went; one per booking, updated in place."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("status IN ('attended', 'no_show', 'won', 'lost')", name="status_known"),
        CheckConstraint(
            "status != 'won' OR "
            "(deal_value IS NOT NULL AND deal_value >= 0 AND currency IS NOT NULL)",
            name="won_has_value",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20))
    deal_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    lost_reason_id: Mapped[int | None] = mapped_column(
        ForeignKey("lost_reasons.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship(backref=db.backref("outcome", uselist=False))
    lost_reason: Mapped[LostReason | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class AuditEntry(db.Model):
    """Who changed what, and when; written in the same transaction as the change."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_org_at", "organisation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text too: the entry must still say who it was after the user is deleted.
    actor_label: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(60))  # e.g. "event_type.update"
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(500))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship()
