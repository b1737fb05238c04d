"""Login throttling per address: an attacker cannot lock the real owner out (issue 12).

Before: five wrong passwords for a known admin email locked that account for everyone,
its owner included.
"""

import pyotp

from scheduling.extensions import db
from scheduling.operations.accounts import enable_totp
from tests.conftest import FROZEN_NOW, TEST_SECRET, login

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(app, make_user, frozen_now):
    user = make_user(role="admin")
    attacker = client_from(app, ATTACKER)
    for _ in range(5):
        assert login(attacker, user.email, "nope nope nope").status_code == 400
    refused = login(attacker, user.email)  # even the right password waits, from that address
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    owner = client_from(app, OWNER)
    assert login(owner, user.email).status_code == 302
    assert owner.get("/admin/").status_code == 200


def test_failures_from_one_address_for_many_accounts_are_limited(app, make_user, frozen_now):
    user = make_user()
    attacker = client_from(app, ATTACKER)
    for number in range(20):
        assert login(attacker, f"guess{number}@example.com", "nope nope nope").status_code == 400
    refused = login(attacker, user.email)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert login(client_from(app, OWNER), user.email).status_code == 302


def _distributed_attack(app, email: str) -> None:
    # Ten bots in ten networks: addresses are counted per /24 (only the prefix is stored).
    for bot in range(10):
        client = client_from(app, f"10.{bot + 1}.0.7")
        for _ in range(5):
            assert login(client, email, "nope nope nope").status_code == 400


def test_distributed_attack_still_lets_the_owner_in_with_two_factor(app, make_user, frozen_now):
    user = make_user(role="admin")
    secret = pyotp.random_base32()
    enable_totp(user, secret, pyotp.TOTP(secret).at(FROZEN_NOW), TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    _distributed_attack(app, user.email)
    newcomer = client_from(app, "10.200.0.7")
    guess = login(newcomer, user.email, "another guess")
    assert guess.status_code == 429 and "too many failed logins" in guess.text
    owner = client_from(app, OWNER)
    step = login(owner, user.email)
    assert step.status_code == 302 and step.headers["Location"] == "/admin/login/code"
    code_page = owner.get("/admin/login/code")
    csrf = code_page.text.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    done = owner.post(
        "/admin/login/code", data={"code": pyotp.TOTP(secret).at(FROZEN_NOW), "csrf_token": csrf}
    )
    assert done.status_code == 302
    assert owner.get("/admin/").status_code == 200


def test_distributed_attack_answers_the_same_for_right_and_wrong_passwords(
    app, make_user, frozen_now
):
    user = make_user(role="admin")
    _distributed_attack(app, user.email)
    right = login(client_from(app, OWNER), user.email)
    wrong = login(client_from(app, OWNER), user.email, "another guess")
    assert right.status_code == wrong.status_code == 429
    assert "two-factor" in right.text and "two-factor" in wrong.text
