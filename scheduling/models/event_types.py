"""Event types: what a visitor books (length, grid, buffers, notice, location) and who hosts it."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.availability.durations import offered_durations
from scheduling.extensions import db

from .hosts import Host
from .organisations import Organisation
from .types import UTCDateTime

# Where a meeting happens: a video room made per booking, a number the invitee calls
# (host_phone) or gives (invitee_phone), an address, or an https link.
LOCATION_KINDS = ("video", "host_phone", "invitee_phone", "in_person", "link")
# Booking page layouts; an A/B variant picks from the same ones (promotion copies its choice).
LAYOUTS = ("standard", "compact")
# Who hosts a meeting: "one" of its hosts (or a team's member), or all of them together
# ("collective": at least two hosts, no team; slots are the times every one of them is free).
ASSIGNMENTS = ("one", "collective")


def _default_durations(context) -> list[int]:
    """A new row offers only its default length unless told otherwise."""
    return [context.get_current_parameters()["duration"]]


event_type_hosts = Table(
    "event_type_hosts",
    db.metadata,
    Column("event_type_id", ForeignKey("event_types.id", ondelete="CASCADE"), primary_key=True),
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True),
)


class EventType(db.Model):
    __tablename__ = "event_types"
    __table_args__ = (
        CheckConstraint("duration > 0 AND step > 0", name="positive_lengths"),
        CheckConstraint(
            "buffer_before >= 0 AND buffer_after >= 0 AND min_notice >= 0 AND horizon_days > 0",
            name="non_negative_settings",
        ),
        CheckConstraint("daily_limit IS NULL OR daily_limit > 0", name="daily_limit_positive"),
        CheckConstraint("weekly_limit IS NULL OR weekly_limit > 0", name="weekly_limit_positive"),
        CheckConstraint("min_gap BETWEEN 0 AND 1440", name="min_gap_range"),
        CheckConstraint("layout IN ('standard', 'compact')", name="layout_known"),
        CheckConstraint("assignment IN ('one', 'collective')", name="assignment_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # Unique across the installation: public URLs and the API name event types by slug alone.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration: Mapped[int]  # minutes: the default length, one of `durations`
    # Every length a visitor may choose, in minutes, ascending, with the default (one: no choice).
    durations: Mapped[list] = mapped_column(JSON, default=_default_durations, server_default="[]")
    step: Mapped[int]  # minutes between slot starts
    buffer_before: Mapped[int] = mapped_column(default=0)
    buffer_after: Mapped[int] = mapped_column(default=0)
    min_notice: Mapped[int] = mapped_column(default=0)  # minutes
    horizon_days: Mapped[int] = mapped_column(default=60)
    daily_limit: Mapped[int | None]  # per host and local date; NULL = no limit
    # Per host and local ISO week (Monday start, host's zone); NULL = no limit.
    weekly_limit: Mapped[int | None]
    # Minutes kept free between a meeting of this type and any other of the host (end to start).
    min_gap: Mapped[int] = mapped_column(default=0, server_default="0")
    # The offered locations in the order shown, the first the default:
    # [{"kind": one of LOCATION_KINDS, "detail": address, E.164 number or https link, or ""}].
    locations: Mapped[list] = mapped_column(JSON, default=lambda: [{"kind": "video", "detail": ""}])
    active: Mapped[bool] = mapped_column(default=True)
    # Questions asked before the calendar (several event types may share one form).
    routing_form_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_forms.id", ondelete="SET NULL")
    )
    # With a team, its active members host the event type by round-robin (instead of `hosts`).
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id", ondelete="SET NULL"))
    # "one": a meeting with one host (or team member); "collective": with all of `hosts`.
    assignment: Mapped[str] = mapped_column(String(20), default="one", server_default="one")
    # The booking page's button text (empty: the page's default label) and layout.
    button_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    layout: Mapped[str] = mapped_column(String(10), default="standard", server_default="standard")
    # The booking pages' language when the visitor's browser asks for none we have (NULL: English).
    default_locale: Mapped[str | None] = mapped_column(String(10))
    # Hidden: bookable by its link, the widget and the API, but left out of public listings.
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the public page sends the visitor after booking (with ?booking=<uid>); empty: our
    # own confirmation page. Must be on one of the organisation's allowlisted embed origins.
    redirect_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="event_types")
    hosts: Mapped[list[Host]] = relationship(secondary=event_type_hosts, order_by="Host.id")
    routing_form: Mapped["RoutingForm | None"] = relationship()  # noqa: F821
    pool: Mapped["Pool | None"] = relationship()  # noqa: F821

    @property
    def offered_durations(self) -> tuple[int, ...]:
        """Every length a visitor may choose, ascending, with the default."""
        return offered_durations(self.duration, self.durations)

    @property
    def is_collective(self) -> bool:
        return self.assignment == "collective"
