"""The admin side for sales teams, one sub-package per area (bookings, calendars, routing ...).

One blueprint `bp` (blueprint.py), on which each area's view modules register their routes;
importing this package imports them all. Areas share access.py (who may see what) and nav.py;
they import operations, models and web plumbing, never another blueprint.
"""

# Importing the view modules registers their routes on bp.
from .accounts import auth_views, invite_views, sso_views, user_views  # noqa: F401
from .blueprint import bp
from .bookings import (  # noqa: F401
    booking_action_views,
    booking_list_views,
    lead_views,
    outcome_views,
    quick_outcome_views,
)
from .calendars import calendar_sync_views, calendar_views, connection_views  # noqa: F401
from .embed import conversion_views, embed_views  # noqa: F401
from .event_types import event_type_views  # noqa: F401
from .hosts import days_off_views, host_views  # noqa: F401
from .integrations import api_key_views, webhook_views  # noqa: F401
from .overview import audit_views, dashboard_views, home_views  # noqa: F401
from .privacy import documents_views, privacy_views  # noqa: F401
from .routing import pool_views, question_views, routing_form_views, routing_test_views, rule_views  # noqa: F401
from .settings import (  # noqa: F401
    calendar_app_views,
    notification_views,
    retention_views,
    settings_views,
)
from .settings import sso_views as sso_settings_views  # noqa: F401

__all__ = ["bp"]
