"""Bookings one at a time on the admin side: detail, and booking, cancelling or moving by hand."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from scheduling import clock
from scheduling.availability import local_day_range
from scheduling.errors import BookingClosed, InvalidRequest, SlotUnavailable
from scheduling.extensions import db
from scheduling.models import Booking, EventType, Host, User
from scheduling.operations.booking_queries import (
    bookable_event_types,
    booking_history,
    creator_of,
    event_type_host_ids,
    free_slots_for_host,
    last_change_by,
    successor_of,
    viewer_zone,
)
from scheduling.operations.bookings import cancel_booking, create_booking, reschedule_booking
from scheduling.operations.locations import offered_locations
from scheduling.operations.payloads import meeting_hosts
from scheduling.operations.routing_rules import targets_of
from scheduling.routing.explanations import explain_pick
from scheduling.web.admin.access import (
    current_user,
    get_booking,
    is_manager,
    login_required,
    visible_hosts,
)
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.messages import shown_message
from scheduling.web.formatting import local_time, tz_label
from scheduling.web.urls import booking_link

from .booking_durations import admin_duration, kept_duration
from .booking_forms import (
    CancelForm,
    NewBookingForm,
    RescheduleForm,
    parse_day_arg,
    parse_id_arg,
    parse_instant,
)

JUST_TAKEN = "This time was just taken, pick another."
SOURCES = {"public": "Public booking page", "api": "API", "admin": "Entered by a team member"}


def _video_base() -> str:
    return current_app.config["JITSI_BASE_URL"]


def closed_message(booking: Booking, now: datetime) -> str | None:
    """Why a booking can no longer be cancelled or moved, or None if it still can."""
    if booking.status == "cancelled":
        return "This booking is cancelled, so it can no longer be changed."
    if booking.status == "rescheduled":
        return "This booking was moved to another time; change the new booking instead."
    if booking.start_at <= now:
        return "This meeting has already started or taken place, so it can no longer be changed."
    return None


# ---------------------------------------------------------------- detail


def _why_host(booking, user) -> str:
    """Why round-robin chose the booking's host, naming hosts; "" without an assignment."""
    if booking.assignment is None:
        return ""
    names = targets_of(user.organisation_id).host
    return shown_message(explain_pick(booking.assignment.explanation, names))


@bp.get("/bookings/<int:booking_id>")
@login_required
def bookings_detail(booking_id: int):
    user = current_user()
    booking = get_booking(user, booking_id)
    now = clock.utcnow()
    visible = {host.id for host in visible_hosts(user)}
    earlier = booking.rescheduled_from
    later = successor_of(booking)
    changer = None
    if booking.cancelled_by == "user":
        action = "booking.cancel" if booking.status == "cancelled" else "booking.reschedule"
        changer = last_change_by(booking, action)
    return render_template(
        "admin/bookings/detail.html",
        booking=booking,
        hosts=meeting_hosts(booking),
        earlier=earlier,
        earlier_visible=earlier is not None and earlier.host_id in visible,
        later=later,
        later_visible=later is not None and later.host_id in visible,
        changer=changer,
        creator=creator_of(booking),
        history=booking_history(booking),
        source_label=SOURCES.get(booking.source, booking.source),
        closed=closed_message(booking, now),
        viewer_tz=viewer_zone(user)[0],
        # Reps see colleagues in the round-robin explanation by name, not by number.
        host_names=targets_of(user.organisation_id).host,
        why_host=_why_host(booking, user),
        invitee_link=booking_link(booking, "view"),
        outcome_url=(
            url_for("admin.outcome_edit", booking_id=booking.id)
            if "admin.outcome_edit" in current_app.view_functions
            else None
        ),
    )


# ---------------------------------------------------------------- cancel


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def bookings_cancel(booking_id: int):
    user = current_user()
    booking = get_booking(user, booking_id)
    now = clock.utcnow()
    form = CancelForm()
    closed = closed_message(booking, now)
    status = 200
    if closed is not None:
        status = 409 if request.method == "POST" else 200
    elif form.validate_on_submit():
        reason = form.reason.data.strip()
        try:
            cancel_booking(booking, reason, now, by="user", actor=user)
        except BookingClosed as exc:
            db.session.rollback()
            closed, status = exc.message, 409
        else:
            # The answer is built before the commit (reading ids after it would query again).
            response = redirect(url_for("admin.bookings_detail", booking_id=booking.id), code=303)
            flash("The booking was cancelled.", "ok")
            db.session.commit()
            return response
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/bookings/cancel.html", booking=booking, form=form, closed=closed
    ), status


