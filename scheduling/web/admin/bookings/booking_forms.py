"""Bookings and blocked time on the admin side: forms and query-string filters (shape checks only).

Whether a time is free is the availability engine's call (operations), never a form's.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, StopValidation

from scheduling.availability import local_day_range
from scheduling.availability.calendar_week import FIRST_DAY, LAST_DAY
from scheduling.availability.timezones import all_zones
from scheduling.models import OUTCOMES, STATUSES, EventType, Host
from scheduling.operations.booking_queries import BookingFilter
from scheduling.operations.bookings import Invitee
from scheduling.operations.calendar_items import location_label
from scheduling.web.i18n import LANGUAGE_NAMES

SEARCH_MAX = 200
OUTCOME_FILTERS = ("none", *OUTCOMES)
DATE_EXAMPLE = "2026-12-31"


def _required(message):
    """Like DataRequired, but quiet when the field already said it could not read the value."""

    def check(form, field):
        if field.data is None and not field.errors:
            raise StopValidation(message)

    return check


def local_instant(day: date, clock_time: time, tz: str) -> datetime:
    """The UTC instant of a wall-clock time in a zone; a skipped time reads as before the change."""
    return datetime.combine(day, clock_time, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def parse_instant(value: str | None) -> datetime | None:
    """An ISO 8601 instant with offset from a slot button, or None if it is not one."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the invitee may see it)"),
        validators=[DataRequired(_l("Please say why the booking is cancelled.")), Length(max=2000)],
    )


class RescheduleForm(FlaskForm):
    # Choices are the free times shown; a time taken since is the domain's answer, not "invalid".
    start = RadioField(
        _l("New time"),
        validate_choice=False,
        validators=[DataRequired(_l("Pick one of the free times."))],
    )
    reason = TextAreaField(
        _l("Reason for the move"),
        validators=[DataRequired(_l("Please say why the booking is moved.")), Length(max=2000)],
    )


class NewBookingForm(FlaskForm):
    start = RadioField(
        _l("Time"),
        validate_choice=False,
        validators=[DataRequired(_l("Pick one of the free times."))],
    )
    name = StringField(
        _l("Invitee name"),
        validators=[DataRequired(_l("Please enter the invitee's name.")), Length(max=200)],
    )
    email = StringField(
        _l("Invitee email"),
        validators=[
            DataRequired(_l("Please enter the invitee's email address.")),
            Length(max=254),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
        ],
    )
    tz = SelectField(_l("Invitee time zone"), validate_choice=True)
    # validate_choice: an unknown code gets this message, never a 500.
    locale = SelectField(
        _l("Invitee language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        default="en",
        validate_choice=False,
        validators=[AnyOf(list(LANGUAGE_NAMES), message=_l("Choose a language from the list."))],
        description=_l("The confirmation, reminders and calendar invitation are in this language."),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=5000)])
    # Shown when the event type offers several locations; the operation checks the choice.
    location = SelectField(_l("Where the meeting happens"), validate_choice=False)
    phone = StringField(
        _l("Invitee phone number"),
        validators=[Optional(), Length(max=40)],
        description=_l("Needed when the host calls the invitee; with its country code."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz.choices = [(zone, zone.replace("_", " ")) for zone in all_zones()]
        self.location.choices = []

    def set_locations(self, offered) -> None:
        """Offer the event type's locations (Location items), the default first."""
        self.location.choices = [
            SelectChoice(
                item.kind,
                f"{location_label(item.kind, gettext)}: {item.detail}"
                if item.detail
                else location_label(item.kind, gettext),
            )
            for item in offered
        ]
        self.offers_invitee_phone = any(item.kind == "invitee_phone" for item in offered)

    def invitee(self) -> Invitee:
        return Invitee(
            name=self.name.data.strip(),
            email=self.email.data.strip(),
            tz=self.tz.data,
            note=(self.note.data or "").strip(),
            locale=self.locale.data,
            location_kind=self.location.data or "",
            phone=(self.phone.data or "").strip(),
        )


class BusyBlockForm(FlaskForm):
    host = SelectField(
        _l("Host"),
        coerce=int,
        invalid_value_message=_l("Choose a host from the list."),
        invalid_choice_message=_l("Choose a host from the list."),
    )
    day = DateField(
        _l("Date"),
        invalid_value_message=_l("Enter the date like 2030-01-31."),
        validators=[_required(_l("Enter the date."))],
    )
    start_time = TimeField(
        _l("From"),
        invalid_value_message=_l("Enter the time like 09:30."),
        validators=[_required(_l("Enter when the block starts."))],
    )
    end_day = DateField(
        _l("Until date (optional, for blocks past midnight)"),
        invalid_value_message=_l("Enter the date like 2030-01-31."),
        validators=[Optional()],
    )
    end_time = TimeField(
        _l("Until"),
        invalid_value_message=_l("Enter the time like 17:00."),
        validators=[_required(_l("Enter when the block ends."))],
    )
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])

    def validate_day(self, field):
        if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
            raise StopValidation(_l("Choose a date between 2000 and 2100."))

    def validate_end_day(self, field):
        if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
            raise StopValidation(_l("Choose a date between 2000 and 2100."))

    def interval(self, tz: str) -> tuple[datetime, datetime]:
        """Start and end as UTC instants, read as wall-clock times in the host's zone."""
        start = local_instant(self.day.data, self.start_time.data, tz)
        end = local_instant(self.end_day.data or self.day.data, self.end_time.data, tz)
        return start, end


