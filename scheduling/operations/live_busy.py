"""At booking time: one live free/busy check of the chosen host's connected calendars.

Bounded by CALENDAR_RECHECK_TIMEOUT_SECONDS in total; on a timeout, an error, a paused mailbox
or an access token about to expire (no refresh here: that takes the row lock) the stored busy
time, already checked by the slot engine, decides. Reads only.
"""

import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarSource
from scheduling.remote import google_calendar, microsoft_calendar
from scheduling.remote.provider_errors import ProviderError
from scheduling.remote.provider_http import Api

from .calendar_connections import TOKEN_PURPOSE, provider

MIN_TOKEN_LIFE = timedelta(seconds=60)


def _open(value: str) -> str:
    from scheduling.security import secretbox

    return secretbox.decrypt(current_app.config["SECRET_KEY"], TOKEN_PURPOSE, value) or ""


def _overlaps(busy, start: datetime, end: datetime, ignore) -> bool:
    for begin, finish in busy:
        if ignore is not None and begin >= ignore[0] and finish <= ignore[1]:
            continue  # the meeting being moved: its own copy
        if begin < end and finish > start:
            return True
    return False


def host_busy_now(
    host_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    ignore: tuple[datetime, datetime] | None = None,
) -> bool:
    """True only when a provider answers in time that the host is busy in [start, end)."""
    connections = list(
        db.session.scalars(
            select(CalendarConnection).where(
                CalendarConnection.host_id == host_id,
                CalendarConnection.status == "connected",
            )
        )
    )
    if not connections:
        return False
    deadline = time.monotonic() + float(current_app.config["CALENDAR_RECHECK_TIMEOUT_SECONDS"])
    for connection in connections:
        if connection.paused_until is not None and connection.paused_until > now:
            continue
        if (
            connection.token_expires_at is None
            or connection.token_expires_at - MIN_TOKEN_LIFE < now
        ):
            continue
        calendars = list(
            db.session.scalars(
                select(CalendarSource.remote_calendar_id).where(
                    CalendarSource.connection_id == connection.id,
                    CalendarSource.blocks_time.is_(True),
                )
            )
        )
        left = deadline - time.monotonic()
        if not calendars or left <= 0.05:
            continue
        api = Api(provider(connection.provider).api_url, _open(connection.access_token_encrypted))
        try:
            if connection.provider == "google":
                busy = google_calendar.free_busy(api, calendars, start, end, left)
            else:
                busy = microsoft_calendar.free_busy(api, connection.account_email, start, end, left)
        except ProviderError:
            continue  # timeout or refusal: the stored data decides
        if _overlaps(busy, start, end, ignore):
            return True
    return False
