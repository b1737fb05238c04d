"""Dates and times as people read them, in the reader's zone and language (Jinja filters)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask_babel import get_locale


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def local_time(moment: datetime, tz: str) -> str:
    return format_time(moment, "HH:mm", tzinfo=ZoneInfo(tz), locale=get_locale())


def local_date(moment: datetime, tz: str) -> str:
    return format_date(_local(moment, tz).date(), "full", locale=get_locale())


def local_datetime(moment: datetime, tz: str) -> str:
    return format_datetime(
        moment, "EEEE d MMMM y, HH:mm (zzzz)", tzinfo=ZoneInfo(tz), locale=get_locale()
    )


def register_filters(app) -> None:
    app.add_template_filter(local_time)
    app.add_template_filter(local_date)
    app.add_template_filter(local_datetime)
