"""Google / Microsoft calendar connections: the organisation's OAuth apps, hosts' mailboxes,
their calendars, and the encrypted tokens (refreshed before expiry under a row lock).

Flush only, except where a function says it needs the caller to commit (a refreshed token must
be saved before the lock is let go, or a rotated Microsoft refresh token would be lost).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import (
    PROVIDERS,
    CalendarConnection,
    CalendarCopy,
    CalendarProviderApp,
    CalendarSource,
    Host,
    ImportedBusy,
    Organisation,
)
from scheduling.remote import oauth_flow
from scheduling.remote.busy_changes import RemoteCalendar
from scheduling.remote.provider_errors import NeedsReconnect, ProviderError
from scheduling.security import secretbox

from . import outbox
from .locking import acquire_booking_lock

APP_SECRET_PURPOSE = "calendar-provider-app-secret"  # noqa: S105 (a key-derivation label)
TOKEN_PURPOSE = "calendar-connection-token"  # noqa: S105
PROVIDER_NAMES = {"google": "Google Calendar", "microsoft": "Microsoft 365 / Outlook"}
TOKEN_TIMEOUT = 10.0


def provider(name: str) -> oauth_flow.Provider:
    """The provider's endpoints from the app's configuration."""
    config = current_app.config
    if name == "google":
        return oauth_flow.google(
            config["GOOGLE_AUTHORIZE_URL"],
            config["GOOGLE_TOKEN_URL"],
            config["GOOGLE_API_URL"],
            config["GOOGLE_REVOKE_URL"],
        )
    if name == "microsoft":
        return oauth_flow.microsoft(
            config["MICROSOFT_AUTHORIZE_URL"],
            config["MICROSOFT_TOKEN_URL"],
            config["MICROSOFT_API_URL"],
        )
    raise NotFound("No such calendar provider.")


def _secret_key() -> str:
    return current_app.config["SECRET_KEY"]


def _seal(value: str, purpose: str = TOKEN_PURPOSE) -> str:
    return secretbox.encrypt(_secret_key(), purpose, value) if value else ""


def _open(value: str, purpose: str = TOKEN_PURPOSE) -> str:
    return (secretbox.decrypt(_secret_key(), purpose, value) or "") if value else ""


# -- the organisation's apps --------------------------------------------------------------------


def provider_app(organisation_id: int, name: str) -> CalendarProviderApp | None:
    return db.session.scalar(
        select(CalendarProviderApp).where(
            CalendarProviderApp.organisation_id == organisation_id,
            CalendarProviderApp.provider == name,
        )
    )


def save_provider_app(
    organisation: Organisation, name: str, client_id: str, client_secret: str, now: datetime
) -> CalendarProviderApp:
    """Set the client id and (when given) secret; an empty secret keeps the saved one."""
    if name not in PROVIDERS:
        raise NotFound("No such calendar provider.")
    client_id = client_id.strip()
    app = provider_app(organisation.id, name)
    errors = {}
    if not client_id:
        errors["client_id"] = "Enter the client id of the app registered at the provider."
    if app is None and not client_secret.strip():
        errors["client_secret"] = "Enter the client secret."  # noqa: S105 (a message)
    if any(ord(char) < 33 for char in client_id + client_secret.strip()):
        errors["client_id"] = "The client id and secret contain no spaces or line breaks."
    if errors:
        raise InvalidRequest("Please correct the marked fields.", errors)
    if app is None:
        app = CalendarProviderApp(organisation_id=organisation.id, provider=name)
        db.session.add(app)
    app.client_id = client_id
    if client_secret.strip():
        app.client_secret_encrypted = _seal(client_secret.strip(), APP_SECRET_PURPOSE)
    app.updated_at = now
    db.session.flush()
    return app


def remove_provider_app(organisation: Organisation, name: str) -> bool:
    """Forget the app (existing connections stop syncing until it is configured again)."""
    app = provider_app(organisation.id, name)
    if app is None:
        return False
    db.session.delete(app)
    db.session.flush()
    return True


def oauth_client(organisation_id: int, name: str, redirect_uri: str) -> oauth_flow.Client:
    app = provider_app(organisation_id, name)
    secret = _open(app.client_secret_encrypted, APP_SECRET_PURPOSE) if app else ""
    if app is None or not secret:
        raise InvalidRequest(
            "%(provider)s is not set up for this organisation: an admin enters its client id "
            "and secret under Settings first.",
            provider=PROVIDER_NAMES.get(name, name),
        )
    return oauth_flow.Client(app.client_id, secret, redirect_uri)


# -- connections --------------------------------------------------------------------------------


def connections_of(host: Host) -> list[CalendarConnection]:
    return list(
        db.session.scalars(
            select(CalendarConnection)
            .where(CalendarConnection.host_id == host.id)
            .order_by(CalendarConnection.id)
        )
    )


def sources_of(connection: CalendarConnection) -> list[CalendarSource]:
    return list(
        db.session.scalars(
            select(CalendarSource)
            .where(CalendarSource.connection_id == connection.id)
            .order_by(CalendarSource.write_back.desc(), CalendarSource.name, CalendarSource.id)
        )
    )


def page_rows(host: Host) -> dict:
    """What the host's calendars page shows: each mailbox with its calendars, and which
    providers the organisation has set up (only those offer a Connect button)."""
    return {
        "rows": [
            {
                "connection": connection,
                "label": PROVIDER_NAMES[connection.provider],
                "sources": sources_of(connection),
            }
            for connection in connections_of(host)
        ],
        "providers": [
            {"name": name, "label": PROVIDER_NAMES[name], "scopes": provider(name).scopes}
            for name in PROVIDERS
            if provider_app(host.organisation_id, name) is not None
        ],
    }


def hosts_needing_reconnect(host_ids: list[int]) -> set[int]:
    """Which of these hosts have a mailbox to connect again (for lists of hosts)."""
    if not host_ids:
        return set()
    return set(
        db.session.scalars(
            select(CalendarConnection.host_id).where(
                CalendarConnection.host_id.in_(host_ids),
                CalendarConnection.status == "needs_reconnect",
            )
        )
    )


def connection_of(host: Host, connection_id: int) -> CalendarConnection:
    connection = db.session.get(CalendarConnection, connection_id)
    if connection is None or connection.host_id != host.id:
        raise NotFound("No such calendar connection.")
    return connection


def _store_tokens(connection: CalendarConnection, tokens: oauth_flow.Tokens, now) -> None:
    connection.access_token_encrypted = _seal(tokens.access_token)
    # Always the newest one: Microsoft rotates it on every refresh and the old one then fails.
    connection.refresh_token_encrypted = _seal(tokens.refresh_token)
    connection.token_expires_at = tokens.expires_at
    if tokens.scope:
        connection.scopes = tokens.scope[:2000]
    connection.updated_at = now


def save_connection(
    host: Host,
    name: str,
    tokens: oauth_flow.Tokens,
    account_email: str,
    calendars: list[RemoteCalendar],
    now: datetime,
) -> CalendarConnection:
    """After the callback: store the mailbox (or renew it) and list its calendars.

    A new mailbox's primary calendar counts as busy; the others are listed, switched off.
    """
    connection = db.session.scalar(
        select(CalendarConnection).where(
            CalendarConnection.host_id == host.id,
            CalendarConnection.provider == name,
            CalendarConnection.account_email == account_email,
        )
    )
    if connection is None:
        connection = CalendarConnection(
            organisation_id=host.organisation_id,
            host_id=host.id,
            provider=name,
            account_email=account_email,
            scopes=" ".join(provider(name).scopes),
            created_at=now,
        )
        db.session.add(connection)
    _store_tokens(connection, tokens, now)
    connection.status = "connected"
    connection.status_message = ""
    connection.needs_reconnect_since = None
    connection.paused_until = None
    db.session.flush()
    known = {source.remote_calendar_id: source for source in sources_of(connection)}
    for calendar in calendars:
        source = known.pop(calendar.remote_id, None)
        if source is None:
            source = CalendarSource(
                host_id=host.id,
                kind=name,
                connection_id=connection.id,
                remote_calendar_id=calendar.remote_id,
                url="",
                blocks_time=calendar.primary,
                write_back=False,
                created_at=now,
                failures=0,
            )
            db.session.add(source)
        source.name = calendar.name
        source.next_attempt_at = now
    for gone in known.values():  # deleted at the provider meanwhile
        _delete_source(gone)
    db.session.flush()
    return connection


def _delete_source(source: CalendarSource) -> None:
    db.session.execute(delete(ImportedBusy).where(ImportedBusy.source_id == source.id))
    db.session.execute(delete(CalendarCopy).where(CalendarCopy.source_id == source.id))
    db.session.delete(source)


def revoke_grant(connection: CalendarConnection) -> bool:
    """Withdraw the app's access at the provider where it offers that (Google); best effort."""
    return oauth_flow.revoke(
        provider(connection.provider), _open(connection.refresh_token_encrypted)
    )


