"""A fixture marking the test schema (built from the models) as migrated to the code's head."""

import pytest
from sqlalchemy import text

from scheduling.extensions import db
from scheduling.operations.health import migration_heads


@pytest.fixture
def stamped(app):
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32))"))
        conn.execute(text("DELETE FROM alembic_version"))
        for head in migration_heads():
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    yield
    db.session.rollback()  # a test's open transaction would hold SQLite's lock
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
