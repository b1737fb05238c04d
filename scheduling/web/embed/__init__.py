"""The `embed` blueprint: endpoints the widget itself calls (the consent log).

Embed mode of the booking pages is part of the public flow (web/public/embed_mode.py); this
blueprint imports operations and web plumbing, never another blueprint.
"""

from .views import bp

__all__ = ["bp"]
