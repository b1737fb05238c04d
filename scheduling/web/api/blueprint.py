"""The API blueprint object, apart from the endpoints, which import it without a cycle."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
