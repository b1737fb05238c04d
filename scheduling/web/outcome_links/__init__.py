"""The host's one-click outcome links from emails: a confirmation page, and a POST that acts.

No login and no cookie: the signed link is the authority (web/outcome_tokens.py), so a link
prefetched by a mail scanner (GET) only shows the page; the button's POST records the outcome.
"""

from .views import bp

__all__ = ["bp"]
