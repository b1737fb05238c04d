"""The test page of a routing form: answer as a visitor would, see the route, store nothing."""

from flask import render_template, request
from flask_babel import gettext as _

from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.operations.routing import evaluate_answers
from scheduling.operations.routing_forms import value_text
from scheduling.operations.routing_rules import targets_of
from scheduling.routing import COUNTRIES
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp
from scheduling.web.admin.nav import MANAGERS
from scheduling.web.answers import answers_from_form

from .routing_form_views import get_routing_form
from .routing_forms import OPERATOR_LABELS, RoutingTestForm


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
