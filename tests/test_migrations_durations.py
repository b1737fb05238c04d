"""The durations migration: old event types offer their own duration alone; downgrade drops it."""

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from scheduling import create_app
from scheduling.extensions import db

from .test_migrations import _insert, empty_db_url  # noqa: F401  (the fixture)


def test_existing_event_types_offer_their_own_duration(empty_db_url):  # noqa: F811
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade(revision="b9e4c2a7d3f1")
        with db.engine.begin() as conn:
            org = _insert(conn, "organisations", slug="org", default_currency="EUR")
            for slug, minutes in (("short", 15), ("long", 60)):
                _insert(
                    conn,
                    "event_types",
                    organisation_id=org,
                    slug=slug,
                    duration=minutes,
                    step=15,
                    active=True,
                    layout="standard",
                    locations=json.dumps([{"kind": "video", "detail": ""}]),
                )
        upgrade(revision="c5c7b3c0f567")
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT slug, durations FROM event_types")).all())
        offered = {
            slug: json.loads(value) if isinstance(value, str) else value
            for slug, value in rows.items()
        }
        assert offered == {"short": [15], "long": [60]}
        downgrade(revision="b9e4c2a7d3f1")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("event_types")}
            left = conn.execute(text("SELECT count(*) FROM event_types")).scalar()
        db.engine.dispose()
    assert "durations" not in columns and left == 2
