"""The outbox: messages (emails, webhooks) written with the change that causes them, and the
per-event-type notification settings (reminder offsets, no-show follow-up)."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.extensions import db

from .types import UTCDateTime

OUTBOX_STATUSES = ("pending", "sending", "done", "failed", "dropped")


class OutboxMessage(db.Model):
    """One message to deliver at least once; the worker claims it, delivers it, marks it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'done', 'failed', 'dropped')", name="status_known"
        ),
        Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # Which handler delivers it ("email", "webhook") and what it is ("booking.created" ...).
    kind: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(60))
    # Sent with every attempt, so a receiver can drop a repeated delivery.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The claim: which worker holds the row, and until when (a dead worker's claim expires).
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention pass erased its personal data (operations/retention.py); None: kept.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EventTypeNotification(db.Model):
    """Reminder offsets and the no-show follow-up of one event type (defaults when absent)."""

    __tablename__ = "event_type_notifications"

    event_type_id: Mapped[int] = mapped_column(
        ForeignKey("event_types.id", ondelete="CASCADE"), primary_key=True
    )
    # Minutes before the start, e.g. [1440, 60].
    reminder_minutes: Mapped[list] = mapped_column(JSON, default=list)
    no_show_followup: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
