"""Connecting a host's Google / Microsoft calendar: start, callback, choose, sync, disconnect.

Start (POST, session CSRF) keeps `state`, the PKCE verifier and the host in the signed session
and sends the browser to the provider; the callback accepts only that state, once, within
STATE_LIFETIME, for a host the signed-in user may manage. One callback address per provider
(registered at the provider), so the host travels in the session, never in the URL.
"""

import hmac
import time

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _

from scheduling import clock
from scheduling.delivery.calendar_push import stop_connection_channels
from scheduling.delivery.calendar_sync import sync_connection
from scheduling.errors import InvalidRequest, NotFound
from scheduling.extensions import db
from scheduling.models import PROVIDERS, Host
from scheduling.operations import calendar_connections as ops
from scheduling.remote import google_calendar, microsoft_calendar, oauth_flow
from scheduling.remote.provider_errors import ProviderError
from scheduling.remote.provider_http import Api
from scheduling.web.admin.access import current_user, get_host, login_required
from scheduling.web.admin.blueprint import bp

PENDING = "calendar_oauth"
STATE_LIFETIME = 15 * 60
EXCHANGE_TIMEOUT = 15.0


def _back(host: Host):
    return redirect(url_for("admin.hosts_calendars", host_id=host.id))


def _provider_name(provider: str) -> str:
    if provider not in PROVIDERS:
        raise NotFound("No such calendar provider.")
    return provider


@bp.post("/hosts/<int:host_id>/calendars/connect/<provider>")
@login_required
def calendar_connection_start(host_id: int, provider: str):
    host = get_host(current_user(), host_id)
    name = _provider_name(provider)
    try:
        client = ops.oauth_client(host.organisation_id, name, ops.redirect_uri(name))
    except InvalidRequest:
        db.session.rollback()
        flash(
            _(
                "%(provider)s is not set up yet: an admin enters its client id and secret "
                "under Settings, Calendar connections.",
                provider=ops.PROVIDER_NAMES[name],
            )
        )
        return _back(host)
    authorization = oauth_flow.authorization_url(ops.provider(name), client)
    session[PENDING] = {
        "state": authorization.state,
        "verifier": authorization.code_verifier,
        "host_id": host.id,
        "provider": name,
        "started": int(time.time()),
    }
    return redirect(authorization.url)


def _pending(provider: str) -> dict:
    """The connect request this callback answers; refused when state is missing or wrong."""
    pending = session.pop(PENDING, None)
    state = request.args.get("state", "")
    if (
        not isinstance(pending, dict)
        or not state
        or not hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode())
        or pending.get("provider") != provider
        or time.time() - float(pending.get("started", 0)) > STATE_LIFETIME
    ):
        raise InvalidRequest(
            "This answer from the calendar provider does not belong to a connection you "
            "started (or it is older than 15 minutes). Start connecting again."
        )
    return pending


def _mailbox(name: str, api: Api) -> tuple[str, list]:
    if name == "google":
        calendars = google_calendar.list_calendars(api)
        return google_calendar.account_email(calendars), calendars
    calendars = microsoft_calendar.list_calendars(api)
    return microsoft_calendar.account_email(api, calendars), calendars


@bp.get("/calendar-connections/<provider>/callback")
@login_required
def calendar_connection_callback(provider: str):
    name = _provider_name(provider)
    pending = _pending(name)
    host = get_host(current_user(), int(pending["host_id"]))
    label = ops.PROVIDER_NAMES[name]
    error = request.args.get("error")
    if error:
        description = request.args.get("error_description", "")[:300]
        flash(
            _(
                "%(provider)s did not connect the calendar (%(error)s). %(detail)s",
                provider=label,
                error=error[:100],
                detail=description,
            )
        )
        return _back(host)
    code = request.args.get("code", "")
    if not code:
        raise InvalidRequest("The calendar provider sent no authorisation code. Start again.")
    client = ops.oauth_client(host.organisation_id, name, ops.redirect_uri(name))
    now = clock.utcnow()
    db.session.rollback()  # nothing held while the provider answers
    try:
        tokens = oauth_flow.exchange_code(
            ops.provider(name), client, code, pending["verifier"], now, EXCHANGE_TIMEOUT
        )
        api = Api(ops.provider(name).api_url, tokens.access_token, EXCHANGE_TIMEOUT)
        account, calendars = _mailbox(name, api)
    except ProviderError as exc:
        flash(
            _("%(provider)s could not be connected: %(error)s", provider=label, error=exc.message)
        )
        return _back(get_host(current_user(), host.id))
    host = get_host(current_user(), host.id)
    ops.save_connection(host, name, tokens, account, calendars, now)
    db.session.commit()
    flash(
        _(
            "%(provider)s calendar %(account)s connected. Choose below which calendars "
            "count as busy.",
            provider=label,
            account=account,
        ),
        "ok",
    )
    return _back(host)


@bp.post("/hosts/<int:host_id>/calendars/connections/<int:connection_id>/calendars")
@login_required
def calendar_connection_choose(host_id: int, connection_id: int):
    host = get_host(current_user(), host_id)
    connection = ops.connection_of(host, connection_id)
    try:
        busy = frozenset(int(value) for value in request.form.getlist("busy"))
        write = request.form.get("write", "")
        write_id = int(write) if write else None
    except ValueError:
        raise InvalidRequest("Choose calendars from the list.") from None
    ops.choose_calendars(connection, ops.CalendarChoice(busy, write_id), clock.utcnow())
    db.session.commit()
    flash(_("Calendar choices saved."), "ok")
    return _back(host)


@bp.post("/hosts/<int:host_id>/calendars/connections/<int:connection_id>/sync")
@login_required
def calendar_connection_sync(host_id: int, connection_id: int):
    host = get_host(current_user(), host_id)
    connection = ops.connection_of(host, connection_id)
    if connection.needs_reconnect:
        flash(_("Connect the calendar again first."))
        return _back(host)
    connection_id = connection.id
    read = sync_connection(connection_id, clock.utcnow(), all_busy=True)
    host = get_host(current_user(), host_id)
    if read:
        flash(_("%(n)s calendars were read.", n=read), "ok")
    else:
        flash(_("Nothing was read now: see each calendar's status below."))
    return _back(host)


@bp.post("/hosts/<int:host_id>/calendars/connections/<int:connection_id>/disconnect")
@login_required
def calendar_connection_disconnect(host_id: int, connection_id: int):
    host = get_host(current_user(), host_id)
    connection = ops.connection_of(host, connection_id)
    label = ops.PROVIDER_NAMES[connection.provider]
    account = connection.account_email
    stop_connection_channels(connection.id, clock.utcnow())  # before the tokens go
    revoked = ops.revoke_grant(connection)
    ops.disconnect(connection)
    db.session.commit()
    flash(
        _(
            "%(provider)s calendar %(account)s disconnected; its events no longer block your time.",
            provider=label,
            account=account,
        ),
        "ok",
    )
    if revoked:
        flash(_("The app's access was withdrawn at %(provider)s too.", provider=label), "ok")
    return _back(host)
