"""Bearer API keys for the integration endpoints: who is calling, and may they write?"""

from functools import wraps

from flask import g, request

from scheduling import clock
from scheduling.errors import PermissionDenied
from scheduling.operations.api_keys import authenticate, touch
from scheduling.web.errors import error_response


def _unauthorized(message: str):
    response, status = error_response(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="rendezvous"'
    return response, status


def api_key_required(scope: str = "read"):
    """The request carries an active key (Authorization: Bearer); "write" needs a write key.

    Sets g.api_key and g.api_user (the key's creator, who is the actor in audit entries).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            kind, _, token = request.headers.get("Authorization", "").partition(" ")
            if kind.lower() != "bearer" or not token.strip():
                return _unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
            now = clock.utcnow()
            key = authenticate(token.strip(), now)
            if key is None:
                return _unauthorized("This API key is not valid or was revoked.")
            if scope == "write" and key.scope != "write":
                raise PermissionDenied("This API key may only read.")
            key = touch(key, now)
            g.api_key = key
            g.api_user = key.user
            return view(*args, **kwargs)

        return wrapped

    return decorator
