"""Several durations per event type: `durations` (JSON list of minutes, with the default)

Revision ID: c5c7b3c0f567
Revises: b9e4c2a7d3f1
Create Date: 2026-12-06 20:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5c7b3c0f567"
down_revision = "b9e4c2a7d3f1"
branch_labels = None
depends_on = None

event_types = sa.table(
    "event_types",
    sa.column("id", sa.Integer),
    sa.column("duration", sa.Integer),
    sa.column("durations", sa.JSON),
)


def upgrade():
    # Plain ADD COLUMN (a batch copy on SQLite would cascade to the bookings); the server
    # default only fills the column, every existing row then offers its own duration alone.
    op.add_column(
        "event_types",
        sa.Column("durations", sa.JSON(), server_default="[]", nullable=False),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(event_types.c.id, event_types.c.duration)).all()
    for row_id, duration in rows:
        conn.execute(
            event_types.update().where(event_types.c.id == row_id).values(durations=[duration])
        )


def downgrade():
    # SQLite 3.35+ drops a column in place; the bookings keep their own start and end.
    op.drop_column("event_types", "durations")
