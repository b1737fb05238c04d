"""Rate limits per client address on public posts, the consent log and login (issue 12).

Counted in the database, so two app processes on one database agree; over the limit the answer
is 429 with Retry-After (JSON under /api/ and /embed/, a short page elsewhere) and nothing of
the request is done.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from scheduling import clock, create_app
from scheduling.extensions import db
from scheduling.models import Booking, ConsentRecord, Lead, RateLimitCounter
from scheduling.operations.rate_limits import hit, purge_rate_limit_counters
from scheduling.security.rate_windows import Limit
from tests.conftest import FROZEN_NOW, _config
from tests.web.test_embed_flow import allow, log_consent  # noqa: F401 (the fixture)
from tests.web.test_public_flow import book_via_form, form_token
from tests.web.test_routing_flow import (  # noqa: F401 (the fixture)
    qualify_via_page,
    setup,
)

SLOT = "2030-01-08T09:00:00+00:00"
OTHER_ADDRESS = "198.51.100.23"


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type()


@pytest.fixture
def move_clock(monkeypatch, frozen_now):
    def move(delta: timedelta):
        monkeypatch.setattr(clock, "utcnow", lambda: FROZEN_NOW + delta)

    return move


def api_book(client, event_type, start=SLOT, **kw):
    body = {"event_type": event_type.slug, "start": start, "name": "Ada", "email": "a@ex.org"}
    return client.post("/api/v1/bookings", json=body, **kw)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def other_client(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = OTHER_ADDRESS
    return client


def test_booking_api_is_limited_per_address(app, client, event_type, move_clock):
    for _ in range(20):
        assert client.post("/api/v1/bookings", json={}).status_code == 400
    refused = api_book(client, event_type)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20 * 60
    assert count(Booking) == 0  # nothing of the refused request was done
    assert api_book(other_client(app), event_type).status_code == 201  # another address
    move_clock(timedelta(minutes=20))  # both windows have slid out
    assert api_book(client, event_type, start="2030-01-08T10:00:00+00:00").status_code == 201


def test_retry_after_is_honest(client, event_type, move_clock):
    for _ in range(21):
        last = client.post("/api/v1/bookings", json={})
    wait = int(last.headers["Retry-After"])
    move_clock(timedelta(seconds=wait))
    assert api_book(client, event_type).status_code == 201


def test_booking_form_and_qualification_get_a_short_page(client, setup):  # noqa: F811
    for _ in range(20):
        assert client.post(f"/book/{setup['slug']}/qualify", data={}).status_code == 400
    refused = qualify_via_page(client, setup["slug"], {"full_name": "Grace"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Too many requests" in refused.text and refused.headers["Retry-After"]
    assert count(Lead) == 0


def test_booking_form_post_is_limited(client, event_type):
    for _ in range(20):
        client.post(f"/book/{event_type.slug}/confirm", data={"start": "nope"})
    refused = client.post(f"/book/{event_type.slug}/confirm", data={"start": SLOT})
    assert refused.status_code == 429 and refused.mimetype == "text/html"


def test_cancel_by_link_is_limited(app, client, event_type):
    _, cancel, _ = book_via_form(other_client(app), event_type)
    page = client.get(cancel)
    for _ in range(20):
        assert client.post(cancel, data={"form_token": "forged"}).status_code == 400
    refused = client.post(cancel, data={"form_token": form_token(page.text)})
    assert refused.status_code == 429
    db.session.rollback()
    assert db.session.scalar(select(Booking.status)) == "confirmed"


def test_consent_log_is_limited_with_json(client, event_type, allow):  # noqa: F811
    allow("https://shop.example")
    for _ in range(60):
        assert client.post("/embed/consent", json=[]).status_code == 400
    refused = log_consent(client, event_type)
    assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
    assert refused.headers["Retry-After"]
    assert count(ConsentRecord) == 0


def test_login_posts_are_limited_per_address(app, client, make_user):
    user = make_user()
    for _ in range(30):
        assert client.post("/admin/login", data={}).status_code == 400
    page = client.get("/admin/login")  # reading the page is not limited
    assert page.status_code == 200
    refused = client.post("/admin/login", data={"email": user.email, "password": "x"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_two_app_processes_share_the_count(app, client, event_type):
    """Two apps (own engines and pools, as two gunicorn workers) on one database agree."""
    second = create_app(_config(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        other = second.test_client()
        answers = [
            (client if number % 2 else other).post("/api/v1/bookings", json={}).status_code
            for number in range(20)
        ]
        assert set(answers) == {400}
        assert other.post("/api/v1/bookings", json={}).status_code == 429
        assert client.post("/api/v1/bookings", json={}).status_code == 429
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_limits_are_configurable_and_can_be_switched_off(app, event_type):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    for config, statuses in (
        ({"RATE_LIMIT_API": "2/1m"}, [401, 401, 429]),
        ({"RATE_LIMIT_API": "off"}, [401, 401, 401]),
        ({"RATE_LIMIT_API": "2/1m", "RATE_LIMIT_ENABLED": False}, [401, 401, 401]),
    ):
        other = create_app(_config(SQLALCHEMY_DATABASE_URI=url, **config))
        try:
            client = other.test_client()
            client.environ_base["REMOTE_ADDR"] = f"192.0.2.{len(config)}{statuses[-1] % 10}"
            answers = [
                client.post("/api/v1/bookings/x/cancel", json={}).status_code for _ in range(3)
            ]
            assert answers == statuses, config
        finally:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.mark.parametrize("spec", ["twenty", "0/10m", "20/10"])
def test_a_bad_limit_stops_the_app_with_the_setting_name(spec):
    with pytest.raises(ValueError, match="RENDEZVOUS_RATE_LIMIT_BOOKING"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATE_LIMIT_BOOKING": spec})


def test_old_windows_are_purged(app):
    limit = Limit(5, 60)
    hit("booking:192.0.2.1", limit, FROZEN_NOW)
    hit("booking:192.0.2.1", limit, FROZEN_NOW + timedelta(seconds=90))
    hit("booking:192.0.2.2", limit, FROZEN_NOW + timedelta(seconds=170))
    db.session.commit()
    assert count(RateLimitCounter) == 3
    # At 170 s the window of 0-60 s no longer weighs in; the one of 60-120 s still does.
    assert purge_rate_limit_counters(FROZEN_NOW + timedelta(seconds=170)) == 1
    db.session.commit()
    keys = db.session.execute(select(RateLimitCounter.key, RateLimitCounter.count)).all()
    assert sorted(keys) == [("booking:192.0.2.1", 1), ("booking:192.0.2.2", 1)]


def test_the_openapi_document_lists_429(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "429" in paths["/bookings"]["post"]["responses"]
    assert "Retry-After" in paths["/bookings"]["post"]["responses"]["429"]["headers"]
