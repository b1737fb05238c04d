"""Routing forms: questions, rules, the fallback, and a test page that stores nothing.

Managers and admins only: reps get 403 on every route here. Another organisation's forms, and
questions or rules of another form, answer 404 (guessed ids included), for GET and POST alike.
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
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import EventType, Host, Pool, Question, RoutingForm, RoutingRule, User
from scheduling.operations.routing import evaluate_answers
from scheduling.operations.routing_forms import (
    create_routing_form,
    delete_routing_form,
    event_types_using_form,
    rename_routing_form,
    value_text,
)
from scheduling.operations.routing_questions import (
    create_question,
    delete_question,
    move_question,
    update_question,
)
from scheduling.operations.routing_rules import (
    create_rule,
    delete_rule,
    move_rule,
    set_rule_active,
    targets_of,
    update_fallback,
    update_rule,
)
from scheduling.routing import COUNTRIES
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS
from scheduling.web.public.forms import answers_from_form

from .routing_forms import (
    KIND_LABELS,
    OPERATOR_LABELS,
    FallbackForm,
    NameForm,
    QuestionForm,
    RoutingTestForm,
    RuleForm,
)

TARGET_FIELDS = {"team": "pool_id", "host": "host_id", "event_type": "event_type_id"}


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


def get_routing_form(user: User, form_id: int) -> RoutingForm:
    """A routing form of the user's organisation, or NotFound (whether it exists or not)."""
    routing_form = db.session.get(RoutingForm, form_id)
    if routing_form is None or routing_form.organisation_id != user.organisation_id:
        raise NotFound("No such routing form.")
    return routing_form


