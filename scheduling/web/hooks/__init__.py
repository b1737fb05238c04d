"""Provider push notifications for connected calendars: cookie-free, CSRF-exempt, verified."""

from .calendar_push_views import bp

__all__ = ["bp"]
