"""Dates, times and zones as people read them: the reader's zone, language, region and clock.

The language is Flask-Babel's choice (web/i18n.py); the region comes from the browser's
Accept-Language when it names one for that language (en-US: 12-hour clock, Sunday first), and
`?clock=12|24` overrides the clock. The worker renders emails under force_locale, outside a
request: then the language's default region and clock apply.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time
from flask import has_request_context, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from scheduling.availability.zone_names import zone_label

from .locale_formats import (
    clock_hours,
    first_weekday,
    formatting_locale,
    time_pattern,
    weekday_names,
)


def format_locale() -> str:
    """The locale to format with: the page's language, in the browser's region for it."""
    language = str(get_locale() or "en").split("_")[0]
    if not has_request_context():
        return formatting_locale(language)
    return formatting_locale(language, [tag for tag, _quality in request.accept_languages])


def asked_clock() -> str | None:
    """The clock asked for in the URL (`12` or `24`), else None (the locale's usual one)."""
    if not has_request_context():
        return None
    value = request.args.get("clock")
    return value if value in ("12", "24") else None


def hours() -> int:
    return clock_hours(format_locale(), asked_clock())


def local_time(moment: datetime, tz: str) -> str:
    return format_time(moment, time_pattern(hours()), tzinfo=ZoneInfo(tz), locale=format_locale())


def local_date(moment: datetime, tz: str) -> str:
    return format_date(moment.astimezone(ZoneInfo(tz)).date(), "full", locale=format_locale())


def day_name(day: date) -> str:
    """'Montag, 7. Dezember 2026': a calendar day in full, in the reader's language."""
    return format_date(day, "full", locale=format_locale())


def short_day(day: date, with_year: bool = False) -> str:
    """'Mon 7 Jan' / 'Mon, Jan 7' / 'Mo., 7. Jan.': a compact day in the locale's own order."""
    return format_skeleton("yMMMEd" if with_year else "MMMEd", day, locale=format_locale())


def month_name(first: date) -> str:
    """'Dezember 2026': a month heading (the stand-alone month name)."""
    return format_date(first, "LLLL y", locale=format_locale())


def tz_label(tz: str) -> str:
    return zone_label(tz, format_locale())


def local_datetime(moment: datetime, tz: str) -> str:
    """The full date, time and the zone's label: 'Montag, 7. Dezember 2026, 10:00 (...)'."""
    return f"{local_date(moment, tz)}, {local_time(moment, tz)} ({tz_label(tz)})"


def week_first_day() -> int:
    return first_weekday(format_locale())


def weekday_headers() -> list[dict]:
    """The month grid's column heads from the locale's first weekday: short and full names."""
    first = week_first_day()
    short = weekday_names(format_locale(), first, "abbreviated")
    full = weekday_names(format_locale(), first, "wide")
    return [{"short": s, "full": f} for s, f in zip(short, full, strict=True)]


def clock_field() -> Markup:
    """A hidden `clock` input for GET forms (their action's query string is dropped)."""
    clock = asked_clock()
    if not clock:
        return Markup("")
    return Markup('<input type="hidden" name="clock" value="%s">') % escape(clock)


def _url_defaults(endpoint: str, values: dict) -> None:
    """Carry the visitor's clock choice through every link of the public flow."""
    if not endpoint.startswith("public.") or "clock" in values:
        return
    clock = asked_clock()
    if clock:
        values["clock"] = clock


def register_filters(app) -> None:
    app.add_template_filter(local_time)
    app.add_template_filter(local_date)
    app.add_template_filter(local_datetime)
    app.add_template_filter(day_name)
    app.add_template_filter(month_name)
    app.add_template_filter(short_day)
    app.add_template_filter(tz_label)
    app.add_template_global(weekday_headers)
    app.add_template_global(clock_field)
    app.add_template_global(hours, "clock_hours")
    app.url_defaults(_url_defaults)
