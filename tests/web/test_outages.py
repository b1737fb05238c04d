"""Database outages for real: the app reaches its database through a loopback TCP proxy
(PostgreSQL) or a directory link (SQLite) that the test cuts and restores.

While cut: 503 with Retry-After, JSON under /api/, a short page elsewhere, no traceback, and a
bounded number of log lines however many requests fail. Restored: the app serves again by itself.
"""

import logging

import pytest

from scheduling.web.outages import LogThrottle
from tests.conftest import login
from tests.db_outage import database_outage


@pytest.fixture
def outage(app, tmp_path, frozen_now):
    with database_outage(tmp_path, OUTAGE_LOG_SECONDS=3600, OUTAGE_RETRY_AFTER_SECONDS=7) as cut:
        yield cut


def outage_lines(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name.startswith("scheduling") and record.levelno >= logging.WARNING
    ]


def test_an_outage_answers_503_logs_little_and_heals(
    app, outage, make_event_type, make_user, caplog
):
    event_type = make_event_type(slug="intro")
    admin = make_user(role="admin", org=event_type.organisation)
    client = outage.app.test_client()
    assert login(client, admin.email).status_code == 302
    api = "/api/v1/event-types/intro/slots?start=2030-01-08&end=2030-01-08&timezone=UTC"
    pages = ["/book/intro", "/admin/bookings"]
    assert client.get(api).status_code == 200
    assert all(client.get(page).status_code == 200 for page in pages)

    outage.cut()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(25):
            answer = client.get(api)
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "7"
            assert answer.json["error"] == "unavailable"
            assert answer.json["message"]
            for page in pages:
                answer = client.get(page)
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"] == "7"
                assert answer.mimetype == "text/html"
                assert "Briefly unavailable" in answer.text
                assert "Traceback" not in answer.text
    lines = outage_lines(caplog)
    # 75 failed requests: one line per kind of failure (the first request may meet a dropped
    # connection, the next ones a refused one), never a traceback.
    assert 1 <= len(lines) <= 2, [record.getMessage() for record in lines]
    assert all(record.exc_info is None for record in lines)
    assert all("Database unavailable" in record.getMessage() for record in lines)

    outage.restore()
    answer = client.get(api)
    assert answer.status_code == 200, answer.text
    assert answer.json["slots"]
    assert all(client.get(page).status_code == 200 for page in pages)


def test_a_booking_post_during_an_outage_is_a_503_and_stores_nothing(app, outage, make_event_type):
    make_event_type(slug="intro")
    client = outage.app.test_client()
    outage.cut()
    body = {
        "event_type": "intro",
        "start": "2030-01-08T09:00:00+00:00",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "timezone": "UTC",
    }
    answer = client.post("/api/v1/bookings", json=body)
    assert answer.status_code == 503
    assert answer.json["error"] == "unavailable"
    outage.restore()
    listed = client.post("/api/v1/bookings", json=body)
    assert listed.status_code == 201, listed.text


def test_the_throttle_lets_one_line_per_kind_and_interval_through():
    now = [0.0]
    throttle = LogThrottle(30, monotonic=lambda: now[0])
    assert throttle.allow("OperationalError") == 0
    assert throttle.allow("InterfaceError") == 0
    assert [throttle.allow("OperationalError") for _ in range(5)] == [None] * 5
    now[0] = 29.9
    assert throttle.allow("OperationalError") is None
    now[0] = 30.0
    assert throttle.allow("OperationalError") == 6  # the line says how many were left out
    assert throttle.allow("OperationalError") is None
    now[0] = 100.0
    assert throttle.allow("OperationalError") == 1


def test_the_503_page_is_short_and_has_no_inline_script(app, outage):
    client = outage.app.test_client()
    outage.cut()
    answer = client.get("/book/anything")
    assert answer.status_code == 503
    assert "<script" not in answer.text
    assert len(answer.data) < 2000
    assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]
