"""Refuse to serve a production app that cannot work: one line on stderr, a non-zero exit.

Called by the WSGI entry point (app.py) for every server (gunicorn, `flask run`, ...); other
`flask` commands (`db upgrade`, `rendezvous check`, `rendezvous init`) load the same module
and must still run, so a deploy can migrate and diagnose.
"""

import os
import sys

import click

from scheduling.extensions import db
from scheduling.operations.health import serving_problems

# gunicorn stops (instead of booting workers again and again) when a worker exits with this
# code ("App failed to load"); for `flask run` it is just a non-zero exit.
EXIT_NOT_READY = 4


def _serving() -> bool:
    """True unless a `flask` command other than `run` is loading the app."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return True  # imported by a WSGI server
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.info_name == "run"


def refuse_to_serve_unless_ready(app) -> None:
    """In production, exit at once when config, database or migrations are not fit to serve."""
    if not app.config["PRODUCTION"] or not _serving():
        return
    with app.app_context():
        problems = serving_problems(app.config)
        db.engine.dispose()  # gunicorn forks after this: no connection crosses a fork
    if problems:
        line = "rendezvous: refusing to serve: " + "; ".join(problems) + "\n"
        # One write: several gunicorn workers refusing at once must not interleave their lines.
        sys.stderr.flush()
        os.write(sys.stderr.fileno(), line.encode())
        raise SystemExit(EXIT_NOT_READY)
