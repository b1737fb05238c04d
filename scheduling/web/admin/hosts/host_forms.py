"""Forms for hosts, weekly hours, date overrides and holidays (session CSRF on all of them)."""

import re
from dataclasses import dataclass
from itertools import pairwise

from flask_babel import gettext as _
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
from scheduling.operations.hosts import (
    DAY_MINUTES,
    MAX_INTERVALS_PER_DAY,
    WEEKDAY_KEYS,
    check_intervals,
    format_intervals,
    format_minute,
    parse_intervals,
)

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
        text = str(field.data or "")
        # ASCII digits only ("²" passes isdigit but not int) and within a database integer.
        if text and not (text.isascii() and text.isdigit() and len(text) < 19):
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


# -- weekly hours as rows of time inputs ----------------------------------------------------------

# Empty rows offered under each day's intervals, so the page works without JavaScript.
EMPTY_ROWS = 2
# The marker field the row editor posts; without it the form reads the text fields above.
ROWS_MARKER = "hours_editor"
_ROW_NAME = re.compile("(" + "|".join(WEEKDAY_KEYS) + r")-(\d{1,2})-(start|end)")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?")


@dataclass
class HoursRow:
    """One start/end pair as typed (HH:MM strings), and whether it is the one in error."""

    start: str = ""
    end: str = ""
    invalid: bool = False


def _read_time(text: str, *, is_end: bool) -> int | None:
    """Minutes after midnight from an <input type="time"> value; an end of 00:00 is 24:00."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not is_end)):
        return None
    minute = hours * 60 + minutes
    return DAY_MINUTES if is_end and minute == 0 else minute


class WeekRows:
    """The weekly hours as rows of start/end times per weekday, read back and checked.

    Errors are per weekday (0 = Monday) and use the day's name, so each message says which
    input to fix; nothing is saved while any day has one.
    """

    def __init__(self, days: dict[int, list[HoursRow]]):
        self.days = {weekday: days.get(weekday, []) for weekday in range(7)}
        self.errors: dict[int, list[str]] = {weekday: [] for weekday in range(7)}
        self.intervals: dict[int, list[tuple[int, int]]] = {weekday: [] for weekday in range(7)}

    @classmethod
    def from_week(cls, week: dict[int, list[tuple[int, int]]]) -> "WeekRows":
        """Rows showing stored hours (24:00 shows as 00:00, as a time input can hold it)."""
        return cls(
            {
                weekday: [
                    HoursRow(format_minute(start), format_minute(end % DAY_MINUTES))
                    for start, end in intervals
                ]
                for weekday, intervals in week.items()
            }
        )

    @classmethod
    def from_formdata(cls, formdata) -> "WeekRows":
        """Rows from fields named like "monday-1-start", in the order of their numbers."""
        found: dict[int, dict[int, HoursRow]] = {weekday: {} for weekday in range(7)}
        for name in formdata:
            match = _ROW_NAME.fullmatch(name)
            if match is None:
                continue
            weekday = WEEKDAY_KEYS.index(match[1])
            row = found[weekday].setdefault(int(match[2]), HoursRow())
            setattr(row, match[3], (formdata.get(name) or "").strip()[:20])
        return cls({weekday: [rows[n] for n in sorted(rows)] for weekday, rows in found.items()})

    def validate(self, day_names: dict[int, str]) -> bool:
        """Read every row into minutes; True when every day is fine."""
        for weekday, rows in self.days.items():
            day = day_names[weekday]
            filled = [(n, row) for n, row in enumerate(rows, 1) if row.start or row.end]
            if len(filled) > MAX_INTERVALS_PER_DAY:
                self.errors[weekday].append(
                    _(
                        "%(day)s: at most %(n)s intervals a day, please.",
                        day=day,
                        n=MAX_INTERVALS_PER_DAY,
                    )
                )
                continue
            intervals = []
            for n, row in filled:
                message = self._row_error(row)
                if message:
                    row.invalid = True
                    self.errors[weekday].append(
                        _("%(day)s, interval %(n)s: %(problem)s", day=day, n=n, problem=message)
                    )
                else:
                    intervals.append(
                        (_read_time(row.start, is_end=False), _read_time(row.end, is_end=True))
                    )
            if self.errors[weekday]:
                continue
            try:
                self.intervals[weekday] = check_intervals(intervals)
            except InvalidRequest:
                self.errors[weekday].append(self._overlap_message(day, intervals, rows))
        return not any(self.errors.values())

    @staticmethod
    def _row_error(row: HoursRow) -> str | None:
        if not (row.start and row.end):
            return _("enter both a start and an end, or leave both empty.")
        start = _read_time(row.start, is_end=False)
        end = _read_time(row.end, is_end=True)
        if start is None or end is None:
            return _("write times like 09:00.")
        if end <= start:
            return _("the end must be after the start.")
        return None

    @staticmethod
    def _overlap_message(day: str, intervals, rows: list[HoursRow]) -> str:
        """Name the first two intervals that overlap, and mark their rows."""
        ordered = sorted(intervals)
        for earlier, later in pairwise(ordered):
            if later[0] < earlier[1]:
                for row in rows:
                    read = (_read_time(row.start, is_end=False), _read_time(row.end, is_end=True))
                    row.invalid = read in (earlier, later)
                return _(
                    "%(day)s: %(first)s and %(second)s overlap; join them into one interval.",
                    day=day,
                    first=format_intervals([earlier]),
                    second=format_intervals([later]),
                )
        return _("%(day)s: check the intervals.", day=day)

    def rows_shown(self, weekday: int) -> list[HoursRow]:
        """The day's rows plus EMPTY_ROWS empty ones, up to MAX_INTERVALS_PER_DAY in all."""
        rows = list(self.days[weekday])
        room = max(0, MAX_INTERVALS_PER_DAY - len(rows))
        return rows + [HoursRow() for _unused in range(min(EMPTY_ROWS, room))]

    def week(self) -> dict[int, list[tuple[int, int]]]:
        """Checked hours per weekday (call after validate)."""
        return dict(self.intervals)
