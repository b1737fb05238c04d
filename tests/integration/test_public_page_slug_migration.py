"""The migration to host and team pages gives every existing host and team a unique slug."""

from flask_migrate import upgrade
from sqlalchemy import text

from scheduling import create_app
from scheduling.extensions import db

AT = "2026-12-01 10:00:00"


def test_upgrade_fills_unique_slugs_from_names(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(revision="d4b8e2f6a1c9")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name, slug, default_currency, tz, created_at)"
                    " VALUES (1, 'Org', 'org', 'EUR', 'UTC', :at)"
                ),
                {"at": AT},
            )
            for number, name in enumerate(["Anna Müller", "Anna Müller", "李"], 1):
                conn.execute(
                    text(
                        "INSERT INTO hosts (organisation_id, name, email, tz, active, created_at)"
                        " VALUES (1, :name, :email, 'UTC', 1, :at)"
                    ),
                    {"name": name, "email": f"h{number}@example.com", "at": AT},
                )
            conn.execute(
                text(
                    "INSERT INTO pools (organisation_id, name, period, tz, credit_no_shows,"
                    " created_at) VALUES (1, 'Closers DACH', 'week', 'UTC', 0, :at)"
                ),
                {"at": AT},
            )
        upgrade()
        with db.engine.connect() as conn:
            hosts = conn.execute(text("SELECT slug FROM hosts ORDER BY id")).scalars().all()
            pools = conn.execute(text("SELECT slug FROM pools ORDER BY id")).scalars().all()
            hidden = conn.execute(text("SELECT count(*) FROM event_types WHERE hidden")).scalar()
        db.engine.dispose()
    assert hosts == ["anna-muller", "anna-muller-2", "host"]
    assert pools == ["closers-dach"]
    assert hidden == 0
