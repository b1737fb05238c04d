"""The admin navigation: one entry per area; areas not yet registered are left out."""

from flask import current_app, request

from .access import current_user

ALL = ("admin", "manager", "rep")
MANAGERS = ("admin", "manager")
ADMINS = ("admin",)

# (endpoint, label, roles). An entry is "current" for its endpoint and any "<endpoint>_..." one.
NAV = [
    ("admin.home", "Home", ALL),
    ("admin.dashboard", "Dashboard", ALL),
    ("admin.bookings", "Bookings", ALL),
    ("admin.calendar", "Calendar", ALL),
    ("admin.hosts", "Availability", ALL),
    ("admin.event_types", "Event types", MANAGERS),
    ("admin.routing_forms", "Routing", MANAGERS),
    ("admin.pools", "Teams", MANAGERS),
    ("admin.leads", "Leads", ALL),
    ("admin.users", "Users", ADMINS),
    ("admin.invitations", "Invitations", MANAGERS),
    ("admin.settings", "Settings", ADMINS),
    ("admin.audit", "Audit log", ADMINS),
    ("admin.privacy", "Privacy", ADMINS),
    ("admin.funnel", "Funnel", MANAGERS),
    ("admin.ab_tests", "A/B tests", MANAGERS),
    ("admin.ad_conversions", "Ad conversions", MANAGERS),
    ("admin.embed", "Embed", MANAGERS),
    ("admin.webhooks", "Webhooks", MANAGERS),
    ("admin.privacy_documents", "Privacy documents", MANAGERS),
    ("admin.api_keys", "API keys", ADMINS),
    ("admin.outbox", "Outbox", ADMINS),
]


def nav_context() -> dict:
    user = current_user()
    if user is None:
        return {"current_user": None, "admin_nav": []}
    endpoint = request.endpoint or ""
    items = [
        {
            "endpoint": name,
            "label": label,
            "current": endpoint == name or endpoint.startswith(name + "_"),
        }
        for name, label, roles in NAV
        if user.role in roles and name in current_app.view_functions
    ]
    return {"current_user": user, "admin_nav": items}
