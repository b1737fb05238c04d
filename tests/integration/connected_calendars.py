"""Helpers for the calendar connection tests: a host connected to a fake provider, the DB dump."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select, text

from scheduling.extensions import db
from scheduling.models import CalendarConnection, CalendarSource, ImportedBusy
from scheduling.operations import calendar_connections as ops
from scheduling.remote import google_calendar, microsoft_calendar, oauth_flow
from scheduling.remote.provider_http import Api

CLIENT_ID = "cid-1"
CLIENT_SECRET = "s3cret-value"
PREFIX = {"google": "GOOGLE", "microsoft": "MICROSOFT"}
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # conftest's FROZEN_NOW: a Monday


def at(day: int, hour: int) -> datetime:
    """January 2030, UTC."""
    return datetime(2030, 1, day, hour, tzinfo=UTC)


def point_at(app, name: str, fake) -> None:
    for key, value in fake.urls.items():
        app.config[f"{PREFIX[name]}_{key.upper()}"] = value
    fake.register_client(
        CLIENT_ID, CLIENT_SECRET, f"http://localhost/admin/calendar-connections/{name}/callback"
    )


def connect_host(app, fake, name: str, host, now) -> CalendarConnection:
    """The state after a completed connect flow (tokens from the fake without the browser)."""
    point_at(app, name, fake)
    ops.save_provider_app(host.organisation, name, CLIENT_ID, CLIENT_SECRET, now)
    provider = ops.provider(name)
    answer = fake.grant(CLIENT_ID, list(provider.scopes))
    tokens = oauth_flow.Tokens(
        answer["access_token"],
        answer["refresh_token"],
        now + timedelta(seconds=int(answer["expires_in"])),
        answer.get("scope", ""),
    )
    api = Api(provider.api_url, tokens.access_token)
    if name == "google":
        calendars = google_calendar.list_calendars(api)
        account = google_calendar.account_email(calendars)
    else:
        calendars = microsoft_calendar.list_calendars(api)
        account = microsoft_calendar.account_email(api, calendars)
    connection = ops.save_connection(host, name, tokens, account, calendars, now)
    db.session.commit()
    return connection


def busy_rows(source_id: int | None = None) -> list[tuple]:
    """(start, end) of the stored busy time, sorted (a fresh read)."""
    db.session.rollback()
    query = select(ImportedBusy.start_at, ImportedBusy.end_at)
    if source_id is not None:
        query = query.where(ImportedBusy.source_id == source_id)
    return sorted(tuple(row) for row in db.session.execute(query))


def primary_source(connection: CalendarConnection) -> CalendarSource:
    db.session.rollback()
    return next(s for s in ops.sources_of(connection) if s.blocks_time)


def database_text() -> str:
    """Every value of every row of every table, as one string (to prove what is not stored)."""
    db.session.rollback()
    parts = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)
