"""Event types: at most N bookings per host and week, and a minimum gap between meetings

Revision ID: b6e1c4a8d2f7
Revises: f1a7c3e5d9b2
Create Date: 2026-12-06 16:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b6e1c4a8d2f7"
down_revision = "f1a7c3e5d9b2"
branch_labels = None
depends_on = None

WEEKLY_CHECK = "weekly_limit IS NULL OR weekly_limit > 0"
GAP_CHECK = "min_gap BETWEEN 0 AND 1440"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # No batch recreation here: with foreign keys on, dropping the old event_types table
        # would cascade to every booking, lead and setting of it. SQLite adds a column in place,
        # its named CHECK included.
        op.execute(
            "ALTER TABLE event_types ADD COLUMN weekly_limit INTEGER "
            f"CONSTRAINT ck_event_types_weekly_limit_positive CHECK ({WEEKLY_CHECK})"
        )
        op.execute(
            "ALTER TABLE event_types ADD COLUMN min_gap INTEGER DEFAULT '0' NOT NULL "
            f"CONSTRAINT ck_event_types_min_gap_range CHECK ({GAP_CHECK})"
        )
        return
    op.add_column("event_types", sa.Column("weekly_limit", sa.Integer(), nullable=True))
    op.add_column(
        "event_types", sa.Column("min_gap", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_event_types_weekly_limit_positive"), "event_types", WEEKLY_CHECK
    )
    op.create_check_constraint(op.f("ck_event_types_min_gap_range"), "event_types", GAP_CHECK)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column whose CHECK names only itself in place (no table recreation).
        op.execute("ALTER TABLE event_types DROP COLUMN min_gap")
        op.execute("ALTER TABLE event_types DROP COLUMN weekly_limit")
        return
    op.drop_constraint(op.f("ck_event_types_min_gap_range"), "event_types", type_="check")
    op.drop_constraint(op.f("ck_event_types_weekly_limit_positive"), "event_types", type_="check")
    op.drop_column("event_types", "min_gap")
    op.drop_column("event_types", "weekly_limit")
