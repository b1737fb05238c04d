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


def _insert(conn, table: str, **values) -> int:
    """A row with the given values and a placeholder in every other required column."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    for column in inspect(conn).get_columns(table):
        name, kind = column["name"], column["type"]
        if name in values or name == "id" or column["nullable"] or column.get("default"):
            continue
        if isinstance(kind, sa.Boolean):
            values[name] = False
        elif isinstance(kind, sa.Integer | sa.Numeric):
            values[name] = 1
        elif "time" in str(kind).lower() or name.endswith("_at"):
            values[name] = datetime(2030, 1, 1, tzinfo=UTC)
        else:
            values[name] = f"{table}-{name}"[: getattr(kind, "length", None) or 100]
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)
    return conn.execute(text(f"SELECT max(id) FROM {table}")).scalar()


def test_existing_event_types_get_one_location_of_their_kind(empty_db_url):
    """The locations migration: each event type offers its old kind, with its detail."""
    import json

    from flask_migrate import downgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade(revision="d4b8e2f6a1c9")
        with db.engine.begin() as conn:
            org = _insert(conn, "organisations", slug="org", default_currency="EUR")
            host = _insert(conn, "hosts", organisation_id=org, tz="UTC")
            old = {
                "video": ("video", "ignored"),
                "phone": ("phone", "+49 30 1234567"),
                "office": ("in_person", "Hauptstr. 1"),
            }
            ids = {}
            for slug, (kind, detail) in old.items():
                ids[slug] = _insert(
                    conn,
                    "event_types",
                    organisation_id=org,
                    slug=slug,
                    location_kind=kind,
                    location_detail=detail,
                    active=True,
                    layout="standard",
                )
            _insert(
                conn,
                "bookings",
                organisation_id=org,
                event_type_id=ids["phone"],
                host_id=host,
                uid="b1",
                status="cancelled",
                location_kind="phone",
                location="+49 30 1234567",
                start_at="2030-01-01 09:00:00.000000+00:00",
                end_at="2030-01-01 09:30:00.000000+00:00",
                occupied_from="2030-01-01 09:00:00.000000+00:00",
                occupied_until="2030-01-01 09:30:00.000000+00:00",
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT slug, locations FROM event_types")).all())
            kinds = conn.execute(text("SELECT location_kind FROM bookings")).scalars().all()
        offered = {
            slug: json.loads(value) if isinstance(value, str) else value
            for slug, value in rows.items()
        }
        assert offered == {
            "video": [{"kind": "video", "detail": ""}],
            "phone": [{"kind": "host_phone", "detail": "+49 30 1234567"}],
            "office": [{"kind": "in_person", "detail": "Hauptstr. 1"}],
        }
        assert kinds == ["host_phone"]
        downgrade(revision="d4b8e2f6a1c9")
        with db.engine.connect() as conn:
            back = conn.execute(
                text("SELECT slug, location_kind, location_detail FROM event_types ORDER BY id")
            ).all()
            kinds = conn.execute(text("SELECT location_kind FROM bookings")).scalars().all()
        db.engine.dispose()
    assert [tuple(row) for row in back] == [
        ("video", "video", ""),
        ("phone", "phone", "+49 30 1234567"),
        ("office", "in_person", "Hauptstr. 1"),
    ]
    assert kinds == ["phone"]
