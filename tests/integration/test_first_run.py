"""The README's Production steps, run as written: an empty database to a first booking and email.

The `sh` blocks of the README's "Production" section are the script: every command runs in a
subprocess (the long-running ones, gunicorn and the worker, in the background), against a fresh
database (a new PostgreSQL database when DATABASE_URL names one, else a SQLite file) with the
settings of the README's `ini` block. Then the admin UI (HTTP, as an operator would) gets a host
with hours and an event type, the public API books it, and the worker's confirmation email must
reach a real SMTP server on loopback. If the README and the code drift, this fails.
"""

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from aiosmtpd.controller import Controller

from tests.outbox_fixtures import SmtpSink, _free_port

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("DATABASE_URL", "")
ADMIN_PASSWORD = "first-run passphrase 42"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def production_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Production\n")
    # The walk-through ends at the next heading; subsections (backups ...) are not first-run steps.
    following = re.compile(r"^##+ ", re.M).search(text, start + len("\n## Production\n"))
    return text[start : following.start() if following else None]


def fenced(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.M | re.S)


def readme_commands() -> list[str]:
    """Every command of the section's `sh` blocks, in order (continuation lines joined)."""
    commands = []
    for block in fenced(production_section(), "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def readme_settings() -> list[str]:
    """The variable names the README tells the operator to set."""
    (block,) = [b for b in fenced(production_section(), "ini") if "RENDEZVOUS_PRODUCTION" in b]
    return [line.split("=", 1)[0] for line in block.splitlines() if "=" in line]


def is_server(command: str) -> bool:
    return "gunicorn" in command or ("rendezvous worker" in command and "--once" not in command)


@pytest.fixture
def database(tmp_path):
    """A fresh, empty database, as step 1 leaves it; dropped afterwards."""
    if not PG_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'first-run.db'}"
        return
    import psycopg

    parts = urlsplit(PG_URL)
    name = parts.path.lstrip("/") + "_firstrun"
    plain = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql", path=f"/{name}"))) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # step 1, as the superuser
        c.commit()
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def smtp():
    sink = SmtpSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


