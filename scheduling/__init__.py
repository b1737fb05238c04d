"""Rendezvous: a self-hosted booking app. `create_app` wires config, extensions, blueprints, CLI.

The layers and where to find things: docs/architecture.md.
"""

from pathlib import Path

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .extensions import babel, csrf, db, migrate

ROOT = Path(__file__).resolve().parent.parent


def _select_locale():
    from .web.i18n import select_locale

    return select_locale()


def _serialise_sqlite_writes():
    """On SQLite, requests that may write take the write lock first (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another writer got in between; waiting for the lock up front avoids that.
    PostgreSQL needs nothing: the call does nothing there. A view marked locks_itself (booking
    attempts, which answer "taken" from a read) takes the lock itself before it writes.
    """
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from .operations.locking import acquire_booking_lock, lock_when_writing

        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "locks_itself", False):
            lock_when_writing(db.session)
        else:
            acquire_booking_lock(db.session)


def _end_lock_when_writing(exc):
    from .operations.locking import forget_lock_when_writing

    forget_lock_when_writing(db.session)


def create_app(test_config: dict | None = None) -> Flask:
    """Build an app: config -> extensions -> blueprints -> errors -> CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    load_config(app, test_config)
    from .web.guards import install as install_input_guards

    install_input_guards(app)
    from .web.serving import install as install_serving

    install_serving(app)  # first: its compression hook then runs after every other one
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("TRUSTED_PROXIES"):
        count = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from . import models  # noqa: F401  (registers the tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    from .web.admin import bp as admin_bp
    from .web.api import bp as api_bp
    from .web.embed import bp as embed_bp
    from .web.feeds.views import bp as feeds_bp
    from .web.health import bp as health_bp
    from .web.hooks import bp as hooks_bp
    from .web.i18n import install as install_i18n
    from .web.outcome_links import bp as outcome_links_bp
    from .web.public.views import bp as public_bp

    install_i18n(app)
    csrf.exempt(public_bp)  # cookie-free flow: signed form tokens instead (web.py)
    csrf.exempt(api_bp)  # no cookies, no ambient authority
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    csrf.exempt(feeds_bp)  # GET only, token in the URL, no cookies
    app.register_blueprint(feeds_bp)
    csrf.exempt(embed_bp)  # the widget's cookie-free consent log: same-origin checks instead
    app.register_blueprint(embed_bp)
    csrf.exempt(health_bp)  # GET only, no cookies
    app.register_blueprint(health_bp)
    csrf.exempt(outcome_links_bp)  # no cookies: the signed link, plus same-origin checks
    app.register_blueprint(outcome_links_bp)
    csrf.exempt(hooks_bp)  # provider pushes: no cookies; a per-channel secret instead
    app.register_blueprint(hooks_bp)

    from .web.formatting import register_filters
    from .web.security import add_security_headers

    register_filters(app)
    from .web.errors import register_error_handlers
    from .web.rate_limit import install as install_rate_limits

    install_rate_limits(app)  # counts in its own transaction, before the write lock below
    app.before_request(_serialise_sqlite_writes)
    app.teardown_request(_end_lock_when_writing)
    app.after_request(add_security_headers)
    register_error_handlers(app)

    from .cli import register_cli

    register_cli(app)
    return app
