"""Configuration that cannot be wrong silently: secrets stay text; booking answers are built
before the commit, so nothing that can fail runs after a booking exists."""

import pytest
from sqlalchemy import func, select

from scheduling import create_app
from scheduling.config import DEFAULT_SECRET_KEY, config_problems
from scheduling.extensions import db
from scheduling.models import Booking

DIGITS = "12345678901234567890123456789012345678"


def booking_count() -> int:
    db.session.rollback()  # see only what was committed
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_secrets_and_text_settings_from_the_environment_stay_strings(monkeypatch):
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", DIGITS)
    monkeypatch.setenv("RENDEZVOUS_MAIL_PASSWORD", "true")
    monkeypatch.setenv("RENDEZVOUS_WEBHOOK_TOKEN", "[1, 2]")
    monkeypatch.setenv("RENDEZVOUS_MAIL_HOST", "12345")
    monkeypatch.setenv("RENDEZVOUS_MAX_RANGE_DAYS", "31")
    monkeypatch.setenv("RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE", "true")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == DIGITS
    assert app.config["MAIL_PASSWORD"] == "true"
    assert app.config["WEBHOOK_TOKEN"] == "[1, 2]"
    assert app.config["MAIL_HOST"] == "12345"
    assert app.config["MAX_RANGE_DAYS"] == 31  # numbers and flags are still parsed
    assert app.config["WEBHOOK_ALLOW_PRIVATE"] is True


@pytest.mark.parametrize(
    ("key", "url", "problems"),
    [
        ("k" * 32, "https://book.example.eu", []),
        (DIGITS, "http://127.0.0.1:8000", []),
        ("", "https://b.eu", ["SECRET_KEY is not set (RENDEZVOUS_SECRET_KEY)"]),
        ("x", "https://b.eu", ["SECRET_KEY has 1 bytes"]),
        ("é" * 15, "https://b.eu", ["SECRET_KEY has 30 bytes"]),
        (DEFAULT_SECRET_KEY, "https://b.eu", ["SECRET_KEY is the built-in default"]),
        (12345, "https://b.eu", ["SECRET_KEY is not set"]),
        ("k" * 32, "", ["PUBLIC_URL is not set"]),
        ("k" * 32, "book.example.eu", ["PUBLIC_URL 'book.example.eu' is not an http(s) origin"]),
    ],
)
def test_config_problems_name_each_unfit_setting(key, url, problems):
    found = config_problems({"SECRET_KEY": key, "PUBLIC_URL": url})
    assert len(found) == len(problems)
    for line, start in zip(found, problems, strict=True):
        assert line.startswith(start)


def book(client, event_type):
    return client.post(
        "/api/v1/bookings",
        json={
            "event_type": event_type.slug,
            "start": "2030-01-08T09:00:00+01:00",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "timezone": "Europe/Berlin",
        },
    )


def test_all_digit_key_books_through_the_api(monkeypatch, app, client, make_event_type, frozen_now):
    event_type = make_event_type()
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", DIGITS)
    app.config["SECRET_KEY"] = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config[
        "SECRET_KEY"
    ]
    response = book(client, event_type)
    assert response.status_code == 201, response.text
    assert client.get(response.get_json()["url"]).status_code == 200
    assert booking_count() == 1


def test_a_failure_while_building_the_answer_leaves_no_booking(
    app, client, make_event_type, frozen_now
):
    """The old symptom: an integer key broke the links after the commit (500, booking kept)."""
    event_type = make_event_type()
    app.config["SECRET_KEY"] = int(DIGITS)
    assert book(client, event_type).status_code == 500
    assert booking_count() == 0
