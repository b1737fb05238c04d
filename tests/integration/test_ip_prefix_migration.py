"""The migration to IP prefixes shortens login attempts already stored with a full address."""

from flask_migrate import upgrade
from sqlalchemy import text

from scheduling import create_app
from scheduling.extensions import db


def test_upgrade_shortens_stored_addresses(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(revision="b7d4e1f9a2c6")
        with db.engine.begin() as conn:
            for address in ("203.0.113.57", "2001:db8:1234:5678::1", "unknown"):
                conn.execute(
                    text(
                        "INSERT INTO login_attempts (email, address, success, created_at) "
                        "VALUES ('a@example.com', :a, 0, '2026-12-01 10:00:00')"
                    ),
                    {"a": address},
                )
            conn.execute(
                text(
                    "INSERT INTO rate_limit_counters (key, window, count, expires_at) "
                    "VALUES ('login:203.0.113.57', 1, 1, '2026-12-01 10:00:00')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT address FROM login_attempts ORDER BY id")).all()
            counters = conn.execute(text("SELECT count(*) FROM rate_limit_counters")).scalar()
        db.engine.dispose()
    assert [row[0] for row in stored] == ["203.0.113.0/24", "2001:db8:1234::/48", "unknown"]
    assert counters == 0
