"""Rules of a routing form and its fallback: where leads go (access: see routing_form_views)."""

from flask import flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from scheduling import clock
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, Host, Pool, RoutingForm, RoutingRule, User
from scheduling.operations.routing_forms import value_text
from scheduling.operations.routing_questions import CHOICE_KINDS
from scheduling.operations.routing_rules import (
    create_rule,
    delete_rule,
    move_rule,
    set_rule_active,
    update_fallback,
    update_rule,
)
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS

from .routing_form_views import (
    detail_page,
    get_routing_form,
    posted_direction,
    show_problems,
    to_detail,
)
from .routing_forms import FallbackForm, RuleForm

TARGET_FIELDS = {"team": "pool_id", "host": "host_id", "event_type": "event_type_id"}


def _rule_of(routing_form: RoutingForm, rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None or rule.routing_form_id != routing_form.id:
        raise NotFound("No such rule.")
    return rule


def _org_rows(model, user: User, order) -> list:
    return list(
        db.session.scalars(
            select(model)
            .where(model.organisation_id == user.organisation_id)
            .order_by(order, model.id)
        )
    )


# -- rules -------------------------------------------------------------------------------------


def _rule_page(routing_form, rule, form: RuleForm, status: int, general=()):
    return render_template(
        "admin/routing/rule.html",
        routing_form=routing_form,
        choice_questions=[q for q in routing_form.questions if q.kind in CHOICE_KINDS],
        rule=rule,
        form=form,
        general=general,
    ), status


def _prepare_action_form(form, user: User) -> None:
    form.set_targets(
        _org_rows(Pool, user, Pool.name),
        _org_rows(Host, user, Host.name),
        _org_rows(EventType, user, EventType.title),
    )


def _choice_values(routing_form: RoutingForm) -> dict[str, set[str]]:
    return {
        q.key: {str(c.get("value", "")) for c in q.choices or []}
        for q in routing_form.questions
        if q.kind in CHOICE_KINDS
    }


def _condition_row(cond: dict, choice_values: dict[str, set[str]]) -> dict:
    """A stored condition as a form row: valid choices picked in the list, anything else typed.

    A value that is no longer a choice stays in the text box, so saving names the valid ones.
    """
    field, value = cond.get("field", ""), cond.get("value")
    row = {"field": field, "operator": cond.get("operator", "equals"), "value": "", "choices": []}
    items = value if isinstance(value, list) else [value]
    offered = choice_values.get(field)
    if offered and items and all(isinstance(i, str) and i in offered for i in items):
        row["choices"] = list(items)
    else:
        row["value"] = value_text(value)
    return row


def _rule_form(routing_form: RoutingForm, rule: RoutingRule | None) -> RuleForm:
    """The rule form: posted values, or the stored rule (or a blank one) plus empty rows."""
    form = RuleForm()
    if request.method == "GET":
        if rule is not None:
            form.name.data, form.match.data = rule.name, rule.match
            choice_values = _choice_values(routing_form)
            for cond in rule.conditions or []:
                form.conditions.append_entry(_condition_row(cond, choice_values))
            form.fill_action(
                rule.action_kind,
                rule.target_id,
                rule.message,
                rule.redirect_url,
                rule.redirect_seconds,
            )
        form.add_blank_rows(2 if rule is not None else 3)
    form.set_fields(routing_form.questions)
    _prepare_action_form(form, current_user())
    return form


def _save_rule(routing_form: RoutingForm, rule: RoutingRule | None):
    user = current_user()
    form = _rule_form(routing_form, rule)
    if not form.validate_on_submit():
        return _rule_page(routing_form, rule, form, 400)
    now = clock.utcnow()
    try:
        if rule is None:
            saved = create_rule(routing_form, form.to_data(), now, user)
            message = _("Rule %(name)s was added.", name=saved.name)
        else:
            changed = update_rule(rule, form.to_data(), now, user)
            message = _("Rule saved.") if changed else _("Nothing changed.")
    except InvalidRequest as exc:
        db.session.rollback()
        aliases = {"target": TARGET_FIELDS.get(form.action_kind.data, "")}
        general = show_problems(form, exc, aliases)
        return _rule_page(routing_form, rule, form, 400, general)
    db.session.commit()
    flash(message, "ok")
    return to_detail(routing_form, "rules")


@bp.route("/routing/<int:form_id>/rules/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def routing_forms_rule_new(form_id: int):
    routing_form = get_routing_form(current_user(), form_id)
    if request.method == "POST":
        return _save_rule(routing_form, None)
    return _rule_page(routing_form, None, _rule_form(routing_form, None), 200)


@bp.route("/routing/<int:form_id>/rules/<int:rule_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def routing_forms_rule_edit(form_id: int, rule_id: int):
    routing_form = get_routing_form(current_user(), form_id)
    rule = _rule_of(routing_form, rule_id)
    if request.method == "POST":
        return _save_rule(routing_form, rule)
    return _rule_page(routing_form, rule, _rule_form(routing_form, rule), 200)


@bp.post("/routing/<int:form_id>/rules/<int:rule_id>/delete")
@roles_required(*MANAGERS)
def routing_forms_rule_delete(form_id: int, rule_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    rule = _rule_of(routing_form, rule_id)
    name = rule.name
    delete_rule(rule, clock.utcnow(), user)
    db.session.commit()
    flash(_("Rule %(name)s was deleted.", name=name), "ok")
    return to_detail(routing_form, "rules")


@bp.post("/routing/<int:form_id>/rules/<int:rule_id>/move")
@roles_required(*MANAGERS)
def routing_forms_rule_move(form_id: int, rule_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    rule = _rule_of(routing_form, rule_id)
    try:
        move_rule(rule, posted_direction(), clock.utcnow(), user)
    except InvalidRequest as exc:
        return detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    return to_detail(routing_form, "rules")


def _set_rule_active(form_id: int, rule_id: int, active: bool):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    rule = _rule_of(routing_form, rule_id)
    if set_rule_active(rule, active, clock.utcnow(), user):
        db.session.commit()
        if active:
            flash(_("Rule %(name)s is on again.", name=rule.name), "ok")
        else:
            flash(_("Rule %(name)s is off: it is skipped.", name=rule.name), "ok")
    return to_detail(routing_form, "rules")


@bp.post("/routing/<int:form_id>/rules/<int:rule_id>/activate")
@roles_required(*MANAGERS)
def routing_forms_rule_activate(form_id: int, rule_id: int):
    return _set_rule_active(form_id, rule_id, True)


@bp.post("/routing/<int:form_id>/rules/<int:rule_id>/deactivate")
@roles_required(*MANAGERS)
def routing_forms_rule_deactivate(form_id: int, rule_id: int):
    return _set_rule_active(form_id, rule_id, False)


# -- the fallback ------------------------------------------------------------------------------


@bp.route("/routing/<int:form_id>/fallback", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def routing_forms_fallback(form_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    form = FallbackForm()
    _prepare_action_form(form, user)
    status, general = 200, []
    if request.method == "GET":
        form.fill_action(
            routing_form.fallback_kind,
            routing_form.fallback_target_id,
            routing_form.fallback_message,
            routing_form.fallback_redirect_url,
            routing_form.fallback_redirect_seconds,
        )
    elif not form.validate_on_submit():
        status = 400
    else:
        try:
            changed = update_fallback(routing_form, form.action(), clock.utcnow(), user)
        except InvalidRequest as exc:
            db.session.rollback()
            aliases = {"target": TARGET_FIELDS.get(form.action_kind.data, "")}
            general, status = show_problems(form, exc, aliases), 400
        else:
            db.session.commit()
            flash(_("Fallback saved.") if changed else _("Nothing changed."), "ok")
            return to_detail(routing_form, "fallback")
    return render_template(
        "admin/routing/fallback.html", routing_form=routing_form, form=form, general=general
    ), status
