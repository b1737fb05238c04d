"""Production refuses to serve a setup that cannot work: one line on stderr, exit 4, no traceback.

Real processes: gunicorn (it must stop, not boot workers that answer 500) and `flask run`; the
`flask db`, `rendezvous check` and `init` commands still run in that state, so a deploy can
migrate. On PostgreSQL when DATABASE_URL names it (the not-migrated case uses a new database).
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.outbox_fixtures import _free_port

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("DATABASE_URL", "")
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
GOOD_KEY = secrets.token_urlsafe(48)
BIN = Path(sys.executable).parent


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database (nothing migrated): a SQLite file, or a new PostgreSQL database."""
    if not PG_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    import psycopg

    parts = urlsplit(PG_URL)
    name = parts.path.lstrip("/") + "_refusal"
    plain = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        target = urlunsplit(parts._replace(scheme="postgresql", path=f"/{name}"))
        with psycopg.connect(target, autocommit=True) as new:
            new.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database: str, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENDEZVOUS_", "FLASK_"))}
    env.update(
        DATABASE_URL=database,
        FLASK_APP="app",
        RENDEZVOUS_PRODUCTION="true",
        RENDEZVOUS_SECRET_KEY=GOOD_KEY,
        RENDEZVOUS_PUBLIC_URL="https://book.example.eu",
    )
    for key, value in settings.items():
        if value is None:
            env.pop(f"RENDEZVOUS_{key}", None)
        else:
            env[f"RENDEZVOUS_{key}"] = value
    return env


def run(args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def gunicorn(env: dict) -> subprocess.CompletedProcess:
    port = _free_port()
    args = [str(BIN / "gunicorn"), "--workers", "4", "--bind", f"127.0.0.1:{port}", "app:app"]
    return run(args, env)


def flask_run(env: dict) -> subprocess.CompletedProcess:
    return run([str(BIN / "flask"), "run", "--port", str(_free_port())], env)


def refusal(done: subprocess.CompletedProcess) -> str:
    """The refusal line; there is exactly one kind of it and no traceback."""
    assert done.returncode == 4, (done.returncode, done.stdout, done.stderr)
    lines = {line for line in done.stderr.splitlines() if "refusing" in line}
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    (line,) = lines
    assert line.startswith("rendezvous: refusing to serve: ")
    return line


def migrate(env: dict) -> None:
    done = run([str(BIN / "flask"), "db", "upgrade"], env, timeout=300)
    assert done.returncode == 0, done.stderr


def test_gunicorn_stops_on_a_short_key_and_a_missing_public_url(fresh_database):
    env = environment(fresh_database, SECRET_KEY="x" * 31)
    migrate(env)  # `flask db` runs with the weak key: a deploy can migrate first
    env.pop("RENDEZVOUS_PUBLIC_URL")
    line = refusal(gunicorn(env))
    assert "SECRET_KEY has 31 bytes, at least 32 are needed" in line
    assert "PUBLIC_URL is not set" in line
    assert "migrations" not in line and "database" not in line


def test_gunicorn_stops_when_the_database_is_unreachable():
    line = refusal(gunicorn(environment(UNREACHABLE)))
    assert "database unreachable: OperationalError" in line


def test_flask_run_stops_on_the_default_key(fresh_database):
    from scheduling.config import DEFAULT_SECRET_KEY

    env = environment(fresh_database, SECRET_KEY=DEFAULT_SECRET_KEY)
    line = refusal(flask_run(env))
    assert "SECRET_KEY is the built-in default" in line


def test_flask_run_stops_until_migrated_and_check_says_why(fresh_database):
    env = environment(fresh_database)
    line = refusal(flask_run(env))
    assert "migrations not at head (database: empty database" in line
    check = run([str(BIN / "flask"), "rendezvous", "check"], env)
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert "FAIL  migrations  migrations not at head" in check.stdout
    assert "ok    secret key  64 bytes" in check.stdout
    init = run(
        [
            str(BIN / "flask"),
            "rendezvous",
            "init",
            "--organisation",
            "A",
            "--admin-email",
            "a@b.eu",
        ],
        {**env, "RENDEZVOUS_ADMIN_PASSWORD": "long enough password"},
    )
    assert init.returncode == 1 and "Error: migrations not at head" in init.stderr
    migrate(env)
    check = run([str(BIN / "flask"), "rendezvous", "check"], env)
    assert check.returncode == 0, check.stdout
    assert "ok    migrations  at head" in check.stdout


def test_the_worker_refuses_a_weak_key_too(fresh_database):
    env = environment(fresh_database, SECRET_KEY="short")
    migrate(env)
    done = run([str(BIN / "flask"), "rendezvous", "worker", "--once"], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: refusing to start: SECRET_KEY has 5 bytes")
