"""Configuration in one order: defaults, instance/config.py, RENDEZVOUS_* env, test overrides."""

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 (refused in production)


class Defaults:
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in from instance_path when unset
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Public origin of the app, used in links that leave a request (emails, feeds, API answers).
    # Empty: taken from the request.
    PUBLIC_URL = ""
    # Self-hosted Jitsi: each video booking gets its own room under this base URL.
    JITSI_BASE_URL = "https://meet.jit.si.invalid"
    # How long a public booking form stays valid after the page was rendered.
    FORM_TOKEN_MAX_AGE = 2 * 60 * 60
    # How long a host's one-click "held / no-show" link from an email works.
    OUTCOME_LINK_MAX_AGE = 30 * 24 * 60 * 60
    # Longest range the slots API answers in one request.
    MAX_RANGE_DAYS = 62
    BABEL_DEFAULT_LOCALE = "en"
    # The gettext catalogues, relative to the scheduling package (beside web/i18n.py).
    BABEL_TRANSLATION_DIRECTORIES = "web/translations"
    # Languages of the public pages, widget and invitee emails (English first: the fallback),
    # and the admin pages' (chosen by Accept-Language alone). web/translations/ holds them.
    LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl"]
    ADMIN_LANGUAGES = ["en", "de"]
    BABEL_DEFAULT_TIMEZONE = "UTC"
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    # The session (admin login, CSRF) lives under /admin only: public pages never see a cookie.
    SESSION_COOKIE_PATH = "/admin"
    SESSION_COOKIE_NAME = "rendezvous_session"
    PERMANENT_SESSION_LIFETIME = 12 * 60 * 60
    PRODUCTION = False
    # Calendar feeds and imports (issue 6).
    # Suggested polling interval written into feeds (REFRESH-INTERVAL, X-PUBLISHED-TTL).
    FEED_REFRESH_MINUTES = 15
    # How far back feeds reach; future bookings are always in.
    FEED_PAST_DAYS = 90
    # Imported calendars are read again this often (the worker calls refresh_due_sources).
    CALENDAR_REFRESH_MINUTES = 10
    # Busy time is imported for this many days ahead.
    CALENDAR_IMPORT_DAYS = 120
    CALENDAR_TIMEOUT_SECONDS = 15
    CALENDAR_MAX_BYTES = 10 * 1024 * 1024
    CALENDAR_MAX_EVENTS = 20_000
    # Let imports reach private, loopback and link-local addresses (and plain http): intranet
    # calendar servers and tests only. Off, an import URL cannot be used to probe the network.
    CALENDAR_ALLOW_PRIVATE = False
    # Extra CA bundle to trust for calendar servers (None: the system's).
    CALENDAR_CAFILE = None
    # Single sign-on (OpenID Connect, per organisation): seconds per request to the issuer
    # (discovery when settings are saved, token and keys at sign-in), how long a started
    # sign-in may take at the identity provider, an extra CA bundle (None: the system's), and
    # whether issuers on private or loopback addresses (and plain http) are allowed: tests and
    # development only.
    SSO_TIMEOUT_SECONDS = 5
    SSO_LOGIN_SECONDS = 600
    SSO_CAFILE = None
    SSO_ALLOW_PRIVATE = False
    # Google Calendar and Microsoft 365 connections (issue 17): the providers' endpoints (tests
    # point them at loopback fakes), how often connected calendars are synced, how long before
    # expiry an access token is refreshed, and the live re-check's timeout at booking time.
    GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
    GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (an address)
    GOOGLE_API_URL = "https://www.googleapis.com/calendar/v3"
    GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
    MICROSOFT_AUTHORIZE_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"  # noqa: S105
    MICROSOFT_API_URL = "https://graph.microsoft.com/v1.0"
    CALENDAR_SYNC_MINUTES = 5
    CALENDAR_TOKEN_REFRESH_MARGIN_SECONDS = 300
    CALENDAR_RECHECK_TIMEOUT_SECONDS = 2.5
    # Outbox worker: attempts before a message is marked failed, backoff (seconds, doubled per
    # attempt, with jitter, capped), and how long a claim lasts before another worker may take
    # the message over (a worker killed mid-delivery).
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_BACKOFF_SECONDS = 30
    OUTBOX_BACKOFF_MAX_SECONDS = 3600
    OUTBOX_LEASE_SECONDS = 300
    OUTBOX_BATCH = 20
    # Database outages: the Retry-After of the 503 answers, and at most one log line per kind
    # of failure per this many seconds (web/outages.py).
    OUTAGE_RETRY_AFTER_SECONDS = 10
    OUTAGE_LOG_SECONDS = 30
    # Outgoing mail. No MAIL_HOST: messages are written to instance/mail/ (offline demo).
    MAIL_HOST = ""
    MAIL_PORT = 587
    MAIL_SECURITY = "starttls"  # starttls, tls (implicit, port 465) or none
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    # Empty: "<organisation name> <bookings@PUBLIC_URL's domain>" (delivery/emails.py sender()).
    MAIL_FROM = ""
    MAIL_TIMEOUT = 20
    # Webhooks: seconds per attempt, and whether private / loopback receivers are allowed
    # (off in production: a subscription must not reach into the operator's own network).
    WEBHOOK_TIMEOUT = 10
    WEBHOOK_ALLOW_PRIVATE = False
    # How long the previous secret keeps signing after a rotation (hours).
    WEBHOOK_ROTATION_HOURS = 24
    # Retention pass (operations/retention.py): how often the worker runs it (seconds) and at
    # most how many rows of each kind one pass erases; the periods are per organisation.
    RETENTION_INTERVAL_SECONDS = 3600
    RETENTION_BATCH = 200
    # A qualified lead with no booking after this many minutes is reported as abandoned.
    LEAD_ABANDONED_MINUTES = 60
    # Rate limits per client address, counted in the database (COUNT/PERIOD, units s m h d, or
    # "off"): booking posts (API and form), qualification answers, cancel/reschedule by link,
    # the widget's consent log, login, and the other API writes. The switch turns them all off.
    RATE_LIMIT_ENABLED = True
    RATE_LIMIT_BOOKING = "20/10m"
    RATE_LIMIT_QUALIFY = "20/10m"
    RATE_LIMIT_LINKS = "20/10m"
    RATE_LIMIT_CONSENT = "60/10m"
    RATE_LIMIT_LOGIN = "30/5m"
    RATE_LIMIT_API = "300/10m"


