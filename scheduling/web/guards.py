"""Input guards shared by every blueprint: hostile input is a 400 / 404, never a 500.

Deeply nested JSON makes Python's decoder raise RecursionError, which Flask does not treat as bad
JSON; an id above PostgreSQL's integer range, or text with a NUL character (in a value or in the
URL path), makes PostgreSQL raise instead of finding nothing or storing it.
"""

from itertools import chain

from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from scheduling.errors import N_, InvalidRequest

# Primary keys are 32-bit integers on PostgreSQL (and fit SQLite's 64-bit ones).
MAX_ID = 2**31 - 1


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where undecodable nesting counts as invalid JSON (a ValueError)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: ids beyond the database's range do not match (404, not 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_nul_in_path() -> None:
    """No page has NUL in its address: a 404 before any view passes it to the database."""
    if "\x00" in request.path:
        raise NotFound()


def refuse_nul_characters() -> None:
    """No query, form or JSON text may carry NUL: PostgreSQL cannot store it in text columns."""
    values = chain(*request.args.listvalues(), *request.form.listvalues())
    if any("\x00" in value for value in values) or (
        request.is_json and b"\\u0000" in request.get_data(cache=True)
    ):
        raise InvalidRequest(N_("Text may not contain NUL characters (\\0)."))


def install(app) -> None:
    """Call before any blueprint is registered: rules pick their converter when added."""
    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_in_path)
    app.before_request(refuse_nul_characters)