def _question_of(routing_form: RoutingForm, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.routing_form_id != routing_form.id:
        raise NotFound("No such question.")
    return question


def _rule_of(routing_form: RoutingForm, rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None or rule.routing_form_id != routing_form.id:
        raise NotFound("No such rule.")
    return rule


def show_problems(form, exc: InvalidRequest, aliases: dict | None = None) -> list[str]:
    """Put each problem on its form field; return those that belong to no field."""
    aliases = aliases or {}
    problems = getattr(exc, "problems", None) or [(next(iter(exc.fields), ""), exc.message)]
    general = []
    for name, message in problems:
        field = form._fields.get(aliases.get(name, name)) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            general.append(message)
    return general


def _direction() -> str:
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        raise InvalidRequest("Move the row up or down.")
    return direction


def _org_rows(model, user: User, order) -> list:
    return list(
        db.session.scalars(
            select(model)
            .where(model.organisation_id == user.organisation_id)
            .order_by(order, model.id)
        )
    )


def _to_detail(routing_form: RoutingForm, anchor: str | None = None):
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
        "admin/routing/list.html", forms=forms, used_by=used_by, create_form=create_form
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
    return _to_detail(created)


def _detail_page(routing_form: RoutingForm, status: int = 200, rename_form=None, notice=None):
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
        operator_labels=OPERATOR_LABELS,
        value_text=value_text,
    ), status


@bp.get("/routing/<int:form_id>")
@roles_required(*MANAGERS)
def routing_forms_detail(form_id: int):
    return _detail_page(get_routing_form(current_user(), form_id))


@bp.post("/routing/<int:form_id>/rename")
@roles_required(*MANAGERS)
def routing_forms_rename(form_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    form = NameForm()
    if not form.validate_on_submit():
        return _detail_page(routing_form, 400, rename_form=form)
    try:
        changed = rename_routing_form(routing_form, form.name.data, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        show_problems(form, exc)
        return _detail_page(routing_form, 400, rename_form=form)
    db.session.commit()
    flash(_("Form renamed.") if changed else _("Nothing changed."), "ok")
    return _to_detail(routing_form)


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
        return _detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    flash(_("%(name)s was deleted.", name=name), "ok")
    return redirect(url_for("admin.routing_forms"), code=303)


# -- questions ---------------------------------------------------------------------------------


def _earlier(routing_form: RoutingForm, question: Question | None) -> list[tuple[str, str]]:
    earlier = []
    for other in routing_form.questions:
        if other is question:
            break
        earlier.append((other.key, other.label))
    return earlier


def _question_page(routing_form, question, form, status: int, general=()):
    return render_template(
        "admin/routing/question.html",
        routing_form=routing_form,
        question=question,
        form=form,
        general=general,
    ), status


def _save_question(routing_form: RoutingForm, question: Question | None):
    """Validate and store the question form; the form again (400) when something is wrong."""
    user = current_user()
    form = QuestionForm(earlier=_earlier(routing_form, question))
    if not form.validate_on_submit():
        return _question_page(routing_form, question, form, 400)
    now = clock.utcnow()
    try:
        if question is None:
            saved = create_question(routing_form, form.to_data(), now, user)
            message = _("Question %(key)s was added.", key=saved.key)
        else:
            changed = update_question(question, form.to_data(), now, user)
            message = _("Question saved.") if changed else _("Nothing changed.")
    except InvalidRequest as exc:
        db.session.rollback()
        general = show_problems(form, exc)
        return _question_page(routing_form, question, form, 400, general)
    db.session.commit()
    flash(message, "ok")
    return _to_detail(routing_form, "questions")


@bp.route("/routing/<int:form_id>/questions/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def routing_forms_question_new(form_id: int):
    routing_form = get_routing_form(current_user(), form_id)
    if request.method == "POST":
        return _save_question(routing_form, None)
    form = QuestionForm(earlier=_earlier(routing_form, None))
    return _question_page(routing_form, None, form, 200)


@bp.route("/routing/<int:form_id>/questions/<int:question_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def routing_forms_question_edit(form_id: int, question_id: int):
    routing_form = get_routing_form(current_user(), form_id)
    question = _question_of(routing_form, question_id)
    if request.method == "POST":
        return _save_question(routing_form, question)
    form = QuestionForm(obj=question, earlier=_earlier(routing_form, question))
    form.fill_from(question)
    return _question_page(routing_form, question, form, 200)


@bp.post("/routing/<int:form_id>/questions/<int:question_id>/delete")
@roles_required(*MANAGERS)
def routing_forms_question_delete(form_id: int, question_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    question = _question_of(routing_form, question_id)
    key = question.key
    try:
        delete_question(question, clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        return _detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    flash(_("Question %(key)s was deleted.", key=key), "ok")
    return _to_detail(routing_form, "questions")


@bp.post("/routing/<int:form_id>/questions/<int:question_id>/move")
@roles_required(*MANAGERS)
def routing_forms_question_move(form_id: int, question_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    question = _question_of(routing_form, question_id)
    try:
        move_question(question, _direction(), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        return _detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    return _to_detail(routing_form, "questions")


# -- rules -------------------------------------------------------------------------------------


def _rule_page(routing_form, rule, form: RuleForm, status: int, general=()):
    return render_template(
        "admin/routing/rule.html",
        routing_form=routing_form,
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


def _rule_form(routing_form: RoutingForm, rule: RoutingRule | None) -> RuleForm:
    """The rule form: posted values, or the stored rule (or a blank one) plus empty rows."""
    form = RuleForm()
    if request.method == "GET":
        if rule is not None:
            form.name.data, form.match.data = rule.name, rule.match
            for cond in rule.conditions or []:
                form.conditions.append_entry(
                    {
                        "field": cond.get("field", ""),
                        "operator": cond.get("operator", "equals"),
                        "value": value_text(cond.get("value")),
                    }
                )
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
    return _to_detail(routing_form, "rules")


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
    return _to_detail(routing_form, "rules")


@bp.post("/routing/<int:form_id>/rules/<int:rule_id>/move")
@roles_required(*MANAGERS)
def routing_forms_rule_move(form_id: int, rule_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    rule = _rule_of(routing_form, rule_id)
    try:
        move_rule(rule, _direction(), clock.utcnow(), user)
    except InvalidRequest as exc:
        return _detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    return _to_detail(routing_form, "rules")


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
    return _to_detail(routing_form, "rules")


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
            return _to_detail(routing_form, "fallback")
    return render_template(
        "admin/routing/fallback.html", routing_form=routing_form, form=form, general=general
    ), status


# -- the test page -----------------------------------------------------------------------------


@bp.route("/routing/<int:form_id>/test", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def routing_forms_test(form_id: int):
    """Answer the form as a visitor would and see the route; nothing is stored."""
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    form = RoutingTestForm()
    answers: dict = {}
    errors: dict = {}
    result = None
    status = 200
    if request.method == "POST":
        answers = answers_from_form(routing_form, request.form)
        if not form.validate_on_submit():
            errors, status = {"_form": _("The form expired. Please send it again.")}, 400
        else:
            try:
                result = evaluate_answers(routing_form, answers)
            except InvalidRequest as exc:
                errors, status = exc.fields or {"_form": exc.message}, 400
        db.session.rollback()  # a test run never stores anything
    return render_template(
        "admin/routing/test.html",
        routing_form=routing_form,
        form=form,
        questions=routing_form.questions,
        answers=answers,
        errors=errors,
        result=result,
        targets=targets_of(user.organisation_id),
        countries=sorted(COUNTRIES.items(), key=lambda item: item[1]),
        country_names=COUNTRIES,
        operator_labels=OPERATOR_LABELS,
        value_text=value_text,
    ), status
