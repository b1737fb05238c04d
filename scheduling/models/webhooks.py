"""Webhook subscriptions of an organisation and the log of every delivery attempt."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .types import UTCDateTime

WEBHOOK_EVENTS = (
    "booking.created",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.outcome_recorded",
    "lead.qualified",
    "lead.disqualified",
    "lead.abandoned",
)


class WebhookSubscription(db.Model):
    """Where to POST which events. Secrets are encrypted (secretbox): signing needs them."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret_enc: Mapped[str] = mapped_column(Text)
    # During a rotation the old secret still signs (a second v1) until this time.
    previous_secret_enc: Mapped[str | None] = mapped_column(Text)
    previous_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    # Why it stopped (e.g. the receiver answered 410 Gone); empty when switched off by hand.
    disabled_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    deliveries: Mapped[list["WebhookDelivery"]] = relationship(
        back_populates="subscription",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="WebhookDelivery.id.desc()",
    )


class WebhookDelivery(db.Model):
    """One HTTP attempt: what was sent, what came back and how long it took."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_sub_created", "subscription_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(default=1)
    # ok (2xx), failed (other answer or network error), refused (address not allowed).
    result: Mapped[str] = mapped_column(String(20))
    response_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the retention pass erased its personal data (operations/retention.py); None: kept.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscription: Mapped[WebhookSubscription] = relationship(back_populates="deliveries")