# ---------------------------------------------------------------- reschedule


def _slot_choices(slots: list[datetime], tz: str, invitee_tz: str | None) -> list[tuple]:
    other = invitee_tz if invitee_tz and invitee_tz != tz else None
    choices = []
    for slot in slots:
        label = local_time(slot, tz)
        if other is not None:
            label += f" ({local_time(slot, other)} {tz_label(other)})"
        choices.append((slot.isoformat(), label))
    return choices


def _pick_day(value: str | None, default: date) -> date:
    try:
        day = parse_day_arg("date", value)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return day or default


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
@login_required
def bookings_reschedule(booking_id: int):
    user = current_user()
    booking = get_booking(user, booking_id)
    now = clock.utcnow()
    form = RescheduleForm()
    closed = closed_message(booking, now)
    if closed is not None:
        return render_template(
            "admin/bookings/reschedule.html", booking=booking, form=form, closed=closed
        ), (409 if request.method == "POST" else 200)

    takers = event_type_host_ids(booking.event_type)
    hosts = [h for h in visible_hosts(user) if h.active and h.id in takers]
    try:
        host_id = parse_id_arg(request.args.get("host"))
    except ValueError:
        raise InvalidRequest("Choose a host from the list.") from None
    if host_id is None:
        host = next((h for h in hosts if h.id == booking.host_id), hosts[0] if hosts else None)
    else:
        host = next((h for h in hosts if h.id == host_id), None)
        if host is None:
            raise InvalidRequest("Choose a host from the list.")
    if host is None:
        return render_template(
            "admin/bookings/reschedule.html",
            booking=booking,
            form=form,
            closed="No active host you can book takes this event type, so it cannot be moved.",
        ), 200
    today = now.astimezone(ZoneInfo(host.tz)).date()
    current_day = booking.start_at.astimezone(ZoneInfo(host.tz)).date()
    day = _pick_day(request.args.get("date"), max(today, current_day))

    def free_times() -> list[datetime]:
        start, end = local_day_range(host.tz, day, day)
        slots = free_slots_for_host(
            booking.event_type,
            host.id,
            start,
            end,
            now,
            exclude_booking_id=booking.id,
            duration=kept_duration(booking),  # a move keeps the booking's own length
        )
        if host.id == booking.host_id:
            slots = [slot for slot in slots if slot != booking.start_at]
        return slots

    form.start.choices = _slot_choices(free_times(), host.tz, booking.invitee_tz)
    notice = None
    status = 200
    if form.validate_on_submit():
        new_start = parse_instant(form.start.data)
        if new_start is None:
            form.start.errors.append("Pick one of the free times.")
            status = 400
        else:
            try:
                new = reschedule_booking(
                    booking,
                    new_start,
                    now,
                    video_base_url=_video_base(),
                    host_id=host.id,
                    reason=form.reason.data.strip(),
                    by="user",
                    actor=user,
                )
            except SlotUnavailable:
                db.session.rollback()
                notice, status = JUST_TAKEN, 409
            except BookingClosed as exc:
                db.session.rollback()
                return render_template(
                    "admin/bookings/reschedule.html", booking=booking, form=form, closed=exc.message
                ), 409
            except InvalidRequest as exc:
                db.session.rollback()
                notice, status = exc.message, 400
            else:
                response = redirect(url_for("admin.bookings_detail", booking_id=new.id), code=303)
                flash("The booking was moved.", "ok")
                db.session.commit()
                return response
            form.start.choices = _slot_choices(free_times(), host.tz, booking.invitee_tz)
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/bookings/reschedule.html",
        booking=booking,
        form=form,
        closed=None,
        hosts=hosts,
        host=host,
        day=day,
        today=today,
        previous_day=day - timedelta(days=1) if day > today else None,
        next_day=day + timedelta(days=1),
        notice=notice,
    ), status


