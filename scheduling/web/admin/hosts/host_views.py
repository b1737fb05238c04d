"""Hosts and availability: the host list, weekly hours, date overrides, holidays, slot preview.

Managers and admins act on every host of their organisation; a rep only on their own host
(another host's pages answer 404, manager-only pages 403).
"""

from datetime import date

from babel.dates import format_date, get_day_names
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, Holiday, Host, event_type_hosts
from scheduling.operations import days_off
from scheduling.operations import hosts as ops
from scheduling.operations.calendar_connections import hosts_needing_reconnect
from scheduling.web.admin.access import (
    current_user,
    get_host,
    is_manager,
    login_required,
    roles_required,
    visible_hosts,
)
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS
from scheduling.web.urls import public_url

from .host_forms import (
    ROWS_MARKER,
    AbsenceForm,
    AvailabilityForm,
    HolidayForm,
    HostForm,
    OverrideForm,
    WeekRows,
    attach_error,
)

# Admin pages show hosts' and teams' public pages as absolute links.
bp.add_app_template_global(public_url, "public_url")


def _day_label(day: date) -> str:
    return format_date(day, "full", locale=get_locale())


def _weekday_names(width: str) -> dict[int, str]:
    """Weekday names by number, 0 = Monday, in the reader's language."""
    return dict(get_day_names(width, locale=get_locale()))


# -- the host list ------------------------------------------------------------------------------


@bp.get("/hosts")
@login_required
def hosts():
    user = current_user()
    if not is_manager(user):
        if user.host_id is None:
            raise NotFound("Your account is not linked to a host.")
        return redirect(url_for("admin.hosts_availability", host_id=user.host_id))
    listed = visible_hosts(user)
    if listed:  # load everyone's weekly hours in one query, not one per row
        db.session.scalars(
            select(Host)
            .where(Host.id.in_([host.id for host in listed]))
            .options(selectinload(Host.weekly_hours))
        ).all()
    summaries = {host.id: ops.weekly_summary(host) for host in listed}
    return render_template(
        "admin/hosts/list.html",
        hosts=listed,
        summaries=summaries,
        reconnect=hosts_needing_reconnect([host.id for host in listed]),
        day_names=_weekday_names("abbreviated"),
    )


