"""Organisations: the tenant every host, event type and booking belongs to."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .types import UTCDateTime


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Base URL of the organisation's own Jitsi; empty means the installation default.
    jitsi_base_url: Mapped[str | None] = mapped_column(String(300))
    # Currency suggested when a rep records a won deal.
    default_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # Time zone of the organisation: the default zone of its new hosts (set by `rendezvous init`).
    tz: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Subscription feeds show only "Busy" blocks: no names, answers or links leave the app.
    feed_busy_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    # How long personal data is kept, per kind ({"bookings": "36m", ...}; see
    # security/retention_periods.py); None or a missing kind: the documented default.
    retention_periods: Mapped[dict | None] = mapped_column(JSON)
    # Minutes between marking a no-show and the "We missed you" email: time to undo a misclick.
    no_show_delay_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    # The operator's own privacy notice (absolute http(s) URL), linked from the public forms;
    # empty: the forms say in one sentence who uses the data and what for.
    privacy_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    hosts: Mapped[list["Host"]] = relationship(  # noqa: F821
        back_populates="organisation", order_by="Host.id"
    )
    event_types: Mapped[list["EventType"]] = relationship(  # noqa: F821
        back_populates="organisation", order_by="EventType.id"
    )
    holidays: Mapped[list["Holiday"]] = relationship(
        back_populates="organisation", order_by="Holiday.day", cascade="all, delete-orphan"
    )


class Holiday(db.Model):
    """A day off for every host of the organisation, unless a host overrides that date."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship(back_populates="holidays")
