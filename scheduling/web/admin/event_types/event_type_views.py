"""Event types: list with public links, create, edit, activate and deactivate (managers, admins).

An event type may ask a qualification form and be hosted by a team instead of its hosts.
Reps get 403 on every route here; another organisation's event types answer 404.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import EventType, Host, Pool, RoutingForm
from scheduling.operations import event_types as ops
from scheduling.operations.locations import offered_locations
from scheduling.web.admin.access import current_user, get_event_type, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.hosts.host_forms import attach_error
from scheduling.web.admin.nav import MANAGERS

from .event_type_forms import EventTypeForm


def public_link(event_type: EventType) -> str:
    """The absolute booking link, under PUBLIC_URL when configured."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if base:
        return base + url_for("public.book", slug=event_type.slug)
    return url_for("public.book", slug=event_type.slug, _external=True)


def _org_hosts(organisation_id: int) -> list[Host]:
    return list(
        db.session.scalars(
            select(Host).where(Host.organisation_id == organisation_id).order_by(Host.name, Host.id)
        )
    )


def _org_rows(model, organisation_id: int, order) -> list:
    return list(
        db.session.scalars(
            select(model).where(model.organisation_id == organisation_id).order_by(order, model.id)
        )
    )


def _form_page(form: EventTypeForm, event_type: EventType | None, hosts, status: int):
    return render_template(
        "admin/event_types/form.html",
        form=form,
        event_type=event_type,
        hosts=hosts,
        link=public_link(event_type) if event_type else None,
    ), status


def _handle_form(form: EventTypeForm, event_type: EventType | None, hosts: list[Host]):
    """Show the form (GET), or validate and store (POST): redirect, or the form again (400)."""
    user = current_user()
    form.host_ids.choices = [
        SelectChoice(
            str(host.id), host.name if host.active else _("%(name)s (inactive)", name=host.name)
        )
        for host in hosts
    ]
    form.set_routing_choices(
        _org_rows(RoutingForm, user.organisation_id, RoutingForm.name),
        _org_rows(Pool, user.organisation_id, Pool.name),
    )
    if request.method == "GET":
        return _form_page(form, event_type, hosts, 200)
    if not form.validate_on_submit():
        return _form_page(form, event_type, hosts, 400)
    now = clock.utcnow()
    try:
        if event_type is None:
            saved = ops.create_event_type(user.organisation, form.to_data(), now, user)
            changed = True
        else:
            saved = event_type
            changed = bool(ops.update_event_type(event_type, form.to_data(), now, user))
    except InvalidRequest as exc:
        db.session.rollback()
        if not attach_error(form, exc):
            form.form_errors.append(exc.message)
        return _form_page(form, event_type, hosts, 400)
    db.session.commit()
    if event_type is None:
        flash(_("%(title)s was created. Share its link to get bookings.", title=saved.title), "ok")
    else:
        flash(_("Event type saved.") if changed else _("Nothing changed."), "ok")
    return redirect(url_for("admin.event_types"))


@bp.get("/event-types")
@roles_required(*MANAGERS)
def event_types():
    user = current_user()
    listed = db.session.scalars(
        select(EventType)
        .where(EventType.organisation_id == user.organisation_id)
        .options(
            selectinload(EventType.hosts),
            selectinload(EventType.pool),
            selectinload(EventType.routing_form),
        )
        .order_by(EventType.active.desc(), EventType.title, EventType.id)
    ).all()
    has_hosts = bool(listed) or db.session.scalar(
        select(Host.id).where(Host.organisation_id == user.organisation_id).limit(1)
    )
    return render_template(
        "admin/event_types/list.html",
        event_types=listed,
        links={event_type.id: public_link(event_type) for event_type in listed},
        has_hosts=has_hosts,
    )


@bp.route("/event-types/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def event_types_new():
    hosts = _org_hosts(current_user().organisation_id)
    form = EventTypeForm()
    if request.method == "GET":
        # Sensible starting values for a typical sales call.
        form.duration.data, form.step.data = 30, 30
        form.buffer_before.data, form.buffer_after.data = 0, 0
        form.min_notice.data, form.horizon_days.data = 240, 60
        form.host_ids.data = [host.id for host in hosts if host.active][:1]
    return _handle_form(form, None, hosts)


@bp.route("/event-types/<int:event_type_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def event_types_edit(event_type_id: int):
    user = current_user()
    event_type = get_event_type(user, event_type_id)
    form = EventTypeForm(obj=event_type)
    if request.method == "GET":
        form.host_ids.data = [host.id for host in event_type.hosts]
        form.load_locations(offered_locations(event_type))
    return _handle_form(form, event_type, _org_hosts(user.organisation_id))


def _set_active(event_type_id: int, active: bool):
    user = current_user()
    event_type = get_event_type(user, event_type_id)
    # CSRF is checked for every POST by CSRFProtect before the view runs.
    if ops.set_event_type_active(event_type, active, clock.utcnow(), user):
        db.session.commit()
        if active:
            flash(_("%(title)s is open for booking again.", title=event_type.title), "ok")
        else:
            flash(_("%(title)s is closed: nobody can book it.", title=event_type.title), "ok")
    return redirect(url_for("admin.event_types"))


@bp.post("/event-types/<int:event_type_id>/activate")
@roles_required(*MANAGERS)
def event_types_activate(event_type_id: int):
    return _set_active(event_type_id, True)


@bp.post("/event-types/<int:event_type_id>/deactivate")
@roles_required(*MANAGERS)
def event_types_deactivate(event_type_id: int):
    return _set_active(event_type_id, False)