@bp.route("/hosts/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def hosts_new():
    user = current_user()
    form = HostForm()
    if request.method == "GET":
        form.tz.data = user.host.tz if user.host else user.organisation.tz
    status = 200
    if form.validate_on_submit():
        try:
            host = ops.create_host(
                user.organisation,
                form.name.data,
                form.email.data,
                form.tz.data,
                clock.utcnow(),
                user,
            )
        except InvalidRequest as exc:
            db.session.rollback()
            attach_error(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(_("%(name)s was added. Now set their weekly hours.", name=host.name), "ok")
            return redirect(url_for("admin.hosts_availability", host_id=host.id))
    elif request.method == "POST":
        status = 400
    return render_template("admin/hosts/form.html", form=form, host=None), status


@bp.route("/hosts/<int:host_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def hosts_edit(host_id: int):
    user = current_user()
    host = get_host(user, host_id)
    form = HostForm(obj=host, current_tz=host.tz)
    status = 200
    if form.validate_on_submit():
        try:
            changes = ops.update_host(
                host, form.name.data, form.email.data, form.tz.data, clock.utcnow(), user
            )
        except InvalidRequest as exc:
            db.session.rollback()
            attach_error(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(_("Host saved.") if changes else _("Nothing changed."), "ok")
            return redirect(url_for("admin.hosts"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/hosts/form.html", form=form, host=host), status


def _set_active(host_id: int, active: bool):
    user = current_user()
    host = get_host(user, host_id)
    # CSRF is checked for every POST by CSRFProtect before the view runs.
    if ops.set_host_active(host, active, clock.utcnow(), user):
        db.session.commit()
        if active:
            flash(_("%(name)s is active again: people can book them.", name=host.name), "ok")
        else:
            flash(_("%(name)s is inactive: nobody can book them now.", name=host.name), "ok")
    return redirect(url_for("admin.hosts"))


@bp.post("/hosts/<int:host_id>/activate")
@roles_required(*MANAGERS)
def hosts_activate(host_id: int):
    return _set_active(host_id, True)


@bp.post("/hosts/<int:host_id>/deactivate")
@roles_required(*MANAGERS)
def hosts_deactivate(host_id: int):
    return _set_active(host_id, False)


# -- one host's availability --------------------------------------------------------------------


def _hosted_event_types(host: Host) -> list[EventType]:
    return list(
        db.session.scalars(
            select(EventType)
            .join(event_type_hosts, event_type_hosts.c.event_type_id == EventType.id)
            .where(
                event_type_hosts.c.host_id == host.id,
                EventType.organisation_id == host.organisation_id,
            )
            .order_by(EventType.active.desc(), EventType.title, EventType.id)
        )
    )


def _preview_choice(event_types: list[EventType]) -> tuple[EventType | None, str | None]:
    """The event type named by ?event_type= (default: the first active one), or an error."""
    raw = request.args.get("event_type", "").strip()
    if not raw:
        active = [event_type for event_type in event_types if event_type.active]
        return (active or event_types or [None])[0], None
    chosen = next((et for et in event_types if str(et.id) == raw), None)
    if chosen is None:
        return None, "Choose one of this host's event types for the preview."
    return chosen, None


def _availability_page(
    host: Host,
    hours_form=None,
    override_form=None,
    status: int = 200,
    absence_form=None,
    own_holiday_form=None,
    week_rows=None,
):
    """Render the editor; forms given were posted (with their errors), others start fresh."""
    user = current_user()
    if week_rows is None:
        week_rows = WeekRows.from_week(ops.weekly_by_day(host))
    now = clock.utcnow()
    today = ops.local_today(host, now)
    if hours_form is None:
        hours_form = AvailabilityForm(formdata=None, current_tz=host.tz)
        hours_form.tz.data = host.tz
        for weekday, intervals in ops.weekly_by_day(host).items():
            hours_form[ops.WEEKDAY_KEYS[weekday]].data = ops.format_intervals(intervals)
    if override_form is None:
        override_form = OverrideForm(formdata=None, prefix="override")
    if absence_form is None:
        absence_form = AbsenceForm(
            formdata=None, prefix="absence", delegates=days_off.delegate_choices(host)
        )
    if own_holiday_form is None:
        own_holiday_form = HolidayForm(formdata=None, prefix="own_holiday")
    show_past = request.args.get("past") == "1"
    event_types = _hosted_event_types(host)
    preview_type, preview_error = _preview_choice(event_types)
    if preview_error and status == 200:
        status = 400
    preview = ops.preview_slots(host, preview_type, now) if preview_type else []
    holidays = db.session.scalars(
        select(Holiday)
        .where(Holiday.organisation_id == host.organisation_id, Holiday.day >= today)
        .order_by(Holiday.day)
        .limit(20)
    ).all()
    return render_template(
        "admin/hosts/availability.html",
        host=host,
        own=user.host_id == host.id,
        hours_form=hours_form,
        week_rows=week_rows,
        rows_marker=ROWS_MARKER,
        day_names=_weekday_names("wide"),
        override_form=override_form,
        overrides=ops.override_days(host, None if show_past else today),
        show_past=show_past,
        holidays=holidays,
        absence_form=absence_form,
        absences=[a for a in host.absences if show_past or a.last_day >= today],
        own_holiday_form=own_holiday_form,
        own_holidays=[h for h in host.holidays if show_past or h.day >= today],
        event_types=event_types,
        preview_type=preview_type,
        preview_error=preview_error,
        preview=preview,
        has_hours=bool(host.weekly_hours),
        day_label=_day_label,
        format_intervals=ops.format_intervals,
        today=today,
        can_manage=is_manager(user),
    ), status


@bp.route("/hosts/<int:host_id>/availability", methods=["GET", "POST"])
@login_required
def hosts_availability(host_id: int):
    user = current_user()
    host = get_host(user, host_id)
    if request.method == "GET":
        return _availability_page(host)
    form = AvailabilityForm(current_tz=host.tz)
    # The page posts rows of time inputs; text fields ("09:00-12:00, 13:00-17:00") still work.
    week_rows = WeekRows.from_formdata(request.form) if ROWS_MARKER in request.form else None
    form_ok = form.validate_on_submit()
    rows_ok = week_rows is None or week_rows.validate(_weekday_names("wide"))
    if not (form_ok and rows_ok):
        return _availability_page(host, hours_form=form, status=400, week_rows=week_rows)
    week = form.week() if week_rows is None else week_rows.week()
    try:
        changes = ops.save_availability(host, form.tz.data, week, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        if not attach_error(form, exc):
            form.form_errors.append(exc.message)
        return _availability_page(host, hours_form=form, status=400, week_rows=week_rows)
    db.session.commit()
    flash(_("Weekly hours saved.") if changes else _("Nothing changed."), "ok")
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


@bp.post("/hosts/<int:host_id>/overrides")
@login_required
def hosts_overrides(host_id: int):
    user = current_user()
    host = get_host(user, host_id)
    form = OverrideForm(prefix="override")
    if not form.validate_on_submit():
        return _availability_page(host, override_form=form, status=400)
    intervals = [] if form.day_off.data else form.hours.intervals
    try:
        ops.set_date_override(host, form.day.data, intervals, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        if not attach_error(form, exc):
            form.form_errors.append(exc.message)
        return _availability_page(host, override_form=form, status=400)
    db.session.commit()
    what = ops.format_intervals(intervals) if intervals else _("a day off")
    flash(_("%(day)s is now %(what)s.", day=_day_label(form.day.data), what=what), "ok")
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


@bp.post("/hosts/<int:host_id>/overrides/<day>/delete")
@login_required
def hosts_overrides_delete(host_id: int, day: str):
    user = current_user()
    host = get_host(user, host_id)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InvalidRequest("That date could not be read; use YYYY-MM-DD.") from None
    ops.delete_date_override(host, when, clock.utcnow(), user)
    db.session.commit()
    flash(_("The override on %(day)s was removed.", day=_day_label(when)), "ok")
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


# -- organisation holidays ----------------------------------------------------------------------


def _holidays_page(form: HolidayForm, status: int = 200):
    user = current_user()
    now = clock.utcnow()
    show_past = request.args.get("past") == "1"
    query = select(Holiday).where(Holiday.organisation_id == user.organisation_id)
    if not show_past:
        query = query.where(Holiday.day >= ops.earliest_local_today(now))
    holidays = db.session.scalars(query.order_by(Holiday.day)).all()
    return render_template(
        "admin/hosts/holidays.html",
        form=form,
        holidays=holidays,
        show_past=show_past,
        day_label=_day_label,
    ), status


@bp.route("/hosts/holidays", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def hosts_holidays():
    user = current_user()
    form = HolidayForm()
    if request.method == "GET":
        return _holidays_page(form)
    if not form.validate_on_submit():
        return _holidays_page(form, 400)
    try:
        ops.add_holiday(user.organisation, form.day.data, form.name.data, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _holidays_page(form, 400)
    db.session.commit()
    flash(_("%(day)s is a holiday for every host now.", day=_day_label(form.day.data)), "ok")
    return redirect(url_for("admin.hosts_holidays"))


@bp.post("/hosts/holidays/<int:holiday_id>/delete")
@roles_required(*MANAGERS)
def hosts_holidays_delete(holiday_id: int):
    user = current_user()
    holiday = ops.get_holiday(user.organisation_id, holiday_id)
    day = holiday.day
    ops.delete_holiday(holiday, clock.utcnow(), user)
    db.session.commit()
    flash(_("%(day)s is no longer a holiday.", day=_day_label(day)), "ok")
    return redirect(url_for("admin.hosts_holidays"))
