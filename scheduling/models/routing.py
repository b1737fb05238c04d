"""Qualification and routing: forms with questions and rules, teams (pools), leads, assignments."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .bookings import Booking
from .event_types import EventType
from .hosts import Host
from .organisations import Organisation
from .types import UTCDateTime
from .users import User

ACTION_KINDS = ("team", "host", "event_type", "disqualify")


class RoutingForm(db.Model):
    """Questions asked before the calendar, and the rules that route or disqualify by answers."""

    __tablename__ = "routing_forms"
    __table_args__ = (
        CheckConstraint(
            "fallback_kind IN ('team', 'host', 'event_type', 'disqualify', 'default')",
            name="fallback_kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # What happens when no rule matches; "default" books the event type's own hosts or team.
    fallback_kind: Mapped[str] = mapped_column(String(20), default="default")
    fallback_target_id: Mapped[int | None]
    fallback_message: Mapped[str] = mapped_column(Text, default="")
    fallback_redirect_url: Mapped[str] = mapped_column(String(500), default="")
    fallback_redirect_seconds: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="form", cascade="all, delete-orphan", order_by="Question.position"
    )
    rules: Mapped[list["RoutingRule"]] = relationship(
        back_populates="form", cascade="all, delete-orphan", order_by="RoutingRule.position"
    )


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("routing_form_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    routing_form_id: Mapped[int] = mapped_column(
        ForeignKey("routing_forms.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    # Stable machine name: API answers and rule conditions refer to it.
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=False)
    help_text: Mapped[str] = mapped_column(String(500), default="")
    # [{"value": ..., "label": ..., "points": n}] for choice questions.
    choices: Mapped[list] = mapped_column(JSON, default=list)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    points_yes: Mapped[int] = mapped_column(default=0)
    points_no: Mapped[int] = mapped_column(default=0)
    # {"question": key, "operator": op, "value": v}: shown only when an earlier answer matches.
    show_if: Mapped[dict | None] = mapped_column(JSON)
    # Why the answer is needed; shown in the admin UI and used by the privacy documents.
    purpose: Mapped[str] = mapped_column(String(500), default="")

    form: Mapped[RoutingForm] = relationship(back_populates="questions")


class RoutingRule(db.Model):
    __tablename__ = "routing_rules"
    __table_args__ = (
        CheckConstraint("match IN ('all', 'any')", name="match_known"),
        CheckConstraint(
            "action_kind IN ('team', 'host', 'event_type', 'disqualify')", name="action_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    routing_form_id: Mapped[int] = mapped_column(
        ForeignKey("routing_forms.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    match: Mapped[str] = mapped_column(String(3), default="all")
    # [{"field": key or "score", "operator": op, "value": v}]
    conditions: Mapped[list] = mapped_column(JSON, default=list)
    action_kind: Mapped[str] = mapped_column(String(20))
    # A pool, host or event type id depending on action_kind; checked by the operations.
    target_id: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    redirect_url: Mapped[str] = mapped_column(String(500), default="")
    redirect_seconds: Mapped[int] = mapped_column(default=5)
    active: Mapped[bool] = mapped_column(default=True)

    form: Mapped[RoutingForm] = relationship(back_populates="rules")


class Pool(db.Model):
    """A team of hosts sharing calls by weighted, fair round-robin."""

    __tablename__ = "pools"
    __table_args__ = (
        CheckConstraint("period IN ('day', 'week', 'month')", name="period_known"),
        CheckConstraint(
            "equal_distribution_gap IS NULL OR equal_distribution_gap >= 0", name="gap_positive"
        ),
        Index("uq_pools_slug", "slug", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(10), default="week")
    # Zone in which days, weeks and months of the period start.
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    credit_no_shows: Mapped[bool] = mapped_column(default=False)
    # "Equal distribution": hide members more than this many bookings ahead; NULL = off.
    equal_distribution_gap: Mapped[int | None]
    # The team's public page /t/<slug>, unique across the installation; None: no page yet.
    slug: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    members: Mapped[list["PoolMember"]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="PoolMember.id"
    )


class PoolMember(db.Model):
    __tablename__ = "pool_members"
    __table_args__ = (
        UniqueConstraint("pool_id", "host_id"),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
        CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name="daily_cap_positive"),
        CheckConstraint("weekly_cap IS NULL OR weekly_cap > 0", name="weekly_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    weight: Mapped[int] = mapped_column(default=1)
    priority: Mapped[int] = mapped_column(default=0)
    daily_cap: Mapped[int | None]
    weekly_cap: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())

    pool: Mapped[Pool] = relationship(back_populates="members")
    host: Mapped[Host] = relationship()


class CreditAdjustment(db.Model):
    """A manager's manual credit (+) or debit (-) of a member's count in a pool."""

    __tablename__ = "credit_adjustments"
    __table_args__ = (Index("ix_credit_adjustments_pool_at", "pool_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    # Added to the member's assigned count: -1 gives a booking back, +1 counts one more.
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    host: Mapped[Host] = relationship()
    created_by: Mapped[User | None] = relationship()


class Assignment(db.Model):
    """Why a booking went to its host: candidates, shares, the deciding step and rule."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_pool_at", "pool_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id", ondelete="SET NULL"))
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    # Each eligible member's share of this assignment: {host_id: share}; sums to 1.
    shares: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    rule_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship(backref=db.backref("assignment", uselist=False))


class Lead(db.Model):
    """Every submission of a routing form: disqualified, qualified (maybe abandoned), or booked."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint("status IN ('qualified', 'booked', 'disqualified')", name="status_known"),
        Index("ix_leads_org_created", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public identifier: the visitor's flow and the API carry it instead of the answers.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    routing_form_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_forms.id", ondelete="SET NULL")
    )
    event_type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    score: Mapped[int] = mapped_column(default=0)
    rule_name: Mapped[str] = mapped_column(String(200), default="")
    # The routing decision: {"kind", "target_id", "trace": [...]}.
    decision: Mapped[dict] = mapped_column(JSON, default=dict)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the retention pass erased its personal data (operations/retention.py); None: kept.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event_type: Mapped[EventType] = relationship()
    routing_form: Mapped[RoutingForm | None] = relationship()
    booking: Mapped[Booking | None] = relationship()