# Settings whose value is a secret: always kept as the exact string given (an all-digit key must
# not become a number, a "true" password not a boolean).
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|(^|_)KEY$")
MIN_SECRET_KEY_BYTES = 32


def _coerce(key: str, value: str):
    """Env vars are strings; parse JSON (numbers, booleans, lists) only for non-text settings.

    Secrets and settings whose default is text stay exactly as given.
    """
    if _SECRET_NAME.search(key) or isinstance(getattr(Defaults, key, None), str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def config_problems(config) -> list[str]:
    """What makes this configuration unfit to serve in production (empty: nothing)."""
    problems = []
    key = config.get("SECRET_KEY")
    raw = key.encode() if isinstance(key, str) else key
    if not isinstance(raw, bytes) or not raw:
        problems.append("SECRET_KEY is not set (RENDEZVOUS_SECRET_KEY)")
    elif key == DEFAULT_SECRET_KEY:
        problems.append("SECRET_KEY is the built-in default; set RENDEZVOUS_SECRET_KEY")
    elif len(raw) < MIN_SECRET_KEY_BYTES:
        problems.append(
            f"SECRET_KEY has {len(raw)} bytes, at least {MIN_SECRET_KEY_BYTES} are needed"
            " (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    url = config.get("PUBLIC_URL") or ""
    parts = urlsplit(url) if isinstance(url, str) else None
    if not url:
        problems.append("PUBLIC_URL is not set (RENDEZVOUS_PUBLIC_URL=https://book.example.eu)")
    elif parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"PUBLIC_URL {url!r} is not an http(s) origin")
    return problems


def load_config(app, test_config: dict | None) -> None:
    """Apply the four layers in order (production checks: config_problems, at serving time)."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for key, value in os.environ.items():
        if key.startswith("RENDEZVOUS_"):
            name = key.removeprefix("RENDEZVOUS_")
            app.config[name] = _coerce(name, value)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        db_path = Path(app.instance_path) / "rendezvous.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    if app.debug or app.testing:
        app.config["SESSION_COOKIE_SECURE"] = False
