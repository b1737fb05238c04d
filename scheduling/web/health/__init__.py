"""Health endpoints for load balancers and orchestrators: /healthz and /readyz, cookie-free."""

from .views import bp

__all__ = ["bp"]