def disconnect(connection: CalendarConnection) -> None:
    """Forget the mailbox, its tokens, calendars and busy time (events already written stay)."""
    for source in sources_of(connection):
        _delete_source(source)
    db.session.flush()
    db.session.delete(connection)
    db.session.flush()


@dataclass(frozen=True)
class CalendarChoice:
    busy_ids: frozenset[int]
    write_id: int | None


def choose_calendars(connection: CalendarConnection, choice: CalendarChoice, now) -> None:
    """Which calendars count as busy; which one (at most one per host) receives bookings."""
    sources = {source.id: source for source in sources_of(connection)}
    unknown = (set(choice.busy_ids) | ({choice.write_id} - {None})) - set(sources)
    if unknown:
        raise InvalidRequest("One of the chosen calendars does not belong to this connection.")
    if choice.write_id is not None:
        # One target per host, across all of their connections.
        db.session.execute(
            update(CalendarSource)
            .where(
                CalendarSource.host_id == connection.host_id,
                CalendarSource.connection_id.is_not(None),
                CalendarSource.id != choice.write_id,
            )
            .values(write_back=False)
            .execution_options(synchronize_session="fetch")
        )
    for source_id, source in sources.items():
        blocks = source_id in choice.busy_ids
        if blocks and not source.blocks_time:
            source.sync_state = ""  # read in full from now on
            source.next_attempt_at = now
        if not blocks and source.blocks_time:
            db.session.execute(delete(ImportedBusy).where(ImportedBusy.source_id == source.id))
            source.busy_count = 0
            source.sync_state = ""
            source.covered_until = None
        source.blocks_time = blocks
        source.write_back = source_id == choice.write_id
    db.session.flush()


