"""Calendars outside Rendezvous: subscription feeds out, imported busy time in, CalDAV copies."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .hosts import Host
from .routing import Pool
from .types import UTCDateTime

SOURCE_KINDS = ("ics", "caldav")


class CalendarFeed(db.Model):
    """The secret subscription URL of one host's bookings, or of one team's."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        CheckConstraint("(host_id IS NULL) != (pool_id IS NULL)", name="host_or_pool"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), unique=True
    )
    pool_id: Mapped[int | None] = mapped_column(
        ForeignKey("pools.id", ondelete="CASCADE"), unique=True
    )
    # SHA-256 of the token: the lookup key. A database dump alone does not open any feed.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token encrypted with the app key, so its owner can copy the URL again later.
    token_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Raised when something outside the bookings changes the feed (the "Busy only" setting),
    # so Last-Modified moves and If-Modified-Since clients fetch it again.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    host: Mapped[Host | None] = relationship()
    pool: Mapped[Pool | None] = relationship()


class CalendarSource(db.Model):
    """An external calendar whose events block a host's slots (ICS URL or CalDAV calendar)."""

    __tablename__ = "calendar_sources"
    __table_args__ = (
        CheckConstraint("kind IN ('ics', 'caldav')", name="kind_known"),
        CheckConstraint("kind = 'caldav' OR NOT write_back", name="write_back_caldav_only"),
        Index("ix_calendar_sources_next_attempt", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    username: Mapped[str] = mapped_column(String(200), default="")
    password_encrypted: Mapped[str] = mapped_column(Text, default="")
    include_tentative: Mapped[bool] = mapped_column(default=False)
    # "Add bookings here": Rendezvous writes this host's bookings into the CalDAV calendar.
    write_back: Mapped[bool] = mapped_column(default=False)
    # Validator of the last good answer (ETag, or the CalDAV collection's ctag).
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    busy_count: Mapped[int] = mapped_column(default=0)
    # End of the range the stored busy time covers: once it falls behind, the next refresh
    # ignores the validators and reads everything again (recurring events move with the range).
    covered_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Failures in a row: the retry delay doubles with each, up to a cap.
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    host: Mapped[Host] = relationship()


class ImportedBusy(db.Model):
    """Busy time read from a source; replaced as a whole on each successful refresh."""

    __tablename__ = "imported_busy"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_imported_busy_host_start", "host_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="CASCADE"), index=True
    )
    # Copied from the source so the slot query reads one table with one index.
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarCopy(db.Model):
    """A booking written into a CalDAV calendar (one resource per iCal UID)."""

    __tablename__ = "calendar_copies"
    __table_args__ = (UniqueConstraint("source_id", "ical_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("calendar_sources.id", ondelete="CASCADE"))
    ical_uid: Mapped[str] = mapped_column(String(100), index=True)
    href: Mapped[str] = mapped_column(String(2000))
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    source: Mapped[CalendarSource] = relationship()
