"""The embedded widget: framing and consent settings, consent log, views, attribution, A/B tests."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.extensions import db

from .bookings import Booking
from .event_types import EventType
from .organisations import Organisation
from .routing import Lead
from .types import UTCDateTime

AB_STATUSES = ("running", "stopped")


class EmbedSettings(db.Model):
    """Per organisation: who may frame the widget, the own consent prompt, cookie lifetime."""

    __tablename__ = "embed_settings"
    __table_args__ = (CheckConstraint("cookie_days BETWEEN 1 AND 395", name="cookie_days_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    # Exact origins allowed in frame-ancestors; empty: nobody may frame the widget.
    allowed_origins: Mapped[list] = mapped_column(JSON, default=list)
    own_prompt: Mapped[bool] = mapped_column(default=False)
    prompt_text: Mapped[str] = mapped_column(Text, default="")
    cookie_days: Mapped[int] = mapped_column(default=180)
    # Offline conversion names per goal, as set up in the ad platforms; empty: not exported.
    conversion_booked: Mapped[str] = mapped_column(String(100), default="", server_default="")
    conversion_attended: Mapped[str] = mapped_column(String(100), default="", server_default="")
    conversion_won: Mapped[str] = mapped_column(String(100), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()


class ConsentRecord(db.Model):
    """One consent decision (refusals too), as proof under GDPR Art. 7(1). No IP, no user agent."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("decision IN ('granted', 'refused', 'withdrawn')", name="decision_known"),
        CheckConstraint("source IN ('api', 'tcf', 'consent_mode', 'prompt')", name="source_known"),
        Index("ix_consent_records_org_at", "organisation_id", "decided_at"),
        Index("uq_consent_records_ends_consent_id", "ends_consent_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    host_origin: Mapped[str] = mapped_column(String(200))
    notice_hash: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(35))
    purposes: Mapped[list] = mapped_column(JSON, default=list)
    decision: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20))
    # A withdrawal: the row id of the grant it ends (unique: one withdrawal per grant; no foreign
    # key, which SQLite could not add to the existing table; both rows belong to one
    # organisation). A grant: when it was withdrawn; from then on its id stores nothing
    # (attribution/consent.py `grant_refusal`).
    ends_consent_id: Mapped[int | None] = mapped_column()
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention pass erased its personal data (operations/retention.py); None: kept.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AbTest(db.Model):
    """Variants of an event type's booking page shown to a share of the widget's visitors."""

    __tablename__ = "ab_tests"
    __table_args__ = (CheckConstraint("status IN ('running', 'stopped')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    event_type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event_type: Mapped[EventType] = relationship()
    variants: Mapped[list["AbVariant"]] = relationship(
        back_populates="test",
        order_by="AbVariant.id",
        cascade="all, delete-orphan",
    )


class AbVariant(db.Model):
    """One version of the page; empty fields keep the event type's own text."""

    __tablename__ = "ab_variants"
    __table_args__ = (
        CheckConstraint("weight BETWEEN 0 AND 100", name="weight_range"),
        CheckConstraint("layout IN ('standard', 'compact')", name="layout_known"),
        UniqueConstraint("test_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("ab_tests.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    is_control: Mapped[bool] = mapped_column(default=False)
    # Set when a manager stops the test and promotes this variant.
    is_winner: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[int] = mapped_column(default=50)
    headline: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    button_label: Mapped[str] = mapped_column(String(60), default="")
    layout: Mapped[str] = mapped_column(String(10), default="standard")
    # Question keys in the order to ask them; keys not listed keep their place after these.
    question_order: Mapped[list] = mapped_column(JSON, default=list)

    test: Mapped[AbTest] = relationship(back_populates="variants")


class WidgetView(db.Model):
    """One view of the widget's first page. No visitor identifier; touches only with consent."""

    __tablename__ = "widget_views"
    __table_args__ = (Index("ix_widget_views_org_at", "organisation_id", "viewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    event_type_id: Mapped[int] = mapped_column(ForeignKey("event_types.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_variants.id", ondelete="SET NULL")
    )
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_touch: Mapped[dict | None] = mapped_column(JSON)
    last_touch: Mapped[dict | None] = mapped_column(JSON)
    # When the retention pass erased its personal data (operations/retention.py); None: kept.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WidgetAttribution(db.Model):
    """How a lead or booking came through the widget: variant and, with consent, the touches."""

    __tablename__ = "widget_attributions"
    __table_args__ = (
        CheckConstraint("(lead_id IS NULL) != (booking_id IS NULL)", name="lead_or_booking"),
        Index("ix_widget_attributions_org_at", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), unique=True
    )
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_variants.id", ondelete="SET NULL")
    )
    consent_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent_records.id", ondelete="SET NULL")
    )
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    first_touch: Mapped[dict | None] = mapped_column(JSON)
    last_touch: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lead: Mapped[Lead | None] = relationship()
    booking: Mapped[Booking | None] = relationship()
    variant: Mapped[AbVariant | None] = relationship()
    consent_record: Mapped[ConsentRecord | None] = relationship()
