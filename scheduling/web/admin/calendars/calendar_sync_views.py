"""Calendar feeds and imported calendars: a host's subscription URL and sources; team feeds.

A rep acts on their own host only (get_host); managers and admins on every host and team of
their organisation; only admins change the organisation's feed privacy setting.
"""

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound, PermissionDenied
from scheduling.extensions import db
from scheduling.models import SOURCE_KINDS, CalendarSource, Host, Pool
from scheduling.operations import calendar_connections as connected
from scheduling.operations import calendar_feeds as feeds
from scheduling.operations import calendar_import as imports
from scheduling.operations.calendar_push import push_channels_of_host
from scheduling.operations.locking import acquire_booking_lock
from scheduling.web.admin.access import (
    current_user,
    get_host,
    login_required,
    roles_required,
    secret_key,
)
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS
from scheduling.web.admin.routing.pool_views import get_pool

from .calendar_sync_forms import FeedPrivacyForm, SourceForm


def feed_links(kind: str, token: str | None) -> dict | None:
    """The https and webcal:// forms of a feed URL (webcal opens the calendar app directly)."""
    if token is None:
        return None
    endpoint = "feeds.host_feed" if kind == "host" else "feeds.team_feed"
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    path = url_for(endpoint, token=f"{token}.ics")
    https = f"{base}{path}" if base else url_for(endpoint, token=f"{token}.ics", _external=True)
    return {"https": https, "webcal": re.sub(r"^https?://", "webcal://", https)}


def _links_for(owner: Host | Pool) -> tuple[bool, dict | None]:
    feed = feeds.feed_for(owner)
    if feed is None:
        return False, None
    kind = "host" if isinstance(owner, Host) else "team"
    return True, feed_links(kind, feeds.feed_token(feed, secret_key()))


def _source_of(host: Host, source_id: int) -> CalendarSource:
    source = db.session.get(CalendarSource, source_id)
    # Connected (Google / Microsoft) calendars are managed on their connection's page.
    if source is None or source.host_id != host.id or source.kind not in SOURCE_KINDS:
        raise NotFound("No such calendar.")
    return source


def _calendars_page(host: Host, form: SourceForm | None = None, status: int = 200):
    exists, links = _links_for(host)
    sources = db.session.scalars(
        select(CalendarSource)
        .where(CalendarSource.host_id == host.id, CalendarSource.kind.in_(SOURCE_KINDS))
        .order_by(CalendarSource.id)
    ).all()
    return render_template(
        "admin/calendars/host.html",
        host=host,
        feed_exists=exists,
        links=links,
        sources=sources,
        connections=connected.page_rows(host),
        push=push_channels_of_host(host.id, clock.utcnow()),
        form=form or SourceForm(formdata=None),
        own=current_user().host_id == host.id,
    ), status


@bp.get("/hosts/<int:host_id>/calendars")
@login_required
def hosts_calendars(host_id: int):
    return _calendars_page(get_host(current_user(), host_id))


@bp.post("/hosts/<int:host_id>/calendars/feed")
@login_required
def hosts_calendars_feed(host_id: int):
    host = get_host(current_user(), host_id)
    replaced = feeds.feed_for(host) is not None
    feeds.regenerate_feed(host, secret_key(), clock.utcnow())
    db.session.commit()
    if replaced:
        flash(_("A new subscription address was made; the previous one no longer works."), "ok")
    else:
        flash(_("A subscription address was made."), "ok")
    return redirect(url_for("admin.hosts_calendars", host_id=host.id))


@bp.post("/hosts/<int:host_id>/calendars/sources")
@login_required
def hosts_calendars_add(host_id: int):
    host = get_host(current_user(), host_id)
    form = SourceForm()
    if not form.validate_on_submit():
        return _calendars_page(host, form, 400)
    try:
        imports.save_source(host, form.to_data(), clock.utcnow())
    except InvalidRequest as exc:
        db.session.rollback()
        form.attach(exc)
        return _calendars_page(host, form, 400)
    db.session.commit()
    flash(_("Calendar added. It is read within the next minutes, or now with Refresh."), "ok")
    return redirect(url_for("admin.hosts_calendars", host_id=host.id))


