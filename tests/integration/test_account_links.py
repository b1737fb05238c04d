"""Account link operations: the single use holds when two requests race for the same link."""

import pytest
from sqlalchemy import select, text

from scheduling.extensions import db
from scheduling.models import AccountLink, User
from scheduling.operations import account_links
from scheduling.security.account_links import account_link_token
from tests.conftest import FROZEN_NOW, TEST_SECRET


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_the_second_of_two_racing_uses_loses(app, make_user, role):
    admin = make_user(role="admin")
    link = account_links.invite_user(
        admin, "Nina", "nina@example.com", role, None, FROZEN_NOW, new_host=role == "rep"
    )
    db.session.commit()
    token = account_link_token(TEST_SECRET, link.id, link.nonce, "invite")
    # Both requests found the link pending ...
    mine = account_links.find_link(TEST_SECRET, link.id, token, FROZEN_NOW)
    assert mine.used_at is None
    # ... and the other one's use reached the row first (behind the ORM's back, as a concurrent
    # transaction's would: the object in this session still says "unused").
    db.session.execute(
        text("UPDATE account_links SET used_at = created_at WHERE id = :id"), {"id": link.id}
    )
    assert mine.used_at is None
    with pytest.raises(account_links.LinkUnusable) as raised:
        account_links.use_link(mine, "a long enough password", FROZEN_NOW)
    assert raised.value.reason == "used"
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "nina@example.com")) is None


def test_a_link_is_found_only_with_its_token(app, make_user):
    admin = make_user(role="admin")
    link = account_links.send_password_link(admin, admin, FROZEN_NOW)
    db.session.commit()
    good = account_link_token(TEST_SECRET, link.id, link.nonce, "password")
    assert account_links.find_link(TEST_SECRET, link.id, good, FROZEN_NOW) is link
    for token in (account_link_token(TEST_SECRET, link.id, link.nonce, "invite"), good[:-1]):
        with pytest.raises(account_links.LinkUnusable):
            account_links.find_link(TEST_SECRET, link.id, token, FROZEN_NOW)
    (stored,) = db.session.scalars(select(AccountLink))
    assert good not in (stored.nonce, str(stored.__dict__))
