"""The dashboard: booked, attended, no-shows, won revenue per currency and lost reasons."""

from babel.numbers import format_currency, format_decimal, format_percent
from flask import render_template, request
from sqlalchemy import select

from scheduling import clock
from scheduling.attribution.dashboard import CallRow, date_range, summarise
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Booking, LostReason, Outcome
from scheduling.web.admin.access import current_user, login_required, visible_hosts
from scheduling.web.admin.blueprint import bp
from scheduling.web.formatting import format_locale

from .home_views import stale_rules_for


def money(amount, currency: str) -> str:
    """An amount in its currency, written the reader's way (de-DE: 1.100,49 €)."""
    return format_currency(amount, currency, locale=format_locale())


def percent(rate) -> str:
    return "—" if rate is None else format_percent(float(rate), "#,##0.0%", locale=format_locale())


def number(count) -> str:
    """A count with the reader's digit grouping (12,345 or 12.345)."""
    return format_decimal(count, locale=format_locale())


def _chosen_hosts(hosts: list, raw: str) -> list:
    """All visible hosts, or the one the `host` filter names (it must be one of them)."""
    if not raw:
        return hosts
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidRequest("The host filter must be a host id from the list.", {"host": "nan"})
    chosen = [host for host in hosts if host.id == int(raw)]
    if not chosen:
        raise InvalidRequest("There is no such host among the ones you can see.", {"host": "none"})
    return chosen


def _rows(organisation_id: int, host_ids: list[int], start, end) -> list[CallRow]:
    result = db.session.execute(
        select(
            Booking.host_id,
            Booking.status,
            Outcome.status,
            Outcome.deal_value,
            Outcome.currency,
            LostReason.label,
            Booking.meeting_id,
        )
        .outerjoin(Outcome, Outcome.booking_id == Booking.id)
        .outerjoin(LostReason, LostReason.id == Outcome.lost_reason_id)
        .where(
            Booking.organisation_id == organisation_id,
            Booking.host_id.in_(host_ids),
            Booking.start_at >= start,
            Booking.start_at < end,
            Booking.status.in_(("confirmed", "cancelled")),
        )
    )
    return [CallRow(*row) for row in result]


@bp.get("/dashboard")
@login_required
def dashboard():
    user = current_user()
    hosts = visible_hosts(user)
    args = request.args
    error = None
    summary = period = None
    chosen = hosts
    try:
        period = date_range(args.get("from"), args.get("to"), clock.utcnow().date())
        chosen = _chosen_hosts(hosts, args.get("host", "").strip())
    except InvalidRequest as exc:
        error = exc.message
    else:
        start, end = period.bounds()
        ids = [host.id for host in chosen]
        rows = _rows(user.organisation_id, ids, start, end) if ids else []
        # Inactive hosts are listed only when they have calls in the period.
        with_calls = {row.host_id for row in rows}
        listed = [host.id for host in chosen if host.active or host.id in with_calls]
        summary = summarise(rows, listed)
    names = {host.id: host.name for host in hosts}
    values = {key: args.get(key, "") for key in ("from", "to", "host")}
    if period is not None:
        values.update({"from": period.first.isoformat(), "to": period.last.isoformat()})
    return render_template(
        "admin/dashboard/index.html",
        user=user,
        stale_rules=stale_rules_for(user),
        hosts=hosts,
        names=names,
        summary=summary,
        period=period,
        error=error,
        values=values,
        money=money,
        percent=percent,
        number=number,
    ), (400 if error else 200)
