"""Forms for hosts, weekly hours, date overrides and holidays (session CSRF on all of them)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from scheduling.availability.timezones import all_zones, is_valid_zone
from scheduling.errors import InvalidRequest
from scheduling.operations.hosts import WEEKDAY_KEYS, parse_intervals

HOURS_HINT = _l(
    'Several intervals separated by commas, e.g. "09:00-12:00, 13:00-17:30"; '
    "24:00 may end the last one. Leave empty for a day off."
)


def zone_choices(current: str | None = None) -> list[SelectChoice]:
    """Every selectable zone, plus the stored one when it is an alias outside the list."""
    zones = list(all_zones())
    if current and current not in zones and is_valid_zone(current):
        zones.insert(0, current)
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in zones]


def check_zone(form, field) -> None:
    if not is_valid_zone(field.data or ""):
        raise ValidationError(_l("Pick a time zone from the list."))


class HoursText:
    """Validator for interval text; leaves the parsed minute pairs on `field.intervals`."""

    def __call__(self, form, field) -> None:
        field.intervals = []
        try:
            field.intervals = parse_intervals(field.data)
        except InvalidRequest as exc:
            raise ValidationError(exc.message) from None


def attach_error(form, exc: InvalidRequest) -> bool:
    """Show a domain error on the form field it names; False when it names none of them."""
    for name in exc.fields:
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, exc.message]
            return True
    return False


class HostForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the host's name.")), Length(max=200)]
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter the host's email address.")),
            Length(max=254),
            Email(_l("Enter a valid email address, e.g. name@example.com.")),
        ],
    )
    tz = SelectField(_l("Time zone"), validate_choice=False, validators=[check_zone])

    def __init__(self, *args, current_tz: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz.choices = zone_choices(current_tz)


def _day_field(label):
    return StringField(label, validators=[Length(max=300), HoursText()], description=HOURS_HINT)


class AvailabilityForm(FlaskForm):
    tz = SelectField(_l("Time zone"), validate_choice=False, validators=[check_zone])
    monday = _day_field(_l("Monday"))
    tuesday = _day_field(_l("Tuesday"))
    wednesday = _day_field(_l("Wednesday"))
    thursday = _day_field(_l("Thursday"))
    friday = _day_field(_l("Friday"))
    saturday = _day_field(_l("Saturday"))
    sunday = _day_field(_l("Sunday"))

    def __init__(self, *args, current_tz: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz.choices = zone_choices(current_tz)

    def day_fields(self):
        return [self[key] for key in WEEKDAY_KEYS]

    def week(self) -> dict[int, list[tuple[int, int]]]:
        """Parsed hours per weekday (call after validate)."""
        return {weekday: self[key].intervals for weekday, key in enumerate(WEEKDAY_KEYS)}


class DayField(DateField):
    """A date input (YYYY-MM-DD) that says how to write a date it cannot read."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the date as YYYY-MM-DD, e.g. 2030-01-14.")) from None


class OverrideForm(FlaskForm):
    day = DayField(_l("Date"), validators=[InputRequired(_l("Pick a date."))])
    day_off = BooleanField(_l("Day off (no hours at all)"))
    hours = StringField(
        _l("Hours on that date"),
        validators=[Length(max=300)],
        description=_l('e.g. "10:00-14:00"; leave empty when it is a day off.'),
    )

    def validate_hours(self, field) -> None:
        """Hours are read unless the date is a day off; then whatever was typed is ignored."""
        field.intervals = []
        if self.day_off.data:
            return
        HoursText()(self, field)
        if not field.intervals:
            raise ValidationError(_l('Enter the hours for that date, or tick "Day off".'))


class HolidayForm(FlaskForm):
    day = DayField(_l("Date"), validators=[InputRequired(_l("Pick a date."))])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Name the holiday, e.g. New Year's Day.")), Length(max=200)],
    )


class AbsenceForm(FlaskForm):
    first_day = DayField(_l("First day"), validators=[InputRequired(_l("Pick the first day."))])
    last_day = DayField(_l("Last day"), validators=[InputRequired(_l("Pick the last day."))])
    note = StringField(
        _l("Note"),
        validators=[Length(max=200)],
        description=_l("e.g. Vacation; shown in the preview."),
    )
    delegate_id = SelectField(_l("Colleague who takes over"), validate_choice=False)

    def __init__(self, *args, delegates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.delegate_id.choices = [("", _l("Nobody (no slots on those dates)"))] + [
            (str(host.id), host.name) for host in delegates
        ]

    def validate_delegate_id(self, field) -> None:
        if field.data and not str(field.data).isdigit():
            raise ValidationError(_l("Pick a colleague from the list."))

    def delegate(self) -> int | None:
        return int(self.delegate_id.data) if self.delegate_id.data else None


class HolidayImportForm(FlaskForm):
    country = SelectField(_l("Country"), validate_choice=False)
    subdivision = SelectField(_l("Region"), validate_choice=False)
    first_year = IntegerField(
        _l("From year"), validators=[InputRequired(_l("Enter the first year, e.g. 2027."))]
    )
    last_year = IntegerField(
        _l("To year"), validators=[InputRequired(_l("Enter the last year, e.g. 2028."))]
    )
