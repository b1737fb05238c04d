"""Routing forms: list, detail, create, rename, delete; and what every routing view shares.

The routing views (this module, question_views, rule_views, routing_test_views) are for managers
and admins only: reps get 403 on every route. Another organisation's forms, and questions or
rules of another form, answer 404 (guessed ids included), for GET and POST alike.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduling import clock
from scheduling import routing as rt
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, RoutingForm, User
from scheduling.operations.routing_forms import (
    create_routing_form,
    delete_routing_form,
    event_types_using_form,
    rename_routing_form,
    value_text,
)
from scheduling.operations.routing_rules import targets_of
from scheduling.operations.rule_checks import stale_rules_of_form
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.messages import shown_message
from scheduling.web.admin.nav import MANAGERS

from .routing_forms import KIND_LABELS, OPERATOR_LABELS, NameForm


@bp.app_template_filter("compact_datetime")
def compact_datetime(moment: datetime, tz: str) -> str:
    """A short local date and time for tables (routing, teams, leads): 'Mon 7 Jan 2030, 09:00'."""
    return format_datetime(moment, "EEE d MMM y, HH:mm", tzinfo=ZoneInfo(tz), locale=get_locale())


@bp.app_template_global("count_figure")
def count_figure(value: float | None) -> str:
    """A count or share for people: whole numbers plain, others with up to two decimals."""
    if value is None:
        return ""
    rounded = round(float(value), 2)
    if rounded == 0:
        return "0"
    if rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0")


bp.app_template_filter("shown_message")(shown_message)


def labelled_value_text(labels: dict[str, dict[str, str]]):
    """value_text for a condition that shows a choice question's values by their labels."""

    def shown(value: object, field: str = "") -> str:
        names = labels.get(field)
        if not names:
            return value_text(value)
        items = value if isinstance(value, list | tuple) else [value]
        return ", ".join(names.get(str(item), str(item)) for item in items)

    return shown


def choice_labels(routing_form: RoutingForm) -> dict[str, dict[str, str]]:
    """{question key: {choice value: label}} for the form's choice questions."""
    return {
        q.key: {str(c.get("value", "")): str(c.get("label", "")) for c in q.choices or []}
        for q in routing_form.questions
        if q.choices
    }


def get_routing_form(user: User, form_id: int) -> RoutingForm:
    """A routing form of the user's organisation, or NotFound (whether it exists or not)."""
    routing_form = db.session.get(RoutingForm, form_id)
    if routing_form is None or routing_form.organisation_id != user.organisation_id:
        raise NotFound("No such routing form.")
    return routing_form


def show_problems(form, exc: InvalidRequest, aliases: dict | None = None) -> list[str]:
    """Put each problem on its form field; return those that belong to no field."""
    aliases = aliases or {}
    problems = getattr(exc, "problems", None) or [(next(iter(exc.fields), ""), exc.message)]
    general = []
    for name, message in problems:
        message = shown_message(message)
        field = form._fields.get(aliases.get(name, name)) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            general.append(message)
    return general


def posted_direction() -> str:
    """The posted direction of a move, refused unless it is up or down."""
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        raise InvalidRequest("Move the row up or down.")
    return direction


def to_detail(routing_form: RoutingForm, anchor: str | None = None):
    """Back to the form's page (303), at `anchor` when given."""
    return redirect(
        url_for("admin.routing_forms_detail", form_id=routing_form.id, _anchor=anchor), code=303
    )


# -- the list, create, rename, delete ----------------------------------------------------------


def _list_page(create_form: NameForm, status: int):
    user = current_user()
    forms = db.session.scalars(
        select(RoutingForm)
        .where(RoutingForm.organisation_id == user.organisation_id)
        .options(selectinload(RoutingForm.questions), selectinload(RoutingForm.rules))
        .order_by(RoutingForm.name, RoutingForm.id)
    ).all()
    used_by: dict[int, list[EventType]] = {form.id: [] for form in forms}
    if forms:
        for event_type in db.session.scalars(
            select(EventType)
            .where(EventType.routing_form_id.in_(list(used_by)))
            .order_by(EventType.title)
        ):
            used_by[event_type.routing_form_id].append(event_type)
    return render_template(
        "admin/routing/list.html",
        forms=forms,
        used_by=used_by,
        create_form=create_form,
        stale={form.id: stale_rules_of_form(form) for form in forms},
    ), status


@bp.get("/routing")
@roles_required(*MANAGERS)
def routing_forms():
    return _list_page(NameForm(), 200)


@bp.post("/routing/new")
@roles_required(*MANAGERS)
def routing_forms_new():
    user = current_user()
    form = NameForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    try:
        created = create_routing_form(user.organisation, form.name.data, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return _list_page(form, 400)
    db.session.commit()
    flash(_("%(name)s was created. Now add its questions.", name=created.name), "ok")
    return to_detail(created)


def detail_page(routing_form: RoutingForm, status: int = 200, rename_form=None, notice=None):
    """The form's page; `notice` says why an action on it was refused."""
    user = current_user()
    rename_form = rename_form or NameForm(formdata=None, obj=routing_form)
    return render_template(
        "admin/routing/detail.html",
        routing_form=routing_form,
        rename_form=rename_form,
        notice=notice,
        used_by=event_types_using_form(routing_form),
        targets=targets_of(user.organisation_id),
        kind_labels=KIND_LABELS,
        free_text_kinds=rt.FREE_TEXT_KINDS,
        without_purpose=[q for q in routing_form.questions if not (q.purpose or "").strip()],
        operator_labels=OPERATOR_LABELS,
        value_text=labelled_value_text(choice_labels(routing_form)),
        stale=stale_rules_of_form(routing_form),
    ), status


@bp.get("/routing/<int:form_id>")
@roles_required(*MANAGERS)
def routing_forms_detail(form_id: int):
    return detail_page(get_routing_form(current_user(), form_id))


@bp.post("/routing/<int:form_id>/rename")
@roles_required(*MANAGERS)
def routing_forms_rename(form_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    form = NameForm()
    if not form.validate_on_submit():
        return detail_page(routing_form, 400, rename_form=form)
    try:
        changed = rename_routing_form(routing_form, form.name.data, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return detail_page(routing_form, 400, rename_form=form)
    db.session.commit()
    flash(_("Form renamed.") if changed else _("Nothing changed."), "ok")
    return to_detail(routing_form)


@bp.post("/routing/<int:form_id>/delete")
@roles_required(*MANAGERS)
def routing_forms_delete(form_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    name = routing_form.name
    try:
        delete_routing_form(routing_form, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        return detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    flash(_("%(name)s was deleted.", name=name), "ok")
    return redirect(url_for("admin.routing_forms"), code=303)