@bp.route("/hosts/<int:host_id>/calendars/sources/<int:source_id>", methods=["GET", "POST"])
@login_required
def hosts_calendars_edit(host_id: int, source_id: int):
    host = get_host(current_user(), host_id)
    source = _source_of(host, source_id)
    form = SourceForm(obj=source) if request.method == "GET" else SourceForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                imports.save_source(host, form.to_data(), clock.utcnow(), source=source)
            except InvalidRequest as exc:
                db.session.rollback()
                form.attach(exc)
            else:
                db.session.commit()
                flash(_("Calendar saved."), "ok")
                return redirect(url_for("admin.hosts_calendars", host_id=host.id))
        status = 400
    form.password.data = ""
    return render_template(
        "admin/calendars/source.html", host=host, source=source, form=form
    ), status


@bp.post("/hosts/<int:host_id>/calendars/sources/<int:source_id>/delete")
@login_required
def hosts_calendars_delete(host_id: int, source_id: int):
    host = get_host(current_user(), host_id)
    source = _source_of(host, source_id)
    name = source.name
    imports.delete_source(source)
    db.session.commit()
    flash(_("%(name)s was removed; its events no longer block your time.", name=name), "ok")
    return redirect(url_for("admin.hosts_calendars", host_id=host.id))


@bp.post("/hosts/<int:host_id>/calendars/sources/<int:source_id>/refresh")
@login_required
def hosts_calendars_refresh(host_id: int, source_id: int):
    user = current_user()
    host = get_host(user, host_id)
    source = _source_of(host, source_id)
    now = clock.utcnow()
    config = imports.settings()
    job = imports.job_for(source, now, config)
    # Fetch outside any transaction: on SQLite this request holds the write lock, and a slow
    # calendar server must not hold up bookings meanwhile.
    db.session.rollback()
    outcome = imports.fetch(job, now, config)
    acquire_booking_lock(db.session)
    host = get_host(current_user(), host_id)
    source = _source_of(host, source_id)
    imports.apply_outcome(source, outcome, now, config)
    db.session.commit()
    if outcome.error:
        flash(_("%(name)s could not be read: %(error)s", name=source.name, error=outcome.error))
    elif outcome.not_modified:
        flash(_("%(name)s has not changed since the last read.", name=source.name), "ok")
    else:
        flash(
            _(
                "%(name)s was read: %(n)s busy periods.",
                name=source.name,
                n=source.busy_count,
            ),
            "ok",
        )
    return redirect(url_for("admin.hosts_calendars", host_id=host.id))


# -- team feeds and the organisation's feed setting ----------------------------------------------


def _team_feeds_page(form: FeedPrivacyForm | None = None, status: int = 200):
    user = current_user()
    pools = db.session.scalars(
        select(Pool).where(Pool.organisation_id == user.organisation_id).order_by(Pool.name)
    ).all()
    rows = []
    for pool in pools:
        exists, links = _links_for(pool)
        rows.append({"pool": pool, "exists": exists, "links": links})
    if form is None:
        form = FeedPrivacyForm(formdata=None)
        form.busy_only.data = user.organisation.feed_busy_only
    return render_template(
        "admin/calendars/teams.html",
        rows=rows,
        form=form,
        can_edit_privacy=user.role == "admin",
    ), status


@bp.get("/teams/feeds")
@roles_required(*MANAGERS)
def pools_feeds():
    return _team_feeds_page()


@bp.post("/teams/<int:pool_id>/feed")
@roles_required(*MANAGERS)
def pools_feed_regenerate(pool_id: int):
    pool = get_pool(current_user(), pool_id)
    replaced = feeds.feed_for(pool) is not None
    feeds.regenerate_feed(pool, secret_key(), clock.utcnow())
    db.session.commit()
    if replaced:
        message = _(
            "%(name)s has a new feed address; the previous one no longer works.", name=pool.name
        )
        flash(message)
    else:
        flash(_("%(name)s has a feed address.", name=pool.name))
    return redirect(url_for("admin.pools_feeds"))


@bp.post("/teams/feeds/privacy")
@roles_required(*MANAGERS)
def pools_feeds_privacy():
    user = current_user()
    if user.role != "admin":
        raise PermissionDenied("Only admins change what feeds show.")
    form = FeedPrivacyForm()
    if not form.validate_on_submit():
        return _team_feeds_page(form, 400)
    changed = feeds.set_busy_only(user.organisation, bool(form.busy_only.data), clock.utcnow())
    db.session.commit()
    if not changed:
        flash(_("Nothing changed."), "ok")
    elif form.busy_only.data:
        flash(_('Feeds now show only "Busy" blocks.'), "ok")
    else:
        flash(_("Feeds now show the booking details."), "ok")
    return redirect(url_for("admin.pools_feeds"))
