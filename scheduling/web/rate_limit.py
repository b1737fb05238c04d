"""Rate limits per client address on the public posts, the consent log and login.

Which rule a request falls under is decided by its endpoint; the counting is
operations/rate_limits.py (database-backed, so every process agrees). The client address is
`request.remote_addr`: behind a reverse proxy set TRUSTED_PROXIES so ProxyFix puts the
visitor's address there, or every visitor shares the proxy's budget.
"""

from flask import current_app, request
from flask_babel import gettext

from scheduling import clock
from scheduling.errors import N_, RateLimited
from scheduling.extensions import db
from scheduling.operations.rate_limits import hit
from scheduling.security.addresses import truncate_address
from scheduling.security.rate_windows import Limit, parse_limit

from .errors import error_response, wants_json

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Rule name -> configuration key (RENDEZVOUS_RATE_LIMIT_<NAME> in the environment).
RULES = {
    "booking": "RATE_LIMIT_BOOKING",
    "qualify": "RATE_LIMIT_QUALIFY",
    "links": "RATE_LIMIT_LINKS",
    "consent": "RATE_LIMIT_CONSENT",
    "login": "RATE_LIMIT_LOGIN",
    "api": "RATE_LIMIT_API",
}
ENDPOINT_RULES = {
    "api.create": "booking",
    "public.confirm": "booking",
    "public.qualify_answers": "qualify",
    "public.cancel": "links",
    "public.reschedule_confirm": "links",
    "embed.consent": "consent",
    "admin.login": "login",
    "admin.login_totp": "login",
    "admin.sso_start": "login",
    "hooks.google_calendar": "api",
    "hooks.microsoft_calendar": "api",
}
EXTENSION_KEY = "rendezvous_rate_limits"


def rule_for(endpoint: str | None, method: str) -> str | None:
    """The rule a request counts against; None for reads and the admin's own pages."""
    if method not in WRITE_METHODS or not endpoint:
        return None
    if endpoint in ENDPOINT_RULES:
        return ENDPOINT_RULES[endpoint]
    if endpoint.startswith("api."):
        return "api"
    return None


def load_limits(config) -> dict[str, Limit]:
    """The configured limits by rule; a bad setting stops the app with the setting's name."""
    limits = {}
    for name, key in RULES.items():
        try:
            limit = parse_limit(config.get(key))
        except ValueError as exc:
            raise ValueError(f"RENDEZVOUS_{key}: {exc}") from None
        if limit is not None:
            limits[name] = limit
    return limits


def client_address() -> str:
    """The client's network prefix (IPv4 /24, IPv6 /48): a full IP address is never stored."""
    return truncate_address(request.remote_addr)


def _limit_request():
    if not current_app.config.get("RATE_LIMIT_ENABLED", True):
        return None
    name = rule_for(request.endpoint, request.method)
    limit = current_app.extensions[EXTENSION_KEY].get(name) if name else None
    if limit is None:
        return None
    result = hit(f"{name}:{client_address()}", limit, clock.utcnow())
    db.session.commit()  # the count stands whatever the request does next
    if not result.allowed:
        raise RateLimited(
            N_("Too many requests from your address. Please wait a moment and try again."),
            result.retry_after,
        )
    return None


def rate_limited_response(exc: RateLimited):
    """429 in the one error shape, with Retry-After; nothing of the request was done."""
    page = "" if wants_json() else gettext(exc.template, **exc.params)
    response = error_response(exc.status, exc.code, exc.message, exc.fields, page)
    response = current_app.make_response(response)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def install(app) -> None:
    """Check the limits once at start-up; count before any other work of a request.

    First in line, before the CSRF check too: a flood of forged posts counts as well.
    """
    app.extensions[EXTENSION_KEY] = load_limits(app.config)
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_request)
    app.register_error_handler(RateLimited, rate_limited_response)