# -- tokens -------------------------------------------------------------------------------------


def redirect_uri(name: str) -> str:
    """The callback address registered at the provider (one per provider, not per host)."""
    from flask import url_for

    base = current_app.config["PUBLIC_URL"].rstrip("/")
    path = url_for("admin.calendar_connection_callback", provider=name)
    return (
        f"{base}{path}"
        if base
        else url_for("admin.calendar_connection_callback", provider=name, _external=True)
    )


def locked(model, row_id: int):
    """The row, locked for this transaction (SQLite: the write lock; PostgreSQL: FOR UPDATE)."""
    acquire_booking_lock(db.session)
    return db.session.scalar(
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def mark_needs_reconnect(connection: CalendarConnection, message: str, now: datetime) -> None:
    """Stop using the mailbox, keep its busy time, tell the host once by email."""
    if connection.status == "needs_reconnect":
        return
    connection.status = "needs_reconnect"
    connection.status_message = message[:2000]
    connection.needs_reconnect_since = now
    connection.updated_at = now
    host = connection.host
    outbox.enqueue_once(
        connection.organisation_id,
        "email",
        "calendar.reconnect",
        {"template": "calendar.reconnect", "connection_id": connection.id, "to": host.email},
        f"calendar-reconnect:{connection.id}:{now.isoformat()}",
        now,
    )
    db.session.flush()


def fresh_access_token(connection_id: int, now: datetime, force: bool = False) -> str:
    """A usable access token, refreshed when it expires within the margin (or `force`).

    Takes the connection's row lock and calls the token endpoint while holding it, so two
    workers never spend the same (rotating) refresh token; the caller commits right after.
    Raises NeedsReconnect (the connection is marked and the host emailed: commit that too),
    or another ProviderError for a later try.
    """
    margin = timedelta(seconds=int(current_app.config["CALENDAR_TOKEN_REFRESH_MARGIN_SECONDS"]))
    connection = locked(CalendarConnection, connection_id)
    if connection is None:
        raise NotFound("No such calendar connection.")
    if connection.status != "connected":
        raise NeedsReconnect(connection.status_message or "The connection must be renewed.")
    access = _open(connection.access_token_encrypted)
    expires = connection.token_expires_at
    if access and expires is not None and expires - margin > now and not force:
        return access
    refresh_token = _open(connection.refresh_token_encrypted)
    try:
        if not refresh_token:
            raise NeedsReconnect("The stored refresh token cannot be read (the app key changed).")
        # A refresh sends no redirect_uri, so none is needed (the worker has no request).
        client = oauth_client(connection.organisation_id, connection.provider, "")
        tokens = oauth_flow.refresh(
            provider(connection.provider), client, refresh_token, now, TOKEN_TIMEOUT
        )
    except NeedsReconnect as exc:
        mark_needs_reconnect(connection, exc.message, now)
        raise
    except InvalidRequest as exc:
        raise ProviderError(exc.message) from None
    _store_tokens(connection, tokens, now)
    db.session.flush()
    return tokens.access_token
