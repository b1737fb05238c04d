"""The admin blueprint object, apart from the views, so view modules import it without a cycle."""

from flask import Blueprint

from .access import load_current_user
from .nav import nav_context

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(load_current_user)
bp.context_processor(nav_context)
