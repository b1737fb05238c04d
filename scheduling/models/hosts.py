"""Hosts (the closers people book): weekly hours, date overrides, own holidays, absences."""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .organisations import Organisation
from .types import UTCDateTime


class Host(db.Model):
    __tablename__ = "hosts"
    __table_args__ = (
        UniqueConstraint("organisation_id", "email"),
        Index("uq_hosts_slug", "slug", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    tz: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # The host's public page /u/<slug>, unique across the installation; None: no page yet.
    slug: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="hosts")
    weekly_hours: Mapped[list["WeeklyHours"]] = relationship(
        back_populates="host",
        cascade="all, delete-orphan",
        order_by="(WeeklyHours.weekday, WeeklyHours.start_minute)",
    )
    date_overrides: Mapped[list["DateOverride"]] = relationship(
        back_populates="host",
        cascade="all, delete-orphan",
        order_by="(DateOverride.day, DateOverride.start_minute)",
    )
    holidays: Mapped[list["HostHoliday"]] = relationship(
        back_populates="host", cascade="all, delete-orphan", order_by="HostHoliday.day"
    )
    absences: Mapped[list["Absence"]] = relationship(
        back_populates="host",
        cascade="all, delete-orphan",
        order_by="(Absence.first_day, Absence.id)",
        foreign_keys="Absence.host_id",
    )


class WeeklyHours(db.Model):
    """One interval of a host's regular week, in minutes after local midnight (1440 = 24:00)."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND end_minute > start_minute",
            name="minute_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)

    host: Mapped[Host] = relationship(back_populates="weekly_hours")


class DateOverride(db.Model):
    """Replaces a date's weekly hours; a row without minutes makes the date a day off."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND end_minute > start_minute)",
            name="minute_range",
        ),
        Index("ix_date_overrides_host_day", "host_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(SmallInteger)
    end_minute: Mapped[int | None] = mapped_column(SmallInteger)

    host: Mapped[Host] = relationship(back_populates="date_overrides")

    @property
    def is_day_off(self) -> bool:
        return self.start_minute is None


class HostHoliday(db.Model):
    """A day off of one host (e.g. a regional public holiday); the host's override still wins."""

    __tablename__ = "host_holidays"
    __table_args__ = (UniqueConstraint("host_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))

    host: Mapped[Host] = relationship(back_populates="holidays")


class Absence(db.Model):
    """Out of office: inclusive local dates in the host's zone, optionally covered by a colleague.

    No hours on those dates, whatever the overrides say; an event type hosted by this host alone
    offers the delegate's hours on those dates instead (bookings then go to the delegate).
    """

    __tablename__ = "absences"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="day_order"),
        CheckConstraint("delegate_id IS NULL OR delegate_id <> host_id", name="not_self"),
        Index("ix_absences_host_days", "host_id", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    delegate_id: Mapped[int | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="SET NULL"), index=True
    )

    host: Mapped[Host] = relationship(back_populates="absences", foreign_keys=[host_id])
    delegate: Mapped[Host | None] = relationship(foreign_keys=[delegate_id])
