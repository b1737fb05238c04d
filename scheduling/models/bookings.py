"""Bookings: one invitee meeting one host at one time; the database forbids double booking."""

from datetime import datetime

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Index, String, Text, event, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .event_types import EventType
from .hosts import Host
from .organisations import Organisation
from .types import UTCDateTime

STATUSES = ("confirmed", "cancelled", "rescheduled")


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint(
            "occupied_from <= start_at AND occupied_until >= end_at", name="occupied_covers_meeting"
        ),
        CheckConstraint("status IN ('confirmed', 'cancelled', 'rescheduled')", name="status_known"),
        # Busy-time reads (a team's month of bookings) find all they need in the index itself.
        Index("ix_bookings_host_busy", "host_id", "occupied_from", "occupied_until", "status"),
        Index("ix_bookings_event_type_start", "event_type_id", "start_at"),
        # PostgreSQL enforces "no two confirmed bookings of one host overlap, buffers included";
        # on SQLite the triggers below do, and bookings run inside BEGIN IMMEDIATE.
        ExcludeConstraint(
            ("host_id", "="),
            (func.tstzrange(text("occupied_from"), text("occupied_until"), "[)"), "&&"),
            name="ex_bookings_host_overlap",
            using="gist",
            where=text("status = 'confirmed'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public identifier (URLs, iCal UID): random, so ids cannot be enumerated.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    event_type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id", ondelete="RESTRICT"))
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="RESTRICT"))
    invitee_name: Mapped[str] = mapped_column(String(200))
    invitee_email: Mapped[str] = mapped_column(String(254))
    invitee_tz: Mapped[str] = mapped_column(String(64))
    # The language the invitee booked in (one of LANGUAGES): their emails and .ics use it.
    invitee_locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    note: Mapped[str] = mapped_column(Text, default="")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The meeting widened by its event type's buffers: what the overlap rule compares.
    occupied_from: Mapped[datetime] = mapped_column(UTCDateTime())
    occupied_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="confirmed")
    location_kind: Mapped[str] = mapped_column(String(20))
    # Address, phone number or the booking's own video room URL.
    location: Mapped[str] = mapped_column(String(500), default="")
    # iCal identity: shared by a booking and its reschedules, SEQUENCE counts the changes.
    ical_uid: Mapped[str] = mapped_column(String(100))
    sequence: Mapped[int] = mapped_column(default=0)
    # Part of the cancel/reschedule link signatures: raising it revokes every link sent so far.
    token_version: Mapped[int] = mapped_column(default=1)
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL")
    )
    # A collective meeting has one row per host, all pointing at the first (its own id there):
    # the public uid and links are that row's. NULL: a meeting with one host.
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Why a host or manager moved it (empty when the invitee did).
    reschedule_reason: Mapped[str] = mapped_column(Text, default="")
    # Who made the change: "invitee", or "user" with the user id (admin side).
    cancelled_by: Mapped[str] = mapped_column(String(20), default="")
    # Where the booking came from: the public page, the API, or entered by a user.
    source: Mapped[str] = mapped_column(String(20), default="public")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention pass erased its personal data (operations/retention.py); None: kept.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    event_type: Mapped[EventType] = relationship()
    host: Mapped[Host] = relationship()
    rescheduled_from: Mapped["Booking | None"] = relationship(
        remote_side=[id], foreign_keys=[rescheduled_from_id]
    )

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"

    @property
    def minutes(self) -> int:
        """The meeting's own length in whole minutes (the one chosen when booking)."""
        return int((self.end_at - self.start_at).total_seconds() // 60)


# SQLite has no exclusion constraints; these triggers give it the same guarantee. Instants are
# stored as fixed-width UTC text, so text comparison orders them correctly.
_SQLITE_OVERLAP_CHECK = """
    SELECT RAISE(ABORT, 'booking overlaps another confirmed booking of this host')
    WHERE NEW.status = 'confirmed' AND EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.host_id = NEW.host_id AND other.status = 'confirmed' AND other.id != NEW.id
          AND other.occupied_from < NEW.occupied_until
          AND other.occupied_until > NEW.occupied_from
    );
"""
SQLITE_OVERLAP_TRIGGERS = (
    "CREATE TRIGGER tr_bookings_no_overlap_insert BEFORE INSERT ON bookings "
    f"BEGIN {_SQLITE_OVERLAP_CHECK} END",
    "CREATE TRIGGER tr_bookings_no_overlap_update "
    "BEFORE UPDATE OF host_id, status, occupied_from, occupied_until ON bookings "
    f"BEGIN {_SQLITE_OVERLAP_CHECK} END",
)
for _statement in SQLITE_OVERLAP_TRIGGERS:
    event.listen(Booking.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
