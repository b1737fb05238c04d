"""`flask rendezvous backup` and `restore`: back up, change, restore, and find the backup's data.

SQLite always; PostgreSQL when DATABASE_URL names one, in a scratch database created and dropped
here (a restore replaces everything, so it must not touch the shared test database).
"""

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from scheduling import create_app
from scheduling.extensions import db
from scheduling.models import Booking, OutboxMessage
from tests.conftest import PG_URL, USE_PG, _config, reset_schema
from tests.integration.test_double_booking import raw_booking


def _counts() -> dict[str, int]:
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _row(booking_id: int) -> dict:
    db.session.rollback()
    return dict(
        db.session.execute(select(Booking.__table__).where(Booking.id == booking_id)).one()._mapping
    )


def _round_trip(app, tmp_path):
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["rendezvous", "demo"])
    assert loaded.exit_code == 0, loaded.output
    before = _counts()
    assert before["bookings"] >= 5 and before["outbox_messages"] > 0
    booking_id = db.session.scalars(select(Booking.id).order_by(Booking.id)).first()
    kept = _row(booking_id)
    path = tmp_path / "rendezvous.backup"

    done = runner.invoke(args=["rendezvous", "backup", str(path)])
    assert done.exit_code == 0, done.output
    assert "Backup written" in done.output and path.stat().st_size > 0
    again = runner.invoke(args=["rendezvous", "backup", str(path)])
    assert again.exit_code != 0 and "exists already" in again.output

    # Change: cancel the booking, add another, drop the outbox.
    booking = db.session.get(Booking, booking_id)
    booking.status, booking.cancel_reason = "cancelled", "changed after the backup"
    start = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    db.session.add(raw_booking(booking.event_type, booking.host, start))
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    assert _counts() != before

    refused = runner.invoke(args=["rendezvous", "restore", str(path)], input="n\n")
    assert refused.exit_code != 0 and "Aborted" in refused.output
    assert _row(booking_id)["status"] == "cancelled"  # nothing changed without a yes

    restored = runner.invoke(args=["rendezvous", "restore", str(path)], input="y\n")
    assert restored.exit_code == 0, restored.output
    assert _counts() == before
    assert _row(booking_id) == kept


def _check_errors(app, tmp_path):
    runner = app.test_cli_runner()
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a backup")
    bad = runner.invoke(args=["rendezvous", "restore", "--yes", str(junk)])
    assert bad.exit_code != 0 and "is not a" in bad.output
    missing = runner.invoke(args=["rendezvous", "restore", "--yes", str(tmp_path / "none")])
    assert missing.exit_code != 0 and "is not a file" in missing.output
    nowhere = runner.invoke(args=["rendezvous", "backup", str(tmp_path / "no" / "dir" / "b")])
    assert nowhere.exit_code != 0 and "does not exist" in nowhere.output


@pytest.mark.skipif(USE_PG, reason="the SQLite leg runs when DATABASE_URL is not PostgreSQL")
def test_sqlite_backup_and_restore(app, tmp_path):
    _round_trip(app, tmp_path)
    _check_errors(app, tmp_path)


@pytest.fixture
def scratch_pg_app():
    """An app on a fresh database beside the test database, dropped afterwards."""
    name = f"rdv_c_backup_{os.urandom(4).hex()}"
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app(_config(SQLALCHEMY_DATABASE_URI=make_url(PG_URL).set(database=name)))
    reset_schema(app)
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(not USE_PG, reason="needs DATABASE_URL to name a PostgreSQL server")
def test_postgresql_backup_and_restore(scratch_pg_app, tmp_path):
    _round_trip(scratch_pg_app, tmp_path)
    _check_errors(scratch_pg_app, tmp_path)


@pytest.mark.skipif(not USE_PG, reason="needs DATABASE_URL to name a PostgreSQL server")
def test_postgresql_tools_missing_or_too_old(scratch_pg_app, tmp_path, monkeypatch):
    runner = scratch_pg_app.test_cli_runner()
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump anywhere
    missing = runner.invoke(args=["rendezvous", "backup", str(tmp_path / "b")])
    assert missing.exit_code != 0 and "pg_dump was not found" in missing.output
    old = tmp_path / "pg_dump"
    old.write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n')
    old.chmod(0o755)
    too_old = runner.invoke(args=["rendezvous", "backup", str(tmp_path / "b")])
    assert too_old.exit_code != 0 and "pg_dump is version 9 but the server is" in too_old.output
    assert not (tmp_path / "b").exists()
