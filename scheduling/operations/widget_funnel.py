"""Use cases of the widget's funnel: views and attribution as they happen, and the report rows."""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from scheduling.attribution import FunnelRow, Touch, clean_attribution, strip_click_ids
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import (
    AbVariant,
    Booking,
    ConsentRecord,
    EventType,
    Lead,
    Outcome,
    WidgetAttribution,
    WidgetView,
)

from . import notifications
from .consent_grants import live_grant, refusal_of, usable_grant
from .locking import acquire_booking_lock


def record_view(
    event_type: EventType,
    variant: AbVariant | None,
    first: Touch | None,
    last: Touch | None,
    now: datetime,
) -> WidgetView:
    """Count one view; touches only when the host page had consent (else nothing identifies it).

    A view's URL carries no consent record to prove the `ads` purpose, so its click ids are
    never stored (only the platform's name, which the funnel's channel needs).
    """
    view = WidgetView(
        organisation_id=event_type.organisation_id,
        event_type_id=event_type.id,
        variant_id=variant.id if variant else None,
        viewed_at=now,
        first_touch=strip_click_ids(first.as_json()) if first and last else None,
        last_touch=strip_click_ids(last.as_json()) if first and last else None,
    )
    db.session.add(view)
    db.session.flush()
    return view


# A view is credited only within this time of being counted: the same page visit.
CREDIT_WINDOW = timedelta(hours=2)
MAX_CREDITED_VIEWS = 20


