"""/healthz and /readyz, the worker heartbeat on the outbox page, and `rendezvous check`."""

from datetime import timedelta

from sqlalchemy import select

from scheduling import create_app
from scheduling.delivery.worker import Worker
from scheduling.extensions import db
from scheduling.models import WorkerHeartbeat
from tests.conftest import TEST_SECRET

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"


def test_healthz_answers_without_a_database_and_without_cookies():
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE, "SECRET_KEY": TEST_SECRET})
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_database_is_unreachable():
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE, "SECRET_KEY": TEST_SECRET})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "reason": "database unreachable"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_until_migrations_are_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "migrations not at head"


def test_readyz_is_200_at_head(client, stamped):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_the_worker_beats_on_every_loop(app, moving_clock):
    worker = Worker(app, worker_id="box:42:abc")
    worker.run_once()
    first = db.session.get(WorkerHeartbeat, "box:42:abc")
    assert first.beat_at == moving_clock.now and first.started_at == moving_clock.now
    moving_clock.now += timedelta(seconds=7)
    worker.run_once()
    db.session.expire_all()
    beats = db.session.scalars(select(WorkerHeartbeat)).all()
    assert [(b.worker_id, b.beat_at) for b in beats] == [("box:42:abc", moving_clock.now)]


def test_heartbeats_of_workers_gone_for_a_week_are_forgotten(app, moving_clock):
    Worker(app, worker_id="old").run_once()
    moving_clock.now += timedelta(days=8)
    Worker(app, worker_id="new").run_once()
    db.session.expire_all()
    assert [b.worker_id for b in db.session.scalars(select(WorkerHeartbeat))] == ["new"]


def test_outbox_page_shows_the_heartbeat_and_warns_when_stale(app, client, login_as, moving_clock):
    login_as("admin")
    page = client.get("/admin/outbox").text
    assert "No worker has reported yet" in page
    Worker(app, worker_id="box:7:beef").run_once()
    page = client.get("/admin/outbox").text
    assert "Last worker heartbeat: 2030-01-07 08:00:00 UTC (box:7:beef)." in page
    moving_clock.now += timedelta(minutes=6)
    page = client.get("/admin/outbox").text
    assert "No worker has reported since 2030-01-07 08:00:00 UTC (box:7:beef)" in page


def check_lines(runner) -> tuple[int, dict[str, str]]:
    result = runner.invoke(args=["rendezvous", "check"])
    lines = {}
    for line in result.output.splitlines():
        state, name = line[:5].strip(), line[6:17].strip()
        lines[name] = state
    return result.exit_code, lines


def test_check_fails_when_migrations_are_not_at_head(runner):
    code, lines = check_lines(runner)
    assert code == 1
    assert lines["database"] == "ok" and lines["migrations"] == "FAIL"


def test_check_prints_one_line_per_setting(app, runner, stamped, moving_clock):
    code, lines = check_lines(runner)
    assert code == 0  # outside production a short key and mail to files are warnings
    assert list(lines) == [
        "database",
        "migrations",
        "mail",
        "public url",
        "secret key",
        "worker",
        "production",
    ]
    assert lines["worker"] == "warn"  # no heartbeat yet
    Worker(app, worker_id="w1").run_once()
    result = runner.invoke(args=["rendezvous", "check"])
    assert "ok    worker      last heartbeat w1, 2030-01-07 08:00:00 UTC, 0 s ago" in result.output


def test_check_fails_on_a_weak_key_in_production(app, runner, stamped):
    app.config.update(PRODUCTION=True, PUBLIC_URL="https://book.example.eu")
    code, lines = check_lines(runner)
    assert code == 1
    assert lines["secret key"] == "FAIL" and lines["public url"] == "ok"
    app.config["SECRET_KEY"] = "k" * 40
    code, lines = check_lines(runner)
    assert code == 0 and lines["secret key"] == "ok"
