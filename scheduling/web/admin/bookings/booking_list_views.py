"""Bookings on the admin side as a list: filters, pages and the CSV export of what they match."""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template, request
from flask_babel import get_locale

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.models import OUTCOMES, STATUSES, Booking, User
from scheduling.operations.booking_queries import (
    count_bookings,
    iter_bookings,
    list_bookings,
    organisation_event_types,
    viewer_zone,
)
from scheduling.operations.payloads import meeting_hosts
from scheduling.operations.settings import active_lost_reasons
from scheduling.web.admin.access import current_user, login_required, visible_hosts
from scheduling.web.admin.blueprint import bp
from scheduling.web.csvsafe import csv_chunks
from scheduling.web.security import csv_download

from .booking_forms import BookingFilters, parse_booking_filters, parse_page

PER_PAGE = 50
CSV_HEADER = (
    "id",
    "start",
    "end",
    "host",
    "host email",
    "event type",
    "invitee name",
    "invitee email",
    "invitee time zone",
    "status",
    "source",
    "note",
    "outcome",
    "deal value",
    "currency",
    "lost reason",
    "outcome note",
    "cancel reason",
    "created at",
)


@bp.app_template_filter("when_short")
def when_short(moment: datetime, tz: str) -> str:
    """A compact local date and time for tables: 'Tue 8 Jan 2030, 10:00'."""
    return format_datetime(moment, "EEE d MMM y, HH:mm", tzinfo=ZoneInfo(tz), locale=get_locale())


def _list_context(user: User) -> tuple[dict, BookingFilters]:
    """The list's choices for this user, and the filters the query string picks from them.

    The page and its CSV export read the same filters, so the export holds what the list shows.
    """
    tz, tz_source = viewer_zone(user)
    context = {
        "hosts": visible_hosts(user),
        "event_types": organisation_event_types(user.organisation_id),
        "tz": tz,
        "tz_source": tz_source,
    }
    filters = parse_booking_filters(request.args, context["hosts"], context["event_types"], tz)
    return context, filters


@bp.get("/bookings")
@login_required
def bookings():
    context, filters = _list_context(current_user())
    try:
        page = parse_page(request.args.get("page"))
    except ValueError as exc:
        filters.errors.append(str(exc))
    if filters.errors:
        return render_template(
            "admin/bookings/list.html",
            filters=filters,
            rows=[],
            total=0,
            page=1,
            pages=1,
            statuses=STATUSES,
            outcomes=OUTCOMES,
            **context,
        ), 400
    total = count_bookings(filters.spec)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    return render_template(
        "admin/bookings/list.html",
        filters=filters,
        rows=list_bookings(filters.spec, page, PER_PAGE),
        meeting_hosts=meeting_hosts,
        now=clock.utcnow(),
        back=request.full_path.rstrip("?"),
        reasons=active_lost_reasons(current_user().organisation_id),
        total=total,
        page=page,
        pages=pages,
        statuses=STATUSES,
        outcomes=OUTCOMES,
        **context,
    )


def _iso(moment: datetime | None, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).isoformat() if moment is not None else ""


def _csv_row(booking: Booking) -> list:
    tz = booking.host.tz
    outcome = booking.outcome
    return [
        booking.uid,
        _iso(booking.start_at, tz),
        _iso(booking.end_at, tz),
        booking.host.name,
        booking.host.email,
        booking.event_type.title,
        booking.invitee_name,
        booking.invitee_email,
        booking.invitee_tz,
        booking.status,
        booking.source,
        booking.note,
        outcome.status if outcome else "",
        outcome.deal_value if outcome and outcome.deal_value is not None else "",
        (outcome.currency or "") if outcome else "",
        outcome.lost_reason.label if outcome and outcome.lost_reason else "",
        outcome.note if outcome else "",
        booking.cancel_reason,
        _iso(booking.created_at, tz),
    ]


@bp.get("/bookings/export.csv")
@login_required
def bookings_export():
    """Every booking the list's filters match (all pages), as a spreadsheet-safe CSV."""
    context, filters = _list_context(current_user())
    if filters.errors:
        raise InvalidRequest(" ".join(filters.errors))
    spec = filters.spec
    today = clock.utcnow().astimezone(ZoneInfo(context["tz"])).date().isoformat()

    rows = (_csv_row(booking) for booking in iter_bookings(spec))
    return csv_download(csv_chunks(CSV_HEADER, rows), f"bookings-{today}.csv")
