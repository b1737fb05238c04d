"""Embed mode of the public booking flow (the consent log is the `embed` blueprint's).

The public views stay the one booking flow: `?embed=1` switches a request into embed mode, which
carries itself through every link (url_defaults), sends `frame-ancestors` with the
organisation's allowlist instead of 'none', counts the widget's first page view, applies the
A/B variant and stores what the widget's hidden form field carries. Still no cookies.
"""

import random

from flask import Blueprint, g, redirect, request, url_for
from jinja2 import pass_context

from scheduling import clock
from scheduling.attribution import clean_touch, loads_bounded
from scheduling.extensions import db
from scheduling.models import Booking, EventType, Lead
from scheduling.operations.ab_tests import assign_variant, parse_assignment, variant_for
from scheduling.operations.bookings import get_event_type
from scheduling.operations.embed_settings import prompt_text, settings_of
from scheduling.operations.widget_funnel import record_view, record_widget_result
from scheduling.web.security import CSP

from .direct_consent import direct_payload

_random = random.SystemRandom()
# One touch is ten values of at most 200 characters.
MAX_TOUCH_PARAM = 4000


def _owner(view_args: dict) -> tuple[int | None, str | None]:
    """(organisation id, event type slug) of the page asked for, from its URL."""
    if "slug" in view_args:
        org_id = db.session.scalar(
            db.select(EventType.organisation_id).where(EventType.slug == view_args["slug"])
        )
        return org_id, view_args["slug"]
    if "uid" in view_args:
        row = db.session.execute(
            db.select(Booking.organisation_id, EventType.slug)
            .join(EventType, EventType.id == Booking.event_type_id)
            .where(Booking.uid == view_args["uid"])
        ).first()
        return (row[0], row[1]) if row else (None, None)
    return None, None


def _touch_param(name: str):
    """A consented touch from the widget's first URL; unreadable or oversized: none."""
    return clean_touch(loads_bounded(request.args.get(name), MAX_TOUCH_PARAM))


DOWNLOADS = ("public.booking_ics", "public.my_data_json")


def _before():
    # Only pages are framed; a download (calendar file, the invitee's data) carries no embed mode.
    g.embed = request.args.get("embed") == "1" and request.endpoint not in DOWNLOADS
    g.variant = None
    g.ab_param = None
    if not g.embed:
        return None
    organisation_id, g.embed_slug = _owner(request.view_args or {})
    g.embed_settings = settings_of(organisation_id) if organisation_id else None
    slug = (request.view_args or {}).get("slug")
    event_type = None
    if slug:
        event_type = db.session.scalar(db.select(EventType).where(EventType.slug == slug))
    assignment = parse_assignment(request.args.get("ab"))
    if event_type is not None:
        g.variant = variant_for(event_type, assignment)
    if request.endpoint == "public.book" and request.args.get("entry") == "1":
        return _enter(slug, assignment)
    if g.variant is not None:
        g.ab_param = f"{g.variant.test_id}.{g.variant.id}"
    return None


def _enter(slug: str, kept):
    """The widget's first page: count the view, pick the variant, continue without `entry`."""
    event_type = get_event_type(slug)
    variant = assign_variant(event_type, kept, _random.random())
    record_view(event_type, variant, _touch_param("ft"), _touch_param("lt"), clock.utcnow())
    db.session.commit()
    g.variant = variant
    g.ab_param = f"{variant.test_id}.{variant.id}" if variant else None
    args = {
        key: value for key, value in request.args.items() if key in ("tz", "month", "date", "lead")
    }
    return redirect(url_for("public.book", slug=slug, **args), code=303)


def _url_defaults(endpoint: str, values: dict) -> None:
    if g.get("embed"):
        values.setdefault("embed", "1")
        if g.get("ab_param"):
            values.setdefault("ab", g.ab_param)


def _after(response):
    if g.get("embed"):
        settings = g.get("embed_settings")
        origins = settings.allowed_origins if settings is not None else []
        ancestors = " ".join(origins) if origins else "'none'"
        response.headers["Content-Security-Policy"] = CSP.replace(
            "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
        )
    return response


def signal(name: str, key: str, **detail) -> None:
    """Tell the host page about a step (the frame script posts it once per widget and key)."""
    if g.get("embed"):
        g.embed_event = {"name": name, "key": f"{name}:{key}", "detail": detail}


def ordered_questions(questions):
    """The questions in the A/B variant's order (keys it does not list keep their place after)."""
    variant = g.get("variant")
    if variant is None or not variant.question_order:
        return list(questions)
    rank = {key: i for i, key in enumerate(variant.question_order)}
    return sorted(questions, key=lambda q: (rank.get(q.key, len(rank)), q.position))


def variant_text(field: str, default: str) -> str:
    """The A/B variant's text for this field, or the page's own."""
    variant = g.get("variant")
    return (getattr(variant, field) or default) if variant is not None else default


@pass_context
def page_layout(context) -> str | None:
    """The booking page's layout: the A/B variant's, else its event type's; None off the flow.

    Direct and embedded pages alike, so a promoted winner's layout reaches every visitor.
    """
    if request.blueprint != "public":
        return None
    variant = g.get("variant")
    if variant is not None:
        return variant.layout
    event_type = context.get("event_type") or getattr(context.get("booking"), "event_type", None)
    return getattr(event_type, "layout", None) or "standard"


def note_result(*, lead: Lead | None = None, booking: Booking | None = None) -> None:
    """Keep the variant and the consented attribution with the lead or booking.

    Embed mode: what the widget's hidden field carries. A direct link: what its own prompt's
    consent carries (direct_consent.py); otherwise nothing is stored.
    """
    target = booking if booking is not None else lead
    if not g.get("embed"):
        payload = direct_payload()
        if payload is not None:
            record_widget_result(
                target.organisation_id, payload, None, clock.utcnow(), lead=lead, booking=booking
            )
        return
    record_widget_result(
        target.organisation_id,
        request.form.get("attribution"),
        g.get("variant"),
        clock.utcnow(),
        lead=lead,
        booking=booking,
    )


def _frame_context() -> dict:
    if not g.get("embed"):
        return {}
    settings = g.get("embed_settings")
    return {
        "embed_origins": settings.allowed_origins if settings is not None else [],
        "embed_days": settings.cookie_days if settings is not None else 0,
        "embed_prompt": prompt_text(settings) if settings and settings.own_prompt else "",
        "embed_event": g.get("embed_event"),
        "embed_ab": g.get("ab_param") or "",
        "embed_slug": g.get("embed_slug") or "",
    }


def install_embed_mode(public_bp: Blueprint) -> None:
    """Hook embed mode into the public blueprint (called once by the app factory)."""
    public_bp.before_request(_before)
    public_bp.url_defaults(_url_defaults)
    public_bp.after_request(_after)
    public_bp.context_processor(_frame_context)
    public_bp.app_template_global("variant_text")(variant_text)
    public_bp.app_template_global("page_layout")(page_layout)