class Operator:
    """An HTTP client that keeps the admin session cookie as a browser would behind TLS.

    The cookie is `Secure` in production; the test talks plain http on loopback, so the cookie
    is carried by hand instead of by a cookie jar (which would drop it).
    """

    def __init__(self, base: str):
        self.base = base
        self.cookie = ""

    def _keep(self, response):
        value = response.cookies.get("rendezvous_session")
        if value:
            self.cookie = value
        return response

    def get(self, path: str, **kw):
        headers = {"Cookie": f"rendezvous_session={self.cookie}"} if self.cookie else {}
        return self._keep(
            requests.get(self.base + path, headers=headers, allow_redirects=False, timeout=30, **kw)
        )

    def post_form(self, path: str, data: dict, page: str | None = None):
        token = CSRF_RE.search(self.get(page or path).text).group(1)
        headers = {"Cookie": f"rendezvous_session={self.cookie}"} if self.cookie else {}
        return self._keep(
            requests.post(
                self.base + path,
                data={**data, "csrf_token": token},
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
        )


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_readme_production_steps_reach_a_first_booking(database, smtp, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENDEZVOUS_", "FLASK_"))}
    env.pop("DATABASE_URL", None)
    settings = {
        "RENDEZVOUS_PRODUCTION": "true",
        "RENDEZVOUS_SECRET_KEY": secrets.token_urlsafe(48),
        "RENDEZVOUS_PUBLIC_URL": base,
        "DATABASE_URL": database,
        "RENDEZVOUS_MAIL_HOST": smtp.host,
        "RENDEZVOUS_MAIL_PORT": str(smtp.port),
        "RENDEZVOUS_MAIL_USERNAME": "",  # the loopback server takes no login
        "RENDEZVOUS_MAIL_PASSWORD": "",
        "RENDEZVOUS_MAIL_FROM": "Example Bookings <bookings@example.test>",
    }
    assert sorted(readme_settings()) == sorted(settings), "README settings and this test differ"
    env.update(settings)
    env["RENDEZVOUS_MAIL_SECURITY"] = "none"  # loopback SMTP without TLS (README: starttls)
    env["RENDEZVOUS_ADMIN_PASSWORD"] = ADMIN_PASSWORD  # instead of typing it at the prompt

    commands = readme_commands()
    assert any("db upgrade" in c for c in commands) and any(
        "rendezvous init" in c for c in commands
    )
    assert any("rendezvous check" in c for c in commands) and sum(map(is_server, commands)) == 2
    servers: list[subprocess.Popen] = []
    outputs: dict[str, str] = {}
    try:
        for command in commands:
            command = command.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            if is_server(command):
                with (tmp_path / f"server-{len(servers)}.log").open("wb") as log:
                    servers.append(
                        subprocess.Popen(
                            shlex.split(command),
                            cwd=ROOT,
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
                continue
            done = subprocess.run(
                command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            outputs[command] = done.stdout
        init = next(c for c in commands if "rendezvous init" in c)
        assert "Created organisation 'Example Sales' (Europe/Berlin)" in outputs[init]
        check = next(c for c in commands if "rendezvous check" in c)
        assert "ok    migrations" in outputs[check] and "ok    secret key" in outputs[check]

        def ready():
            try:
                return requests.get(f"{base}/readyz", timeout=5).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # workers still booting
                assert all(p.poll() is None for p in servers), "a server exited"
                return False

        wait_until(ready, 60, "gunicorn to answer /readyz")
        health = requests.get(f"{base}/healthz", timeout=5)
        assert health.json() == {"status": "ok"} and "Set-Cookie" not in health.headers

        # Step 5 through the admin UI: sign in, a host with hours, an event type.
        admin = Operator(base)
        login = admin.post_form(
            "/admin/login", {"email": "admin@example.eu", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 302, login.text
        new_host = admin.get("/admin/hosts/new").text
        assert '<option selected value="Europe/Berlin">' in new_host or re.search(
            r'<option[^>]*value="Europe/Berlin"[^>]*selected', new_host
        )
        created = admin.post_form(
            "/admin/hosts/new",
            {"name": "Hanna Host", "email": "hanna@example.eu", "tz": "Europe/Berlin"},
        )
        assert created.status_code == 302, created.text
        hours_url = urlsplit(created.headers["Location"]).path
        week = dict.fromkeys(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            "00:00-24:00",
        )
        saved = admin.post_form(hours_url, {"tz": "Europe/Berlin", **week})
        assert saved.status_code == 302, saved.text
        host_id = re.search(r"/hosts/(\d+)/", hours_url).group(1)
        event_type = {
            "title": "Intro call",
            "slug": "intro-call",
            "description": "",
            "duration": "30",
            "step": "30",
            "buffer_before": "0",
            "buffer_after": "0",
            "min_notice": "60",
            "horizon_days": "30",
            "daily_limit": "",
            "location_kinds": ["host_phone"],
            "location_host_phone": "+49 30 1234567",
            "active": "y",
            "host_ids": [host_id],
            "routing_form_id": "",
            "pool_id": "",
        }
        made = admin.post_form("/admin/event-types/new", event_type)
        assert made.status_code == 302, made.text

        # A visitor books it through the public API.
        today = datetime.now(UTC).date()
        slots = requests.get(
            f"{base}/api/v1/event-types/intro-call/slots",
            params={"start": str(today), "end": str(today + timedelta(days=2))},
            timeout=30,
        ).json()
        first = slots["slots"][0] if isinstance(slots, dict) else slots[0]
        booked = requests.post(
            f"{base}/api/v1/bookings",
            json={
                "event_type": "intro-call",
                "start": first,
                "name": "Vera Visitor",
                "email": "vera@example.org",
                "timezone": "Europe/Berlin",
            },
            timeout=30,
        )
        assert booked.status_code == 201, booked.text
        assert booked.json()["url"].startswith(base + "/booking/")

        mail = wait_until(lambda: smtp.to("vera@example.org"), 90, "the confirmation email")
        message = mail[0].message
        assert "Intro call" in message["Subject"]
        assert booked.json()["url"] in message.get_body(("plain",)).get_content()

        # The worker's heartbeat is visible to `check`; `init` again changes nothing.
        def beat_seen():
            again = subprocess.run(
                check, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
            )
            return again.returncode == 0 and "ok    worker" in again.stdout

        wait_until(beat_seen, 60, "a worker heartbeat in `rendezvous check`")
        again = subprocess.run(
            init, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0 and "nothing changed" in again.stdout
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        for log in sorted(tmp_path.glob("server-*.log")):
            sys.stdout.write(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n")
