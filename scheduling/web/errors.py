"""HTTP errors rendered once: JSON under /api/, HTML pages elsewhere.

JSON answers stay in English (clients match on `error`); pages show the message in the page's
language: domain messages are msgids (marked with N_ where raised) with named placeholders.
"""

from flask import jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from scheduling.errors import N_, SchedulingError
from scheduling.extensions import db

# Pages for werkzeug's own errors (its descriptions are English only and talk about servers).
HTTP_MESSAGES = {
    400: N_("The request could not be understood. Please go back and try again."),
    404: N_("This page does not exist. Please check the address."),
    405: N_("This page cannot be used this way. Please go back and try again."),
    413: N_("What you sent is too large."),
    429: N_("Too many attempts. Please wait a moment and try again."),
}
INTERNAL_ERROR = N_("Something went wrong on our side.")


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/embed/"))


def error_response(
    status: int, code: str, message: str, fields: dict | None = None, page_message: str = ""
):
    """The one error shape: JSON for the API, a page for people (`page_message`, translated)."""
    db.session.rollback()
    if wants_json():
        body = {"error": code, "message": message, "fields": fields or {}}
        return jsonify(body), status
    return render_template(
        "errors/error.html", status=status, message=page_message or message
    ), status


def register_error_handlers(app) -> None:
    from .outages import register as register_outages

    register_outages(app, wants_json)

    @app.errorhandler(SchedulingError)
    def _domain_error(exc: SchedulingError):
        page = "" if wants_json() else gettext(exc.template, **exc.params)
        return error_response(exc.status, exc.code, exc.message, exc.fields, page)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        page = ""
        if not wants_json() and exc.description == type(exc).description:
            own = HTTP_MESSAGES.get(exc.code or 0)
            page = gettext(own) if own else ""
        return error_response(exc.code or 500, code, message, page_message=page)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error")
        page = "" if wants_json() else gettext(INTERNAL_ERROR)
        return error_response(500, "internal_error", INTERNAL_ERROR, page_message=page)