def parse_day_range(
    raw_from: str, raw_to: str, errors: list[str]
) -> tuple[date | None, date | None]:
    """The 'from' and 'to' days of a list filter; problems are appended to errors."""
    first = last = None
    try:
        first = parse_day_arg("from", raw_from)
    except ValueError as exc:
        errors.append(str(exc))
    try:
        last = parse_day_arg("to", raw_to)
    except ValueError as exc:
        errors.append(str(exc))
    if first and last and last < first:
        errors.append("The 'from' date must not be after the 'to' date.")
    return first, last


def parse_day_arg(name: str, value: str | None) -> date | None:
    """A local date from the query string, or None when empty; ValueError says what is wrong."""
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"The '{name}' date must look like {DATE_EXAMPLE}.") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"The '{name}' date must be between the years 2000 and 2100.")
    return day


def parse_id_arg(value: str | None) -> int | None:
    """An id from the query string, or None when empty; ValueError for anything else."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


def parse_page(value: str | None) -> int:
    """A page number from 1; ValueError says what is wrong."""
    if value is None or value == "":
        return 1
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise ValueError("The page must be a whole number from 1 up.")
    return int(value)


@dataclass
class BookingFilters:
    """The list's filters as typed (to refill the form and build links) and as a query."""

    values: dict[str, str]
    spec: BookingFilter | None
    errors: list[str] = field(default_factory=list)

    @property
    def link_args(self) -> dict[str, str]:
        """The non-empty filters, for page and export links."""
        return {key: value for key, value in self.values.items() if value}


FILTER_KEYS = ("from", "to", "host", "event_type", "status", "outcome", "q")


def parse_booking_filters(
    args: Mapping[str, str],
    hosts: Sequence[Host],
    event_types: Sequence[EventType],
    tz: str,
) -> BookingFilters:
    """Read the list's filters; hosts are the ones the viewer may see, dates are local to tz."""
    values = {key: (args.get(key) or "").strip()[:300] for key in FILTER_KEYS}
    errors: list[str] = []
    first, last = parse_day_range(values["from"], values["to"], errors)
    host_ids = tuple(host.id for host in hosts)
    try:
        host_id = parse_id_arg(values["host"])
    except ValueError:
        host_id = -1
    if host_id is not None:
        if host_id in host_ids:
            host_ids = (host_id,)
        else:
            errors.append("Choose a host from the list.")
    try:
        event_type_id = parse_id_arg(values["event_type"])
    except ValueError:
        event_type_id = -1
    if event_type_id is not None and event_type_id not in {et.id for et in event_types}:
        errors.append("Choose an event type from the list.")
    if values["status"] and values["status"] not in STATUSES:
        errors.append("The status must be one of: " + ", ".join(STATUSES) + ".")
    if values["outcome"] and values["outcome"] not in OUTCOME_FILTERS:
        errors.append("The outcome must be one of: " + ", ".join(OUTCOME_FILTERS) + ".")
    if len(values["q"]) > SEARCH_MAX:
        errors.append(f"The search text may be at most {SEARCH_MAX} characters.")
    if errors:
        return BookingFilters(values, None, errors)
    start_from = local_day_range(tz, first, first)[0] if first else None
    start_before = local_day_range(tz, last, last)[1] if last else None
    spec = BookingFilter(
        host_ids=host_ids,
        start_from=start_from,
        start_before=start_before,
        event_type_id=event_type_id,
        status=values["status"] or None,
        outcome=values["outcome"] or None,
        search=values["q"],
    )
    return BookingFilters(values, spec)
