"""The OpenAPI 3.1 description of API v1, served at /api/v1/openapi.json, built from its tables.

What the API offers lives in openapi_tables.py as rows; this module only knows how a row reads in
OpenAPI, so every operation's errors, security and parameters are spelled the same way.
"""

import re

from flask import jsonify

from scheduling.operations.notifications import API_VERSION

from .blueprint import bp
from .openapi_tables import (
    ACCESS,
    OPERATIONS,
    RATE_LIMITED,
    RATE_LIMITED_METHODS,
    RETRY_AFTER_HEADER,
    SCHEMAS,
    STRING,
    Operation,
    Query,
    ref,
)

PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def _content(schema: str) -> dict:
    return {"application/json": {"schema": ref(schema)}}


def _response(description: str, schema: str = "Error") -> dict:
    return {"description": description, "content": _content(schema)}


def _query(query: Query) -> dict:
    return {
        "name": query.name,
        "in": "query",
        "required": query.required,
        "schema": query.schema,
        "description": query.description,
    }


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


def _operation(row: Operation) -> dict:
    security, access_errors = ACCESS[row.access]
    operation: dict = {"operationId": row.operation_id}
    if row.summary:
        operation["summary"] = row.summary
    operation["security"] = list(security)
    parameters = [_path(name) for name in PATH_PARAMETER.findall(row.path)]
    parameters += [_query(query) for query in row.queries]
    if parameters:
        operation["parameters"] = parameters
    if row.body:
        operation["requestBody"] = {"required": row.body_required, "content": _content(row.body)}
    errors = {**row.errors, **access_errors}
    operation["responses"] = {
        row.status: _response(row.ok, row.returns),
        **{status: _response(description) for status, description in errors.items()},
    }
    if row.method in RATE_LIMITED_METHODS:
        for status, description in RATE_LIMITED.items():
            operation["responses"][status] = {
                **_response(description),
                "headers": RETRY_AFTER_HEADER,
            }
    return operation


def document() -> dict:
    """The OpenAPI document (a fresh dict each call)."""
    paths: dict = {}
    for row in OPERATIONS:
        paths.setdefault(row.path, {})[row.method] = _operation(row)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rendezvous API",
            "version": API_VERSION,
            "description": (
                "Public booking endpoints, and the integration API for CRMs and scripts "
                "(API keys from the admin side, sent as Authorization: Bearer <key>). "
                "Errors always have the shape {error, message, fields}. A collective event type "
                "(assignment collective) books all of its hosts at once: its slots are the times "
                "every host is free, and its booking lists them in `hosts`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