# ---------------------------------------------------------------- new booking


def _new_booking_choice(user: User, args) -> dict:
    """Read event type, host and date for a manual booking; errors are per field."""
    hosts = [host for host in visible_hosts(user) if host.active]
    event_types = bookable_event_types(user.organisation_id, [host.id for host in hosts])
    errors: dict[str, str] = {}
    event_type: EventType | None = None
    host: Host | None = None
    day = None
    try:
        event_type_id = parse_id_arg(args.get("event_type"))
    except ValueError:
        event_type_id = -1
    if event_type_id is not None:
        event_type = next((et for et in event_types if et.id == event_type_id), None)
        if event_type is None:
            errors["event_type"] = "Choose an event type from the list."
    takers = (
        event_type_host_ids(event_type)
        if event_type is not None
        else set().union(*(event_type_host_ids(et) for et in event_types))
    )
    host_choices = [host for host in hosts if host.id in takers]
    try:
        host_id = parse_id_arg(args.get("host"))
    except ValueError:
        host_id = -1
    if host_id is not None:
        host = next((h for h in host_choices if h.id == host_id), None)
        if host is None:
            errors["host"] = (
                "That host does not take this event type; choose one from the list."
                if event_type is not None and any(h.id == host_id for h in hosts)
                else "Choose a host from the list."
            )
    elif len(host_choices) == 1:
        host = host_choices[0]  # a rep, or the event type's only host
    try:
        day = parse_day_arg("date", args.get("date"))
    except ValueError as exc:
        errors["date"] = str(exc)
    if day is None and host is not None and "date" not in errors:
        day = clock.utcnow().astimezone(ZoneInfo(host.tz)).date()
    minutes = admin_duration(event_type, args.get("duration"), errors)
    return {
        "event_types": event_types,
        "host_choices": host_choices,
        "event_type": event_type,
        "host": host,
        "day": day,
        "minutes": minutes,
        "errors": errors,
        "ready": event_type is not None and host is not None and day is not None and not errors,
    }


@bp.route("/bookings/new", methods=["GET", "POST"])
@login_required
def bookings_new():
    """Book a lead with a host by hand: a free slot of that host, source 'admin'."""
    user = current_user()
    now = clock.utcnow()
    choice = _new_booking_choice(user, request.args)
    status = 400 if choice["errors"] else 200
    form = NewBookingForm()
    notice = None
    slots: list[datetime] = []
    event_type, host, day = choice["event_type"], choice["host"], choice["day"]
    minutes = choice["minutes"]

    def free_times() -> list[datetime]:
        start, end = local_day_range(host.tz, day, day)
        return free_slots_for_host(event_type, host.id, start, end, now, duration=minutes)

    if choice["ready"]:
        form.set_locations(offered_locations(event_type))
        if request.method == "GET":
            form.tz.data = host.tz
            form.locale.data = event_type.default_locale or "en"
        slots = free_times()
        form.start.choices = _slot_choices(slots, host.tz, None)
        if form.validate_on_submit():
            start = parse_instant(form.start.data)
            if start is None:
                form.start.errors.append("Pick one of the free times.")
                status = 400
            else:
                try:
                    booking = create_booking(
                        event_type,
                        start,
                        replace(form.invitee(), duration=minutes),
                        now,
                        video_base_url=_video_base(),
                        only_host_id=host.id,
                        source="admin",
                        actor=user,
                    )
                except SlotUnavailable:
                    db.session.rollback()
                    notice, status = JUST_TAKEN, 409
                except InvalidRequest as exc:
                    db.session.rollback()
                    notice, status = exc.message, 400
                else:
                    response = redirect(
                        url_for("admin.bookings_detail", booking_id=booking.id), code=303
                    )
                    flash("The booking was made.", "ok")
                    db.session.commit()
                    return response
                slots = free_times()
                form.start.choices = _slot_choices(slots, host.tz, None)
        elif request.method == "POST":
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/bookings/new.html",
        form=form,
        notice=notice,
        slots=slots,
        is_manager=is_manager(user),
        **choice,
    ), status
