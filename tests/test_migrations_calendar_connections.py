"""The calendar connections migration: ICS/CalDAV sources survive down and up; new rows go."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from scheduling import create_app
from scheduling.extensions import db
from tests.test_migrations import _insert, empty_db_url  # noqa: F401 (fixture)

BEFORE = "73f70edd7c3e"  # the revision before the calendar connections


def test_down_and_up_keep_address_sources_and_drop_connected_ones(empty_db_url):  # noqa: F811
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            org = _insert(conn, "organisations", slug="org", default_currency="EUR")
            host = _insert(conn, "hosts", organisation_id=org, tz="UTC")
            _insert(conn, "calendar_sources", host_id=host, kind="ics", write_back=False)
        upgrade()
        with db.engine.begin() as conn:
            conn_id = _insert(
                conn,
                "calendar_connections",
                organisation_id=org,
                host_id=host,
                provider="google",
                status="connected",
            )
            source = _insert(
                conn,
                "calendar_sources",
                host_id=host,
                kind="google",
                write_back=True,
                connection_id=conn_id,
            )
            _insert(
                conn,
                "imported_busy",
                source_id=source,
                host_id=host,
                start_at="2030-01-01 09:00:00.000000+00:00",
                end_at="2030-01-01 10:00:00.000000+00:00",
                remote_event_id="e1",
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            # An ICS address never receives bookings, and only connected kinds have a mailbox.
            _insert(conn, "calendar_sources", host_id=host, kind="ics", write_back=True)
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            _insert(conn, "calendar_sources", host_id=host, kind="google", write_back=False)
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM calendar_sources")).scalars().all()
            busy = conn.execute(text("SELECT count(*) FROM imported_busy")).scalar()
        upgrade()
        db.engine.dispose()
    assert kinds == ["ics"]
    assert busy == 0
