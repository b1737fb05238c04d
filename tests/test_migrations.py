"""Migrations: one head, and `upgrade` on an empty database builds exactly the models."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from scheduling import ROOT, create_app
from scheduling.extensions import db

PG_URL = os.environ.get("DATABASE_URL", "")


def test_one_head():
    from alembic.config import Config

    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def empty_db_url(tmp_path):
    if not PG_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    # A scratch schema on the test server, so the suite's own tables are untouched.
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3Dmigration_check,public"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
    engine.dispose()


def test_upgrade_on_an_empty_database_matches_the_models(empty_db_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            names = inspect(conn).get_table_names()
            if conn.dialect.name == "sqlite":
                guards = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
            else:
                guards = conn.execute(
                    text(
                        "SELECT conname FROM pg_constraint JOIN pg_namespace n "
                        "ON n.oid = connamespace WHERE contype = 'x' AND nspname = current_schema()"
                    )
                ).scalars()
            guards = set(guards)
        db.engine.dispose()
    assert diff == []
    assert {"bookings", "hosts", "event_types", "organisations"} <= set(names)
    assert guards & {"tr_bookings_no_overlap_insert", "ex_bookings_host_overlap"}


def test_downgrade_and_upgrade_keep_the_data(empty_db_url):
    """Batch operations recreate tables on SQLite; rows pointing at them must survive."""
    from flask_migrate import downgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade()
        from datetime import UTC, datetime

        from scheduling.models import Host, Organisation

        now = datetime(2030, 1, 1, tzinfo=UTC)
        org = Organisation(name="Org", slug="org", default_currency="EUR", created_at=now)
        db.session.add(
            Host(organisation=org, name="Ann", email="a@example.com", tz="UTC", created_at=now)
        )
        db.session.commit()
        db.session.remove()
        downgrade(revision="3f1c93043fd0")  # drops organisations.feed_busy_only among others
        upgrade()
        with db.engine.connect() as conn:
            hosts = conn.execute(text("SELECT count(*) FROM hosts")).scalar()
            keys = (
                conn.execute(text("PRAGMA foreign_keys")).scalar()
                if conn.dialect.name == "sqlite"
                else 1
            )
        db.engine.dispose()
    assert hosts == 1
    assert keys == 1  # switched back on after migrating
