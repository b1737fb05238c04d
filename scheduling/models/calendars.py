"""Calendars outside Rendezvous: subscription feeds out, imported busy time in, CalDAV copies."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .calendar_connections import CalendarConnection
from .hosts import Host
from .routing import Pool
from .types import UTCDateTime

SOURCE_KINDS = ("ics", "caldav")
# Calendars read through a CalendarConnection (OAuth) rather than an address.
CONNECTED_KINDS = ("google", "microsoft")


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
    """An external calendar whose events block a host's slots (ICS URL, CalDAV calendar, or a
    Google / Microsoft calendar of a connected mailbox)."""

    __tablename__ = "calendar_sources"
    __table_args__ = (
        CheckConstraint("kind IN ('ics', 'caldav', 'google', 'microsoft')", name="kind_known"),
        CheckConstraint("kind != 'ics' OR NOT write_back", name="write_back_not_ics"),
        CheckConstraint(
            "(kind IN ('google', 'microsoft')) = (connection_id IS NOT NULL)",
            name="connection_iff_connected_kind",
        ),
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
    # Google / Microsoft: the mailbox, the provider's calendar id, and the sync token or delta
    # link of the last read ("" reads the whole window).
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True
    )
    remote_calendar_id: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    sync_state: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Off: the calendar is only listed (it may receive bookings) and its events never count.
    blocks_time: Mapped[bool] = mapped_column(default=True, server_default=true())

    host: Mapped[Host] = relationship()
    connection: Mapped[CalendarConnection | None] = relationship()


class ImportedBusy(db.Model):
    """Busy time read from a source; replaced as a whole on each successful refresh."""

    __tablename__ = "imported_busy"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_imported_busy_host_start", "host_id", "start_at"),
        Index("ix_imported_busy_source_remote", "source_id", "remote_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_sources.id", ondelete="CASCADE"), index=True
    )
    # Copied from the source so the slot query reads one table with one index.
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The provider's event id (connected calendars), so an incremental sync replaces one event.
    remote_event_id: Mapped[str | None] = mapped_column(String(1024))


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
