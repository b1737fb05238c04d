"""The admin side for sales teams: accounts, availability, event types, bookings, outcomes.

One blueprint `bp`; each area registers its views from its own module, imported at the bottom.
"""

from flask import Blueprint

from .access import load_current_user
from .nav import nav_context

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(load_current_user)
bp.context_processor(nav_context)

from . import (  # noqa: E402, F401  (modules register their routes on bp)
    api_key_views,
    audit_views,
    auth_views,
    booking_views,
    calendar_sync_views,
    calendar_views,
    dashboard_views,
    embed_views,
    event_type_views,
    home_views,
    host_views,
    lead_views,
    notification_views,
    outcome_views,
    pool_views,
    routing_views,
    settings_views,
    user_views,
    webhook_views,
)
