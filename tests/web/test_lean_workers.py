"""Web workers stay lean: modules only commands need are not imported by the app (issue 12.10)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(code: str, tmp_path) -> set[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lean.db'}",
        "RENDEZVOUS_SECRET_KEY": "lean-test",
    }
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_the_wsgi_app_does_not_load_alembic(tmp_path):
    """Flask-Migrate pulls in Alembic (about 10 MB per worker); only `flask db` needs it."""
    modules = _modules_after("import app", tmp_path)
    assert "scheduling" in modules
    assert not {name for name in modules if name.split(".")[0] in ("alembic", "flask_migrate")}


def test_the_wsgi_app_loads_calendar_and_qr_libraries_only_when_used(tmp_path):
    """icalendar and the recurrence expander (about 7 MB) and segno (QR codes for two-factor
    setup, about 1 MB), phonenumbers (about 1 MB): booking requests never need them."""
    heavy = ("icalendar", "recurring_ical_events", "x_wr_timezone", "segno", "phonenumbers")
    modules = _modules_after("import app", tmp_path)
    assert not {name for name in modules if name.split(".")[0] in heavy}


def test_the_wsgi_app_loads_cryptography_only_to_encrypt_or_decrypt(tmp_path):
    """cryptography (about 8 MiB) serves TOTP seeds, calendar passwords and the visitor token;
    a booking through the API or a slots request never needs it."""
    modules = _modules_after("import app", tmp_path)
    assert not {name for name in modules if name.split(".")[0] == "cryptography"}
    after_use = _modules_after(
        "from scheduling.security import secretbox\n"
        "assert secretbox.decrypt('k', 'p', secretbox.encrypt('k', 'p', 'x')) == 'x'\n"
        "assert secretbox.decrypt('k', 'p', 'not a token') is None",
        tmp_path,
    )
    assert "cryptography.fernet" in after_use


def test_flask_db_still_migrates(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "RENDEZVOUS_SECRET_KEY": "lean-test",
        "FLASK_APP": "app",
    }
    flask = str(Path(sys.executable).with_name("flask"))
    run = subprocess.run(
        [flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    current = subprocess.run(
        [flask, "db", "current"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "(head)" in current.stdout, current.stdout + current.stderr


def test_the_wsgi_app_and_the_cli_do_not_load_playwright(tmp_path):
    """Only `flask rendezvous privacy-audit` needs Playwright, and imports it when it runs."""
    code = "import app\nfrom scheduling.cli import privacy_audit"
    modules = _modules_after(code, tmp_path)
    assert "scheduling.cli.privacy_audit" in modules
    assert "scheduling.cli.audit_browser" not in modules
    assert not {name for name in modules if name.split(".")[0] == "playwright"}


def test_the_wsgi_app_loads_rarely_used_libraries_on_first_use(tmp_path):
    """holidays with dateutil's parser (about 3 MiB; only the public holiday import), argon2
    with cffi (password checks), the XML parser (CalDAV answers) and SQLite's driver for the
    backup command (a PostgreSQL worker would load libsqlite3 for nothing)."""
    lazy = ("holidays", "argon2", "_argon2_cffi_bindings", "_cffi_backend", "pyexpat", "sqlite3")
    modules = _modules_after(
        "import os\nos.environ['DATABASE_URL'] = 'postgresql+psycopg://u@127.0.0.1:1/none'\n"
        "import app",
        tmp_path,
    )
    assert "scheduling" in modules
    assert not {name for name in modules if name.split(".")[0] in lazy}
    after_use = _modules_after(
        "from scheduling.operations import accounts, days_off\n"
        "assert accounts._matches(accounts.hash_password('a long password'), 'a long password')\n"
        "assert not accounts._matches(None, 'rendezvous-no-such-account')\n"
        "assert 'DE' in days_off.supported_countries()",
        tmp_path,
    )
    assert {"argon2", "holidays"} <= after_use
