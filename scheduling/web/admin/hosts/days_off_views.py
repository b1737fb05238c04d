"""Out of office and holidays of one host, and the import of public holidays by country.

Follows the overrides' access rule: managers and admins act on every host of their
organisation, a rep on their own host; the organisation's import is for managers only.
"""

from datetime import date

from babel.dates import format_date
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Host
from scheduling.operations import days_off
from scheduling.operations import hosts as host_ops
from scheduling.web.admin.access import current_user, get_host, login_required, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS

from .host_forms import AbsenceForm, HolidayForm, HolidayImportForm, attach_error
from .host_views import _availability_page, _holidays_page


def _day_label(day: date) -> str:
    return format_date(day, "full", locale=get_locale())


def _show_error(form, exc: InvalidRequest) -> None:
    if not attach_error(form, exc):
        form.form_errors.append(exc.message)


def _absence_data(form: AbsenceForm) -> days_off.AbsenceData:
    return days_off.AbsenceData(
        form.first_day.data, form.last_day.data, form.note.data or "", form.delegate()
    )


@bp.post("/hosts/<int:host_id>/absences")
@login_required
def hosts_absences(host_id: int):
    user = current_user()
    host = get_host(user, host_id)
    form = AbsenceForm(prefix="absence", delegates=days_off.delegate_choices(host))
    if not form.validate_on_submit():
        return _availability_page(host, absence_form=form, status=400)
    try:
        absence = days_off.add_absence(host, _absence_data(form), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        _show_error(form, exc)
        return _availability_page(host, absence_form=form, status=400)
    db.session.commit()
    flash(
        _(
            "Out of office from %(first)s to %(last)s.",
            first=_day_label(absence.first_day),
            last=_day_label(absence.last_day),
        ),
        "ok",
    )
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


@bp.route("/hosts/<int:host_id>/absences/<int:absence_id>/edit", methods=["GET", "POST"])
@login_required
def hosts_absences_edit(host_id: int, absence_id: int):
    user = current_user()
    host = get_host(user, host_id)
    absence = days_off.get_absence(host, absence_id)
    delegates = days_off.delegate_choices(host)
    if request.method == "GET":
        form = AbsenceForm(formdata=None, prefix="absence", delegates=delegates)
        form.first_day.data, form.last_day.data = absence.first_day, absence.last_day
        form.note.data = absence.note
        form.delegate_id.data = str(absence.delegate_id) if absence.delegate_id else ""
        return render_template("admin/hosts/absence_form.html", host=host, form=form)
    form = AbsenceForm(prefix="absence", delegates=delegates)
    status = 400
    if form.validate_on_submit():
        try:
            changed = days_off.update_absence(absence, _absence_data(form), clock.utcnow(), user)
        except InvalidRequest as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Absence saved.") if changed else _("Nothing changed."), "ok")
            return redirect(url_for("admin.hosts_availability", host_id=host.id))
    return render_template("admin/hosts/absence_form.html", host=host, form=form), status


@bp.post("/hosts/<int:host_id>/absences/<int:absence_id>/delete")
@login_required
def hosts_absences_delete(host_id: int, absence_id: int):
    user = current_user()
    host = get_host(user, host_id)
    absence = days_off.get_absence(host, absence_id)
    days_off.delete_absence(absence, clock.utcnow(), user)
    db.session.commit()
    flash(_("The absence was removed."), "ok")
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


@bp.post("/hosts/<int:host_id>/holidays")
@login_required
def hosts_own_holidays(host_id: int):
    user = current_user()
    host = get_host(user, host_id)
    form = HolidayForm(prefix="own_holiday")
    if not form.validate_on_submit():
        return _availability_page(host, own_holiday_form=form, status=400)
    try:
        days_off.add_host_holiday(host, form.day.data, form.name.data, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        _show_error(form, exc)
        return _availability_page(host, own_holiday_form=form, status=400)
    db.session.commit()
    flash(_("%(day)s is a holiday of this host now.", day=_day_label(form.day.data)), "ok")
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


@bp.post("/hosts/<int:host_id>/holidays/<int:holiday_id>/delete")
@login_required
def hosts_own_holidays_delete(host_id: int, holiday_id: int):
    user = current_user()
    host = get_host(user, host_id)
    holiday = days_off.get_host_holiday(host, holiday_id)
    day = holiday.day
    days_off.delete_host_holiday(holiday, clock.utcnow(), user)
    db.session.commit()
    flash(_("%(day)s is no longer a holiday.", day=_day_label(day)), "ok")
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


def _renamed(holiday, user) -> InvalidRequest | None:
    """Rename from the posted `name`; the error to show instead, if any (nothing changed)."""
    try:
        changed = days_off.rename_holiday(
            holiday, request.form.get("name", ""), clock.utcnow(), user
        )
    except InvalidRequest as exc:
        db.session.rollback()
        return exc
    db.session.commit()
    if changed:
        flash(_("The holiday on %(day)s is now called %(name)s.", day=_day_label(holiday.day),
                name=holiday.name), "ok")  # fmt: skip
    return None


@bp.post("/hosts/holidays/<int:holiday_id>/rename")
@roles_required(*MANAGERS)
def hosts_holidays_rename(holiday_id: int):
    user = current_user()
    holiday = host_ops.get_holiday(user.organisation_id, holiday_id)
    error = _renamed(holiday, user)
    if error is not None:
        flash(_(error.message), "error")
        return _holidays_page(HolidayForm(formdata=None), 400)
    return redirect(url_for("admin.hosts_holidays"))


@bp.post("/hosts/<int:host_id>/holidays/<int:holiday_id>/rename")
@login_required
def hosts_own_holidays_rename(host_id: int, holiday_id: int):
    user = current_user()
    host = get_host(user, host_id)
    holiday = days_off.get_host_holiday(host, holiday_id)
    error = _renamed(holiday, user)
    if error is not None:
        flash(_(error.message), "error")
        return _availability_page(host, status=400)
    return redirect(url_for("admin.hosts_availability", host_id=host.id))


# -- import of public holidays ------------------------------------------------------------------


def _country_choices() -> list[tuple[str, str]]:
    names = get_locale().territories
    codes = days_off.supported_countries()
    return sorted(
        ((code, f"{names.get(code, code)} ({code})") for code in codes),
        key=lambda pair: pair[1],
    )


def _import_page(host: Host | None):
    """GET: pick a country (then its regions); POST: import into the host's or the org's list."""
    user = current_user()
    now = clock.utcnow()
    countries = days_off.supported_countries()
    posted = request.method == "POST"
    form = HolidayImportForm(formdata=None if not posted else request.form)
    form.country.choices = [("", _("Choose a country")), *_country_choices()]
    country = (form.country.data if posted else request.args.get("country", "")).strip()
    regions = countries.get(country, [])
    form.subdivision.choices = [("", _("Whole country (no region)"))] + [
        (code, code) for code in regions
    ]
    status = 200
    if not posted:
        form.country.data = country
        form.first_year.data = form.first_year.data or now.year + 1
        form.last_year.data = form.last_year.data or now.year + 1
        if country and country not in countries:
            form.country.errors = [_("Pick a country from the list.")]
            status = 400
    elif form.validate_on_submit():
        try:
            result = days_off.import_holidays(
                user.organisation,
                host,
                country,
                (form.subdivision.data or "").strip(),
                form.first_year.data,
                form.last_year.data,
                now,
                user,
            )
        except InvalidRequest as exc:
            db.session.rollback()
            _show_error(form, exc)
            status = 400
        else:
            db.session.commit()
            flash(
                _(
                    "%(added)s holidays imported, %(skipped)s skipped (past or already there).",
                    added=result.added,
                    skipped=result.skipped,
                ),
                "ok",
            )
            if host is not None:
                return redirect(url_for("admin.hosts_availability", host_id=host.id))
            return redirect(url_for("admin.hosts_holidays"))
    else:
        status = 400
    return render_template(
        "admin/hosts/holiday_import.html",
        form=form,
        host=host,
        country=country if country in countries else "",
        regions=regions,
    ), status


@bp.route("/hosts/holidays/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def hosts_holidays_import():
    return _import_page(None)


@bp.route("/hosts/<int:host_id>/holidays/import", methods=["GET", "POST"])
@login_required
def hosts_own_holidays_import(host_id: int):
    host = get_host(current_user(), host_id)
    return _import_page(host)
