"""No full client IP address is stored: login attempts and rate-limit counters keep a prefix."""

from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import LoginAttempt, RateLimitCounter
from tests.conftest import login


def test_login_attempts_store_only_the_network_prefix(client, make_user, frozen_now):
    user = make_user()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.57"
    assert login(client, user.email, "nope nope nope").status_code == 400
    client.environ_base["REMOTE_ADDR"] = "2001:db8:1234:5678::1"
    assert login(client, user.email).status_code == 302
    stored = db.session.scalars(select(LoginAttempt.address).order_by(LoginAttempt.id)).all()
    assert stored == ["203.0.113.0/24", "2001:db8:1234::/48"]
    keys = db.session.scalars(select(RateLimitCounter.key)).all()
    assert keys and all("203.0.113.57" not in key and "5678" not in key for key in keys)


def test_lockout_still_works_per_network(client, make_user, frozen_now):
    user = make_user()
    for last in range(5):  # five failures from neighbours in one /24 count together
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{10 + last}"
        assert login(client, user.email, "nope nope nope").status_code == 400
    client.environ_base["REMOTE_ADDR"] = "203.0.113.99"
    assert login(client, user.email).status_code == 429
    client.environ_base["REMOTE_ADDR"] = "198.51.100.1"  # another network is not held up
    assert login(client, user.email).status_code == 302
