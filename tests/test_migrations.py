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
