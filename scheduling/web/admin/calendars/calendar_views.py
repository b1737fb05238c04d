"""The week calendar (one host, or the whole team) and blocked time ("managing slots")."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for

from scheduling import clock
from scheduling.availability.calendar_week import (
    Entry,
    build_team_week,
    build_week,
    monday_of,
    week_range,
)
from scheduling.errors import InvalidRequest, PermissionDenied
from scheduling.extensions import db
from scheduling.models import Host, User
from scheduling.operations.booking_queries import (
    confirmed_bookings_between,
    free_slots_by_host,
    viewer_zone,
)
from scheduling.operations.busy_blocks import (
    blocks_between,
    bookings_inside,
    create_busy_block,
    delete_busy_block,
    upcoming_blocks,
)
from scheduling.operations.settings import active_lost_reasons
from scheduling.web.admin.access import (
    current_user,
    get_busy_block,
    is_manager,
    login_required,
    visible_hosts,
)
from scheduling.web.admin.accounts.auth_forms import ConfirmForm
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.bookings.booking_forms import BusyBlockForm, parse_day_arg, parse_id_arg

TEAM = "team"
BLOCKS_SHOWN = 200


def _choose_host(user: User, hosts: list[Host], value: str | None) -> Host | None:
    """The host whose calendar to show, or None for the team view; refuses junk with a 400."""
    if value == TEAM:
        if not is_manager(user):
            raise PermissionDenied("Only managers and admins see the whole team's calendar.")
        return None
    try:
        host_id = parse_id_arg(value)
    except ValueError:
        raise InvalidRequest("Choose a host from the list.") from None
    if host_id is None:
        if not hosts:
            return None
        if user.host is not None and user.host in hosts:
            return user.host
        return hosts[0] if len(hosts) == 1 or not is_manager(user) else None
    host = next((host for host in hosts if host.id == host_id), None)
    if host is None:
        raise InvalidRequest("Choose a host from the list.")
    return host


def _week_start(value: str | None, tz: str) -> date:
    try:
        day = parse_day_arg("week", value)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    if day is None:
        day = clock.utcnow().astimezone(ZoneInfo(tz)).date()
    return monday_of(day)


def _entries(hosts: list[Host], start, end, now) -> list[Entry]:
    ids = [host.id for host in hosts]
    names = {host.id: host.name for host in hosts}
    entries = [
        Entry(
            "booking",
            booking.start_at,
            booking.end_at,
            f"{booking.invitee_name} · {booking.event_type.title}",
            booking.id,
            booking.host_id,
            names[booking.host_id],
        )
        for booking in confirmed_bookings_between(ids, start, end)
    ]
    entries += [
        Entry(
            "block",
            block.start_at,
            block.end_at,
            block.reason,
            block.id,
            block.host_id,
            names[block.host_id],
        )
        for block in blocks_between(ids, start, end)
    ]
    for host_id, slots in free_slots_by_host(hosts, start, end, now).items():
        entries += [
            Entry("free", slot, slot + timedelta(minutes=1), "", None, host_id, names[host_id])
            for slot in slots
        ]
    return entries


@bp.get("/calendar")
@login_required
def calendar():
    user = current_user()
    hosts = visible_hosts(user)
    host = _choose_host(user, hosts, request.args.get("host"))
    if not hosts:
        return render_template("admin/calendar/week.html", hosts=[], host=None, week=None)
    if host is not None:
        tz, tz_source = host.tz, "host"
    else:
        tz, tz_source = viewer_zone(user)
    first = _week_start(request.args.get("week"), tz)
    start, end = week_range(first, tz)
    now = clock.utcnow()
    shown = [host] if host is not None else hosts
    entries = _entries(shown, start, end, now)
    team_rows = None
    if host is not None:
        week = build_week(first, tz, entries)
    else:
        week, team_rows = build_team_week(first, tz, [(h.id, h.name) for h in hosts], entries)
    today = now.astimezone(ZoneInfo(tz)).date()
    return render_template(
        "admin/calendar/week.html",
        hosts=hosts,
        host=host,
        host_param=str(host.id) if host is not None else TEAM,
        week=week,
        team_rows=team_rows,
        tz=tz,
        tz_source=tz_source,
        today=today,
        this_week=monday_of(today),
        is_manager=is_manager(user),
        # What the one-click outcome forms on started calls need.
        outcome={
            "now": now,
            "back": request.full_path.rstrip("?"),
            "reasons": active_lost_reasons(user.organisation_id),
        },
    )


# ---------------------------------------------------------------- blocked time


@bp.route("/calendar/blocks", methods=["GET", "POST"])
@login_required
def calendar_blocks():
    """Block a host's time and list the blocks still to come."""
    user = current_user()
    hosts = visible_hosts(user)
    now = clock.utcnow()
    try:
        chosen = parse_id_arg(request.args.get("host"))
    except ValueError:
        raise InvalidRequest("Choose a host from the list.") from None
    if chosen is not None and chosen not in {host.id for host in hosts}:
        raise InvalidRequest("Choose a host from the list.")
    form = BusyBlockForm()
    form.host.choices = [(host.id, f"{host.name} ({host.tz})") for host in hosts]
    if request.method == "GET":
        form.host.data = chosen or (user.host_id if user.host_id else None)
    status = 200
    if hosts and form.validate_on_submit():
        host = next(host for host in hosts if host.id == form.host.data)
        start, end = form.interval(host.tz)
        try:
            block = create_busy_block(host, start, end, form.reason.data or "", user, now)
        except InvalidRequest as exc:
            db.session.rollback()
            target = form.end_day if "end_day" in exc.fields else form.end_time
            target.errors = [*target.errors, exc.message]
            status = 400
        else:
            inside = bookings_inside(block)
            db.session.commit()
            flash("The time was blocked; it is no longer offered for booking.", "ok")
            if inside:
                flash(
                    (
                        "1 confirmed booking falls in this time and stays booked"
                        if inside == 1
                        else f"{inside} confirmed bookings fall in this time and stay booked"
                    )
                    + "; cancel or move them from the bookings list if needed.",
                    "warning",
                )
            return redirect(url_for("admin.calendar_blocks", host=host.id), code=303)
    elif request.method == "POST":
        status = 400
    listed = [host for host in hosts if chosen is None or host.id == chosen]
    blocks = upcoming_blocks([host.id for host in listed], now, limit=BLOCKS_SHOWN)
    return render_template(
        "admin/calendar/blocks.html",
        form=form,
        hosts=hosts,
        chosen=chosen,
        blocks=blocks,
        more=len(blocks) == BLOCKS_SHOWN,
        delete_form=ConfirmForm(),
        is_manager=is_manager(user),
    ), status


@bp.post("/calendar/blocks/<int:block_id>/delete")
@login_required
def calendar_blocks_delete(block_id: int):
    user = current_user()
    block = get_busy_block(user, block_id)
    host_id = block.host_id
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise InvalidRequest("The form expired. Please try again.")
    delete_busy_block(block, user, clock.utcnow())
    db.session.commit()
    flash("The block was removed; that time can be booked again.", "ok")
    return redirect(url_for("admin.calendar_blocks", host=host_id), code=303)
