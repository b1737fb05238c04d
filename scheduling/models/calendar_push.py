"""Push channels of connected calendars: a Google watch channel or a Graph subscription each."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.extensions import db

from .types import UTCDateTime


class CalendarPushChannel(db.Model):
    """One busy calendar's push channel; the shared secret is kept only as its SHA-256."""

    __tablename__ = "calendar_push_channels"
    __table_args__ = (
        CheckConstraint("provider IN ('google', 'microsoft')", name="provider_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    # Google: our channel id; Graph: the subscription id. Empty while none is registered.
    channel_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    # Google's resourceId (channels.stop needs it); empty for Graph.
    resource_id: Mapped[str] = mapped_column(String(500), default="")
    # hex SHA-256 of the channel token / clientState (a random 256-bit secret).
    secret_hash: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the worker next registers or renews (after a failure: a backoff).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
