"""Refuse to serve a production app that cannot work: one line on stderr, a non-zero exit.

Called by the WSGI entry point (app.py) for every server (gunicorn, `flask run`, ...); other
`flask` commands (`db upgrade`, `rendezvous check`, `rendezvous init`) load the same module
and must still run, so a deploy can migrate and diagnose.
"""

import os
import signal
import sys
import tempfile

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
        if not _first_to_refuse():
            _wait_to_be_stopped()
        line = "rendezvous: refusing to serve: " + "; ".join(problems) + "\n"
        sys.stderr.flush()
        os.write(sys.stderr.fileno(), line.encode())
        raise SystemExit(EXIT_NOT_READY)


def _first_to_refuse() -> bool:
    """True for the first refusing worker of a gunicorn master (and outside gunicorn).

    gunicorn halts on the first worker that exits with EXIT_NOT_READY, and a second such exit
    seen while it stops the others escapes as a HaltServer traceback with exit status 1. So
    one worker per master exits; the marker names the master by pid and start time, so a later
    master that reuses the pid is not mistaken for it.
    """
    if "gunicorn" not in sys.modules:
        return True
    master = os.getppid()
    try:
        with open(f"/proc/{master}/stat", "rb") as stat:
            started = stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return True
    marker = os.path.join(tempfile.gettempdir(), f"rendezvous-refusal-{master}-{started}")
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError:
        return True
    return True


def _wait_to_be_stopped() -> None:
    """Sleep until the master, halting on the first refusal, terminates this worker."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    while True:
        signal.pause()