def credit_views(
    event_type: EventType,
    variant: AbVariant | None,
    consent_id: str,
    first: Touch | None,
    last: Touch | None,
    views: int,
    now: datetime,
) -> int:
    """Give `views` recent views counted without touches this visit's touches; return how many.

    The widget counts its view before the visitor answers the consent question; when consent
    follows in the same page visit, the host page sends the touches with the consent id and
    the number of such views. Views carry no identifier, and views of one event type and
    variant are interchangeable in every report, so the latest uncredited ones of the last
    two hours are taken. Click ids are never stored on views.
    """
    if first is None or last is None or not 1 <= views <= MAX_CREDITED_VIEWS:
        raise InvalidRequest(
            "Send the visit's first and last touch and 1 to 20 views.", {"views": "invalid"}
        )
    # Read, then update: on SQLite the write lock comes first, or a write committed in between
    # (the widget logs views and consent at the same moment) makes the update fail as "locked".
    acquire_booking_lock(db.session)
    # Only a live grant (not withdrawn, not expired, this organisation's) credits anything.
    live_grant(event_type.organisation_id, consent_id, now)
    candidates = db.session.scalars(
        select(WidgetView)
        .where(
            WidgetView.organisation_id == event_type.organisation_id,
            WidgetView.event_type_id == event_type.id,
            WidgetView.variant_id == variant.id if variant else WidgetView.variant_id.is_(None),
            WidgetView.viewed_at >= now - CREDIT_WINDOW,
            WidgetView.viewed_at <= now,
        )
        .order_by(WidgetView.viewed_at.desc(), WidgetView.id.desc())
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    # A JSON column keeps None as JSON null on some databases: test the value in Python.
    bare = [view for view in candidates if not view.first_touch][:views]
    for view in bare:
        view.first_touch = strip_click_ids(first.as_json())
        view.last_touch = strip_click_ids(last.as_json())
    db.session.flush()
    return len(bare)


def _consented_touch(touch: Touch, consent: ConsentRecord) -> dict:
    """The touch to store: with its click ids only under a consent that includes `ads`."""
    data = touch.as_json()
    return data if "ads" in (consent.purposes or []) else strip_click_ids(data)


def record_widget_result(
    organisation_id: int,
    payload: str | None,
    variant: AbVariant | None,
    now: datetime,
    *,
    lead: Lead | None = None,
    booking: Booking | None = None,
) -> WidgetAttribution:
    """Keep how a lead or booking came through the widget.

    Touches are stored only with a live grant of the same organisation (consent_grants.py);
    anything else (no consent, a forged, refused, withdrawn, expired or foreign consent id)
    stores the row without attribution: no touches, no visitor id, no consent link. Click ids
    are kept only when that record includes the `ads` purpose.
    """
    attribution = clean_attribution(payload)
    consent = None
    if attribution is not None:
        consent = usable_grant(organisation_id, attribution.consent_id, now)
        if consent is None:
            attribution = None
    if attribution is None and booking is not None and lead is not None:
        # A booking after qualification inherits what the lead carried, while its grant lives.
        earlier = db.session.scalar(
            select(WidgetAttribution).where(WidgetAttribution.lead_id == lead.id)
        )
        if (
            earlier is not None
            and earlier.last_touch
            and refusal_of(earlier.consent_record, organisation_id, now) is None
        ):
            row = WidgetAttribution(
                organisation_id=organisation_id,
                booking_id=booking.id,
                variant_id=variant.id if variant else earlier.variant_id,
                consent_record_id=earlier.consent_record_id,
                visitor_id=earlier.visitor_id,
                first_touch=earlier.first_touch,
                last_touch=earlier.last_touch,
                created_at=now,
            )
            db.session.add(row)
            db.session.flush()
            notifications.refresh_booking_events(booking)
            return row
    if lead is not None and booking is None:
        # A returning visitor qualifying again reuses the lead: its one row keeps the first
        # touch and takes the newer consented touch (a second row would break lead_id's unique).
        earlier = db.session.scalar(
            select(WidgetAttribution).where(WidgetAttribution.lead_id == lead.id)
        )
        if earlier is not None:
            if attribution is not None:
                earlier.consent_record_id = consent.id
                earlier.visitor_id = attribution.visitor
                earlier.first_touch = earlier.first_touch or _consented_touch(
                    attribution.first, consent
                )
                earlier.last_touch = _consented_touch(attribution.last, consent)
            if variant is not None:
                earlier.variant_id = variant.id
            db.session.flush()
            return earlier
    row = WidgetAttribution(
        organisation_id=organisation_id,
        lead_id=lead.id if lead is not None and booking is None else None,
        booking_id=booking.id if booking is not None else None,
        variant_id=variant.id if variant else None,
        consent_record_id=consent.id if consent else None,
        visitor_id=attribution.visitor if attribution else None,
        first_touch=_consented_touch(attribution.first, consent) if attribution else None,
        last_touch=_consented_touch(attribution.last, consent) if attribution else None,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if booking is not None:
        notifications.refresh_booking_events(booking)  # webhooks carry the consented attribution
    return row


def attribution_of_booking(booking_id: int) -> WidgetAttribution | None:
    return db.session.scalar(
        select(WidgetAttribution).where(WidgetAttribution.booking_id == booking_id)
    )


def funnel_rows(
    organisation_id: int,
    start: datetime,
    end: datetime,
    *,
    event_type_id: int | None = None,
    host_id: int | None = None,
    variant_id: int | None = None,
) -> list[FunnelRow]:
    """Views, leads and bookings of the widget in [start, end), as report rows."""
    rows: list[FunnelRow] = []
    # Leads and bookings count in the period by the time their widget row was written.
    attributed = (
        WidgetAttribution.organisation_id == organisation_id,
        WidgetAttribution.created_at >= start,
        WidgetAttribution.created_at < end,
    )
    if host_id is None:
        views = select(WidgetView).where(
            WidgetView.organisation_id == organisation_id,
            WidgetView.viewed_at >= start,
            WidgetView.viewed_at < end,
        )
        if event_type_id is not None:
            views = views.where(WidgetView.event_type_id == event_type_id)
        if variant_id is not None:
            views = views.where(WidgetView.variant_id == variant_id)
        for view in db.session.scalars(views):
            rows.append(
                FunnelRow(views=1, first_touch=view.first_touch, last_touch=view.last_touch)
            )
        leads = (
            select(WidgetAttribution, Lead)
            .join(Lead, Lead.id == WidgetAttribution.lead_id)
            .where(*attributed)
        )
        if event_type_id is not None:
            leads = leads.where(Lead.event_type_id == event_type_id)
        if variant_id is not None:
            leads = leads.where(WidgetAttribution.variant_id == variant_id)
        for attribution, lead in db.session.execute(leads):
            rows.append(
                FunnelRow(
                    qualified=int(lead.status != "disqualified"),
                    disqualified=int(lead.status == "disqualified"),
                    first_touch=attribution.first_touch,
                    last_touch=attribution.last_touch,
                )
            )
    bookings = (
        select(WidgetAttribution, Booking, Outcome)
        .join(Booking, Booking.id == WidgetAttribution.booking_id)
        .outerjoin(Outcome, Outcome.booking_id == Booking.id)
        .where(*attributed)
    )
    if event_type_id is not None:
        bookings = bookings.where(Booking.event_type_id == event_type_id)
    if host_id is not None:
        bookings = bookings.where(Booking.host_id == host_id)
    if variant_id is not None:
        bookings = bookings.where(WidgetAttribution.variant_id == variant_id)
    for attribution, _booking, outcome in db.session.execute(bookings):
        status = outcome.status if outcome else None
        rows.append(
            FunnelRow(
                booked=1,
                attended=int(status in ("attended", "won", "lost")),
                won=int(status == "won"),
                revenue=(outcome.deal_value or Decimal(0)) if status == "won" else Decimal(0),
                currency=(outcome.currency or "") if status == "won" else "",
                first_touch=attribution.first_touch,
                last_touch=attribution.last_touch,
            )
        )
    return rows
