"""POST /hooks/calendar/google and /hooks/calendar/microsoft: a provider says a calendar changed.

Nothing here calls a provider: a verified push only brings that calendar's next sync forward
(operations/calendar_push.py) and the worker reads it. Google's channel id, token and resource
id must match a stored channel; each Graph notification's clientState must match its
subscription's. Graph's validation handshake (`?validationToken=`) is answered with the token,
as text/plain, before a subscription is created. Unknown channel: 404; wrong secret: 403;
nothing changed either way. No cookie, no session.
"""

from flask import Blueprint, Response, request

from scheduling import clock
from scheduling.errors import NotFound, PermissionDenied
from scheduling.extensions import db
from scheduling.operations import calendar_push as push

bp = Blueprint("hooks", __name__)
MAX_VALIDATION_TOKEN = 4096
MAX_BODY = 1024 * 1024


def _plain(status: int, text: str = "") -> Response:
    response = Response(text, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post(push.HOOK_PATHS["google"])
def google_calendar():
    headers = request.headers
    try:
        push.google_push(
            headers.get("X-Goog-Channel-ID", ""),
            headers.get("X-Goog-Channel-Token", ""),
            headers.get("X-Goog-Resource-ID", ""),
            headers.get("X-Goog-Resource-State", ""),
            clock.utcnow(),
        )
    except NotFound:
        db.session.rollback()
        return _plain(404)
    except PermissionDenied:
        db.session.rollback()
        return _plain(403)
    db.session.commit()
    return _plain(200)


@bp.post(push.HOOK_PATHS["microsoft"])
def microsoft_calendar():
    token = request.args.get("validationToken")
    if token is not None:
        # Graph's handshake: 200, text/plain, the token exactly as sent (decoded, not escaped).
        if not token or len(token) > MAX_VALIDATION_TOKEN:
            return _plain(400)
        return _plain(200, token)
    if (request.content_length or 0) > MAX_BODY:
        return _plain(413)
    body = request.get_json(silent=True)
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return _plain(400)
    queued = push.graph_push(items, clock.utcnow())
    if not queued:
        db.session.rollback()
        return _plain(403)
    db.session.commit()
    return _plain(202)
