"""Forms for routing forms, questions, rules, the fallback and the test page (shape checks only).

Whether a key is unique, a show-if looks at an earlier question, or a rule's target belongs to
the organisation is decided by operations (routing_questions, routing_rules) and the pure
routing package.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from scheduling import routing as rt
from scheduling.operations.routing_forms import parse_value, value_text
from scheduling.operations.routing_questions import CHOICE_KINDS, QuestionData
from scheduling.operations.routing_rules import MAX_CONDITIONS, RuleData
from scheduling.routing.operators import to_number
from scheduling.web.admin.event_types.event_type_forms import IdSelectField, WholeNumberField

KIND_LABELS = {
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "email": _l("Email address"),
    "phone": _l("Phone number"),
    "single_choice": _l("One choice from a list"),
    "multiple_choice": _l("Several choices from a list"),
    "number": _l("Number"),
    "yes_no": _l("Yes or no"),
    "country": _l("Country"),
}
OPERATOR_LABELS = {
    "equals": _l("equals"),
    "not_equals": _l("does not equal"),
    "one_of": _l("is one of (comma-separated)"),
    "contains": _l("contains"),
    "greater_than": _l("is greater than"),
    "less_than": _l("is less than"),
    "is_empty": _l("is empty"),
    "is_not_empty": _l("is not empty"),
}
ACTION_LABELS = {
    "default": _l("Book the event type's own hosts or team"),
    "team": _l("Route to a team (round-robin)"),
    "host": _l("Route to one host"),
    "event_type": _l("Show a different event type"),
    "disqualify": _l("Disqualify (show a message, no calendar)"),
}
NUMBER_LIMIT = 1e12
MAX_PICKED = 100  # choices picked in one condition row (a choice value has at most 100 chars)
POINTS_MESSAGE = _l("Enter whole points from -1000 to 1000.")
SECONDS_MESSAGE = _l("Enter the delay in whole seconds, from 0 to 60.")


def options(labels: dict) -> list[SelectChoice]:
    """Select options from {value: label}."""
    return [SelectChoice(value, label) for value, label in labels.items()]


def strip(value):
    return value.strip() if isinstance(value, str) else value


class DecimalNumberField(StringField):
    """An optional number (like 10 or 2.5); data is None when empty, unreadable input says so."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            number = to_number(text)
            if number is None or abs(number) > NUMBER_LIMIT:
                raise ValueError(_("Enter a number, like 10 or 2.5."))
            self.data = float(number)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return value_text(self.data)


class NameForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Name the form, e.g. Demo request.")),
            Length(max=200, message=_l("The name may be at most 200 characters.")),
        ],
    )


def _parse_choice_line(number: int, line: str) -> rt.Choice:
    parts = [part.strip() for part in line.split("|")]
    if len(parts) > 3:
        raise ValidationError(
            _("Line %(n)s: write value | label | points, with at most two bars.", n=number)
        )
    value = parts[0]
    label = parts[1] if len(parts) > 1 and parts[1] else value
    if not value:
        raise ValidationError(_("Line %(n)s: enter a value before the first bar.", n=number))
    if "," in value:
        raise ValidationError(
            _(
                "Line %(n)s: a value cannot contain a comma (rules separate values by commas).",
                n=number,
            )
        )
    if len(value) > 100 or len(label) > 200:
        raise ValidationError(
            _("Line %(n)s: at most 100 characters for the value, 200 for the label.", n=number)
        )
    points = 0
    if len(parts) == 3 and parts[2]:
        number_value = to_number(parts[2])
        if not isinstance(number_value, int) or not -1000 <= number_value <= 1000:
            raise ValidationError(
                _("Line %(n)s: points must be a whole number from -1000 to 1000.", n=number)
            )
        points = number_value
    return rt.Choice(value, label, points)


def choice_lines(choices: list[dict]) -> str:
    """Stored choices as the lines people edit."""
    return "\n".join(
        f"{c.get('value', '')} | {c.get('label', '')} | {c.get('points', 0)}" for c in choices
    )


