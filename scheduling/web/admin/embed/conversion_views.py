"""Admin: offline ad conversions (names per goal, Google Ads and Microsoft Advertising files).

The files are downloaded by the admin and uploaded to the platform by hand: Rendezvous never
contacts an ad platform. Only bookings with `ads` consent carry click ids at all.
"""

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.attribution.conversions import google_ads_rows, microsoft_ads_rows
from scheduling.attribution.dashboard import date_range
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.operations.ad_conversions import (
    consented_conversions,
    conversion_names,
    update_conversion_names,
)
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.csvsafe import safe_row
from scheduling.web.security import csv_download

from .embed_forms import ConversionNamesForm

PLATFORMS = ("google", "microsoft")


def _zone_name(organisation) -> str:
    try:
        ZoneInfo(organisation.tz or "UTC")
    except (ValueError, KeyError):
        return "UTC"
    return organisation.tz or "UTC"


def _names_form(organisation_id: int, formdata=None) -> ConversionNamesForm:
    if formdata is not None:
        return ConversionNamesForm(formdata=formdata)
    names = conversion_names(organisation_id)
    return ConversionNamesForm(
        formdata=None,
        data={f"conversion_{goal}": name for goal, name in names.items()},
    )


def _page(form, status=200, error=None):
    user = current_user()
    values = {key: request.args.get(key, "") for key in ("from", "to")}
    return render_template(
        "admin/embed/ad_conversions.html",
        form=form,
        error=error,
        values=values,
        zone=_zone_name(user.organisation),
        names=conversion_names(user.organisation_id),
        can_edit=user.role == "admin",
    ), status


@bp.get("/ad-conversions")
@roles_required("admin", "manager")
def ad_conversions():
    return _page(_names_form(current_user().organisation_id))


@bp.post("/ad-conversions")
@roles_required("admin")
def ad_conversions_names():
    admin = current_user()
    form = _names_form(admin.organisation_id, request.form)
    if not form.validate():
        return _page(form, 400)
    try:
        changes = update_conversion_names(
            admin.organisation,
            {
                goal: getattr(form, f"conversion_{goal}").data
                for goal in ("booked", "attended", "won")
            },
            actor=admin,
            now=clock.utcnow(),
        )
    except InvalidRequest as exc:
        db.session.rollback()
        return _page(form, 400, exc.message)
    db.session.commit()
    flash(_("Conversion names saved.") if changes else _("Nothing changed."), "ok")
    return redirect(url_for(".ad_conversions"))


def _csv_text(rows) -> str:
    """Plain CSV without a byte-order mark (the platforms read the first line as parameters)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(safe_row(row))
    return buffer.getvalue()


@bp.get("/ad-conversions/<platform>.csv")
@roles_required("admin", "manager")
def ad_conversions_export(platform: str):
    if platform not in PLATFORMS:
        raise InvalidRequest(
            _("Choose Google Ads or Microsoft Advertising."), {"platform": "unknown"}
        )
    user = current_user()
    zone_name = _zone_name(user.organisation)
    zone = ZoneInfo(zone_name)
    today = clock.utcnow().astimezone(zone).date()
    try:
        period = date_range(request.args.get("from"), request.args.get("to"), today)
    except InvalidRequest as exc:
        return _page(_names_form(user.organisation_id), 400, exc.message)
    # The range is whole days in the organisation's zone, like the times in the file.
    start = datetime.combine(period.first, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(period.last + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    names = conversion_names(user.organisation_id)
    conversions = consented_conversions(user.organisation_id, start, end)
    if platform == "google":
        rows = google_ads_rows(conversions, names, zone_name)
    else:
        rows = microsoft_ads_rows(conversions, names, zone_name, end)
    name = f"{platform}-ads-conversions-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return csv_download(iter([_csv_text(rows)]), name)
