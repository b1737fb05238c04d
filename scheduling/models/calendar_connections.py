"""Connections to Google Calendar and Microsoft 365: the organisation's app, each host's mailbox."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .hosts import Host
from .types import UTCDateTime

PROVIDERS = ("google", "microsoft")
CONNECTION_STATUSES = ("connected", "needs_reconnect")


class CalendarProviderApp(db.Model):
    """The OAuth client an admin registered at Google or Microsoft for the organisation."""

    __tablename__ = "calendar_provider_apps"
    __table_args__ = (
        UniqueConstraint("organisation_id", "provider"),
        CheckConstraint("provider IN ('google', 'microsoft')", name="provider_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[str] = mapped_column(String(500))
    # Encrypted with the app key; never shown again once saved.
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarConnection(db.Model):
    """One host's mailbox at a provider: encrypted tokens, state, and the pause a 429 asked for."""

    __tablename__ = "calendar_connections"
    __table_args__ = (
        UniqueConstraint("host_id", "provider", "account_email"),
        CheckConstraint("provider IN ('google', 'microsoft')", name="provider_known"),
        CheckConstraint("status IN ('connected', 'needs_reconnect')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    account_email: Mapped[str] = mapped_column(String(320), default="")
    # The scopes the provider granted (space separated), shown on the calendars page.
    scopes: Mapped[str] = mapped_column(Text, default="")
    access_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    refresh_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="connected")
    status_message: Mapped[str] = mapped_column(Text, default="")
    needs_reconnect_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # No call to this mailbox before this instant (Retry-After of a 429/403/503).
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A worker syncing this mailbox holds it until then: one call at a time per mailbox.
    sync_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    host: Mapped[Host] = relationship()

    @property
    def needs_reconnect(self) -> bool:
        return self.status == "needs_reconnect"