class QuestionForm(FlaskForm):
    label = StringField(
        _l("Question"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the question as visitors will read it.")),
            Length(max=300, message=_l("The question may be at most 300 characters.")),
        ],
    )
    key = StringField(
        _l("Key"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter a key, e.g. company_size.")),
            Regexp(
                r"^[a-z0-9_]{1,60}$",
                message=_l(
                    "Use 1 to 60 lowercase letters, digits and underscores, e.g. company_size."
                ),
            ),
        ],
        description=_l("The stable name rules and exports use; lowercase, e.g. company_size."),
    )
    kind = SelectField(
        _l("Kind of answer"),
        choices=options(KIND_LABELS),
        invalid_choice_message=_l("Choose a kind of answer from the list."),
    )
    required = BooleanField(_l("An answer is required"))
    help_text = StringField(
        _l("Help text (optional)"),
        filters=[strip],
        validators=[Length(max=500, message=_l("The help text may be at most 500 characters."))],
    )
    purpose = StringField(
        _l("Why we ask"),
        filters=[strip],
        validators=[
            DataRequired(
                _l(
                    "Say why you ask: visitors read it as “Why we ask”, and the privacy "
                    "documents list it."
                )
            ),
            Length(max=500, message=_l("The purpose may be at most 500 characters.")),
        ],
        description=_l("Shown to visitors under the question and listed in the privacy documents."),
    )
    choices = TextAreaField(
        _l("Choices (for choice questions)"),
        validators=[Length(max=10000, message=_l("The choices may be at most 10000 characters."))],
        description=_l(
            "One per line: value | label | points, e.g. “51_200 | 51 to 200 people | 10”. "
            "The label defaults to the value, points to 0."
        ),
    )
    min_value = DecimalNumberField(_l("Smallest number allowed (optional)"))
    max_value = DecimalNumberField(_l("Largest number allowed (optional)"))
    points_yes = WholeNumberField(
        _l("Points for yes"), validators=[Optional(), NumberRange(-1000, 1000, POINTS_MESSAGE)]
    )
    points_no = WholeNumberField(
        _l("Points for no"), validators=[Optional(), NumberRange(-1000, 1000, POINTS_MESSAGE)]
    )
    show_if_question = SelectField(_l("Only ask if the answer to"), validate_choice=False)
    show_if_operator = SelectField(
        _l("Comparison"),
        choices=options(OPERATOR_LABELS),
        default="equals",
        invalid_choice_message=_l("Choose a comparison from the list."),
    )
    show_if_value = StringField(
        _l("Value"),
        filters=[strip],
        validators=[Length(max=500, message=_l("The value may be at most 500 characters."))],
    )

    def __init__(self, *args, earlier: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.show_if_question.choices = [SelectChoice("", _("(always ask this question)"))] + [
            SelectChoice(key, f"{label} ({key})") for key, label in earlier
        ]

    def validate_choices(self, field) -> None:
        """Read the lines of a choice question into `field.parsed` (other kinds ignore them)."""
        field.parsed = ()
        if self.kind.data not in CHOICE_KINDS:
            return
        lines = [line for line in (field.data or "").splitlines() if line.strip()]
        field.parsed = tuple(
            _parse_choice_line(number, line) for number, line in enumerate(lines, start=1)
        )

    def to_data(self) -> QuestionData:
        """The checked values as the operation takes them."""
        show_if = None
        if self.show_if_question.data:
            operator = self.show_if_operator.data
            show_if = rt.ShowIf(
                self.show_if_question.data,
                operator,
                parse_value(operator, self.show_if_value.data or ""),
            )
        return QuestionData(
            key=self.key.data,
            label=self.label.data,
            kind=self.kind.data,
            required=bool(self.required.data),
            help_text=self.help_text.data or "",
            purpose=self.purpose.data or "",
            choices=getattr(self.choices, "parsed", ()),
            min_value=self.min_value.data,
            max_value=self.max_value.data,
            points_yes=self.points_yes.data or 0,
            points_no=self.points_no.data or 0,
            show_if=show_if,
        )

    def fill_from(self, question) -> None:
        """Put a stored question into the fields (GET of the edit page)."""
        self.choices.data = choice_lines(question.choices or [])
        show_if = question.show_if or {}
        self.show_if_question.data = show_if.get("question", "")
        self.show_if_operator.data = show_if.get("operator", "equals")
        self.show_if_value.data = value_text(show_if.get("value"))


class ActionForm(FlaskForm):
    """What happens to a lead: the kind, its target, or the disqualification message."""

    action_kind = RadioField(
        _l("Then"),
        choices=[SelectChoice(kind, ACTION_LABELS[kind]) for kind in rt.ACTION_KINDS],
        invalid_choice_message=_l("Choose what happens."),
    )
    pool_id = IdSelectField(_l("Team"), message=_l("Choose a team from the list."))
    host_id = IdSelectField(_l("Host"), message=_l("Choose a host from the list."))
    event_type_id = IdSelectField(
        _l("Event type"), message=_l("Choose an event type from the list.")
    )
    message = TextAreaField(
        _l("Message for disqualified visitors"),
        validators=[Length(max=2000, message=_l("The message may be at most 2000 characters."))],
    )
    redirect_url = StringField(
        _l("Then send them to (optional)"),
        filters=[strip],
        validators=[Length(max=500, message=_l("The address may be at most 500 characters."))],
        description=_l("An address starting with https:// or http://, e.g. your resources page."),
    )
    redirect_seconds = WholeNumberField(
        _l("After (seconds)"), default=5, description=_l("From 0 to 60 seconds.")
    )

    def set_targets(self, pools, hosts, event_types) -> None:
        """Offer the organisation's teams, hosts and event types."""
        none = [SelectChoice("", _("Choose ..."))]
        self.pool_id.choices = none + [SelectChoice(str(p.id), p.name) for p in pools]
        self.host_id.choices = none + [
            SelectChoice(str(h.id), h.name if h.active else _("%(name)s (inactive)", name=h.name))
            for h in hosts
        ]
        self.event_type_id.choices = none + [SelectChoice(str(e.id), e.title) for e in event_types]

    def validate_redirect_seconds(self, field) -> None:
        # Only a disqualification redirects; other kinds ignore whatever is in the field.
        if self.action_kind.data != "disqualify":
            return
        if field.data is None or not 0 <= field.data <= 60:
            raise ValidationError(SECONDS_MESSAGE)

    def action(self) -> rt.Action:
        kind = self.action_kind.data
        target = {
            "team": self.pool_id.data,
            "host": self.host_id.data,
            "event_type": self.event_type_id.data,
        }.get(kind)
        seconds = self.redirect_seconds.data
        return rt.Action(
            kind=kind,
            target_id=target,
            message=self.message.data or "",
            redirect_url=self.redirect_url.data or "",
            redirect_seconds=seconds if seconds is not None else 5,
        )

    def fill_action(self, kind: str, target_id, message, url, seconds) -> None:
        self.action_kind.data = kind
        field = {"team": self.pool_id, "host": self.host_id, "event_type": self.event_type_id}
        if kind in field:
            field[kind].data = target_id
        self.message.data = message
        self.redirect_url.data = url
        self.redirect_seconds.data = seconds


class FallbackForm(ActionForm):
    action_kind = RadioField(
        _l("When no rule matches"),
        choices=[SelectChoice(kind, ACTION_LABELS[kind]) for kind in ("default", *rt.ACTION_KINDS)],
        invalid_choice_message=_l("Choose what happens."),
    )


class ConditionForm(Form):
    """One row of a rule's conditions; a row without a field is blank and ignored."""

    field = SelectField(_l("Question"), validate_choice=False)
    operator = SelectField(
        _l("Comparison"), choices=options(OPERATOR_LABELS), validate_choice=False
    )
    value = StringField(
        _l("Value"),
        filters=[strip],
        validators=[Length(max=500, message=_l("The value may be at most 500 characters."))],
    )
    # The choices of choice questions, shown by label and posted by value; the template renders
    # them grouped by question. When any is picked it wins over the typed value.
    choices = SelectMultipleField(_l("Choices"), choices=[], validate_choice=False)

    def picked_value(self) -> object:
        """The comparison value: the picked choices (a list for "is one of"), else the text."""
        picked = [item for item in self.choices.data or [] if item]
        if picked:
            if self.operator.data == "one_of":
                return picked
            return picked[0]
        return parse_value(self.operator.data, self.value.data or "")


class RuleForm(ActionForm):
    name = StringField(
        _l("Rule name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give the rule a name, e.g. Enterprise to senior closers.")),
            Length(max=200, message=_l("The name may be at most 200 characters.")),
        ],
    )
    match = RadioField(
        _l("The rule matches when"),
        choices=[
            SelectChoice("all", _l("all conditions hold")),
            SelectChoice("any", _l("any condition holds")),
        ],
        default="all",
        invalid_choice_message=_l("Choose whether all or any of the conditions must hold."),
    )
    conditions = FieldList(FormField(ConditionForm))

    def set_fields(self, questions) -> None:
        """Offer the form's question keys and the score in every condition row."""
        choices = [SelectChoice("", _("(no condition)"))]
        choices += [SelectChoice(q.key, f"{q.label} ({q.key})") for q in questions]
        choices.append(SelectChoice("score", _("Lead score")))
        for entry in self.conditions:
            entry.form.field.choices = choices

    def add_blank_rows(self, count: int) -> None:
        """Empty rows to fill in (without JavaScript), never more than the rule may have."""
        target = min(len(self.conditions) + count, MAX_CONDITIONS)
        while len(self.conditions) < target:
            self.conditions.append_entry()

    def validate_conditions(self, field) -> None:
        filled = 0
        for number, entry in enumerate(field.entries, start=1):
            row = entry.form
            picked = [item for item in row.choices.data or [] if item]
            if len(picked) > MAX_PICKED or any(len(item) > 100 for item in picked):
                raise ValidationError(
                    _(
                        "Row %(n)s: pick at most %(max)s choices from the list.",
                        n=number,
                        max=MAX_PICKED,
                    )
                )
            if row.field.data:
                filled += 1
                if len(picked) > 1 and row.operator.data != "one_of":
                    raise ValidationError(
                        _(
                            "Row %(n)s: pick one choice for this comparison, or compare with "
                            "“is one of” to pick several.",
                            n=number,
                        )
                    )
            elif row.value.data or picked:
                raise ValidationError(
                    _(
                        "Row %(n)s: choose a question or the lead score, or clear its value.",
                        n=number,
                    )
                )
        if filled > MAX_CONDITIONS:
            raise ValidationError(_("A rule can have at most %(n)s conditions.", n=MAX_CONDITIONS))

    def to_data(self) -> RuleData:
        conditions = tuple(
            rt.Condition(
                entry.form.field.data,
                entry.form.operator.data,
                entry.form.picked_value(),
            )
            for entry in self.conditions
            if entry.form.field.data
        )
        return RuleData(
            name=self.name.data or "",
            match=self.match.data,
            conditions=conditions,
            action=self.action(),
        )


class RoutingTestForm(FlaskForm):
    """Only the CSRF token: the answers are read like the public questions page reads them."""
