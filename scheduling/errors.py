"""Domain errors: raised below the web layer, translated once per blueprint.

Pure: no Flask, no DB, no clock.
"""


def N_(message: str) -> str:
    """Mark a message for extraction (pybabel -k N_); it is translated where a person sees it."""
    return message


class Message(str):
    """English text (what it is as a str) that keeps its msgid and values, for a page to show
    translated: `gettext(message.template, **message.params)`."""

    def __new__(cls, template: str, **params):
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = params
        return text


class SchedulingError(Exception):
    """Base of every error a user or client can cause; `code` is stable for API clients.

    `template` is the English message with named placeholders (`%(name)s`, the msgid pages
    translate), `params` their values, and `message` the English text with the values filled in
    (what the JSON API answers).
    """

    code = "error"
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None, **params):
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.fields = fields or {}


class InvalidRequest(SchedulingError):
    code = "invalid_request"
    status = 400


class NotFound(SchedulingError):
    code = "not_found"
    status = 404


class PermissionDenied(SchedulingError):
    code = "forbidden"
    status = 403


class SlotUnavailable(SchedulingError):
    """The slot is not (or no longer) free: taken in the meantime, off the grid, or in the past."""

    code = "slot_unavailable"
    status = 409


class BookingClosed(SchedulingError):
    """The booking can no longer be changed (cancelled, rescheduled or already past)."""

    code = "booking_closed"
    status = 409


class RateLimited(SchedulingError):
    """Too many requests from one client address (or at one account): 429 with Retry-After."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
