"""HTTP errors rendered once: JSON under /api/, HTML pages elsewhere."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from scheduling.errors import SchedulingError
from scheduling.extensions import db


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/embed/"))


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """The one error shape: JSON for the API, a page for people."""
    db.session.rollback()
    if wants_json():
        body = {"error": code, "message": message, "fields": fields or {}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app) -> None:
    from .outages import register as register_outages

    register_outages(app, wants_json)

    @app.errorhandler(SchedulingError)
    def _domain_error(exc: SchedulingError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
