"""The admin side for sales teams: accounts, availability, event types, bookings, outcomes.

One blueprint `bp` (blueprint.py); each area registers its views on it from its own modules,
imported here so that importing the package registers every route.
"""

from . import (  # noqa: F401  (modules register their routes on bp)
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
from .blueprint import bp

__all__ = ["bp"]
