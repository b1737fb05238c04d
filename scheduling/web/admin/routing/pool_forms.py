"""Forms for teams (round-robin pools), their members and manual credits (shape checks only)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from scheduling.operations.pools import ADJUST_LIMIT, MemberData, PoolData
from scheduling.web.admin.event_types.event_type_forms import IdSelectField, WholeNumberField
from scheduling.web.admin.hosts.host_forms import check_zone, zone_choices

from .routing_forms import strip

CAP_MESSAGE = _l("Leave the cap empty for no cap, or enter 1 to 1000.")
PERIOD_LABELS = {
    "day": _l("Day: counts start again every day"),
    "week": _l("Week: counts start again every Monday"),
    "month": _l("Month: counts start again on the 1st"),
}


class PoolForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Name the team, e.g. Closers DACH.")),
            Length(max=200, message=_l("The name may be at most 200 characters.")),
        ],
    )
    period = RadioField(
        _l("Fairness period"),
        choices=[SelectChoice(key, label) for key, label in PERIOD_LABELS.items()],
        default="week",
        invalid_choice_message=_l("Choose a day, a week or a month."),
    )
    tz = SelectField(
        _l("Time zone of the period"),
        validate_choice=False,
        validators=[check_zone],
        description=_l("Where the team's days, weeks and months start."),
    )
    credit_no_shows = BooleanField(_l("Give no-shows back: a no-show does not count as a call had"))
    equal_distribution_gap = WholeNumberField(
        _l("Equal distribution (optional)"),
        validators=[
            Optional(),
            NumberRange(
                0, 1000, _l("Leave empty for off, or enter a number of calls from 0 to 1000.")
            ),
        ],
        description=_l(
            "Hide a member's times while they are more than this many calls ahead of the "
            "member furthest behind; empty means off."
        ),
    )

    def __init__(self, *args, current_tz: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz.choices = zone_choices(current_tz)

    def to_data(self) -> PoolData:
        return PoolData(
            name=self.name.data or "",
            period=self.period.data,
            tz=self.tz.data,
            credit_no_shows=bool(self.credit_no_shows.data),
            equal_distribution_gap=self.equal_distribution_gap.data,
        )


class MemberForm(FlaskForm):
    """A member's share and limits (editing an existing member)."""

    weight = WholeNumberField(
        _l("Weight"),
        default=1,
        validators=[
            InputRequired(_l("Enter a weight from 0 to 100 (0 takes no calls).")),
            NumberRange(0, 100, _l("Enter a weight from 0 to 100 (0 takes no calls).")),
        ],
        description=_l("A member with weight 2 gets twice the calls of one with weight 1."),
    )
    priority = WholeNumberField(
        _l("Priority"),
        default=0,
        validators=[
            InputRequired(_l("Enter a priority from -100 to 100.")),
            NumberRange(-100, 100, _l("Enter a priority from -100 to 100.")),
        ],
        description=_l("Breaks ties: the higher number gets the call."),
    )
    daily_cap = WholeNumberField(
        _l("Most calls per day (optional)"),
        validators=[Optional(), NumberRange(1, 1000, CAP_MESSAGE)],
    )
    weekly_cap = WholeNumberField(
        _l("Most calls per week (optional)"),
        validators=[Optional(), NumberRange(1, 1000, CAP_MESSAGE)],
    )
    active = BooleanField(_l("Active: takes calls from this team"), default=True)

    def to_data(self) -> MemberData:
        return MemberData(
            weight=self.weight.data,
            priority=self.priority.data,
            daily_cap=self.daily_cap.data,
            weekly_cap=self.weekly_cap.data,
            active=bool(self.active.data),
        )


class AddMemberForm(MemberForm):
    host = IdSelectField(
        _l("Host"),
        validators=[InputRequired(_l("Choose a host to add."))],
        message=_l("Choose a host of your organisation from the list."),
    )

    def set_hosts(self, hosts) -> None:
        self.host.choices = [SelectChoice("", _("Choose a host ..."))] + [
            SelectChoice(str(h.id), h.name if h.active else _("%(name)s (inactive)", name=h.name))
            for h in hosts
        ]


class AdjustForm(FlaskForm):
    member = IdSelectField(
        _l("Member"),
        validators=[InputRequired(_l("Choose a member of this team."))],
        message=_l("Choose a member of this team."),
    )
    amount = WholeNumberField(
        _l("Change"),
        validators=[InputRequired(_l("Enter a whole number from -10 to 10, not 0."))],
        description=_l("+1 counts one call more (their next turn comes later); -1 gives one back."),
    )
    reason = StringField(
        _l("Reason"),
        filters=[strip],
        validators=[
            DataRequired(_l("Say why, e.g. took over a call for a colleague.")),
            Length(max=300, message=_l("The reason may be at most 300 characters.")),
        ],
    )

    def set_members(self, members) -> None:
        self.member.choices = [SelectChoice("", _("Choose a member ..."))] + [
            SelectChoice(str(m.host_id), m.host.name) for m in members
        ]

    def validate_amount(self, field) -> None:
        if field.data is None or field.data == 0 or abs(field.data) > ADJUST_LIMIT:
            raise ValidationError(_("Enter a whole number from -10 to 10, not 0."))
