"""GET /healthz: the process answers (no database). GET /readyz: database and migrations ready.

Both are cheap, set no cookie and open no session; /readyz answers 503 with a short reason.
"""

from flask import Blueprint, jsonify

from scheduling.operations.health import schema_state

bp = Blueprint("health", __name__)


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz():
    state = schema_state()
    if not state.reachable:
        return _answer({"status": "unavailable", "reason": "database unreachable"}, 503)
    if not state.at_head:
        return _answer({"status": "unavailable", "reason": "migrations not at head"}, 503)
    return _answer({"status": "ok"}, 200)
