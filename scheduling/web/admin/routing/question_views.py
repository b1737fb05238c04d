"""Questions of a routing form: add, edit, delete, move (access: see routing_form_views)."""

from flask import flash, render_template, request
from flask_babel import gettext as _

from scheduling import clock
from scheduling import routing as rt
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import Question, RoutingForm
from scheduling.operations.routing_questions import (
    create_question,
    delete_question,
    move_question,
    update_question,
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
from .routing_forms import QuestionForm


def _question_of(routing_form: RoutingForm, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.routing_form_id != routing_form.id:
        raise NotFound("No such question.")
    return question


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
        free_text_kinds=rt.FREE_TEXT_KINDS,
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
    return to_detail(routing_form, "questions")


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
        return detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    flash(_("Question %(key)s was deleted.", key=key), "ok")
    return to_detail(routing_form, "questions")


@bp.post("/routing/<int:form_id>/questions/<int:question_id>/move")
@roles_required(*MANAGERS)
def routing_forms_question_move(form_id: int, question_id: int):
    user = current_user()
    routing_form = get_routing_form(user, form_id)
    question = _question_of(routing_form, question_id)
    try:
        move_question(question, posted_direction(), clock.utcnow(), user)
    except InvalidRequest as exc:
        db.session.rollback()
        return detail_page(routing_form, 400, notice=exc.message)
    db.session.commit()
    return to_detail(routing_form, "questions")
