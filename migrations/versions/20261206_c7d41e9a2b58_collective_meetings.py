"""Collective meetings: an event type's assignment mode, and bookings linked into one meeting

Revision ID: c7d41e9a2b58
Revises: c5c7b3c0f567
Create Date: 2026-12-06 20:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c7d41e9a2b58"
down_revision = "c5c7b3c0f567"
branch_labels = None
depends_on = None


# The guard against double booking on SQLite (models/bookings.py): a batch copy of the table
# drops its triggers, so they are made again afterwards.
_OVERLAP_CHECK = """
    SELECT RAISE(ABORT, 'booking overlaps another confirmed booking of this host')
    WHERE NEW.status = 'confirmed' AND EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.host_id = NEW.host_id AND other.status = 'confirmed' AND other.id != NEW.id
          AND other.occupied_from < NEW.occupied_until
          AND other.occupied_until > NEW.occupied_from
    );
"""


def _sqlite_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS tr_bookings_no_overlap_insert")
    op.execute("DROP TRIGGER IF EXISTS tr_bookings_no_overlap_update")
    op.execute(
        "CREATE TRIGGER tr_bookings_no_overlap_insert BEFORE INSERT ON bookings "
        f"BEGIN {_OVERLAP_CHECK} END"
    )
    op.execute(
        "CREATE TRIGGER tr_bookings_no_overlap_update "
        "BEFORE UPDATE OF host_id, status, occupied_from, occupied_until ON bookings "
        f"BEGIN {_OVERLAP_CHECK} END"
    )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # In place, with the column's own CHECK (a batch copy of event_types is not needed).
        op.execute(
            "ALTER TABLE event_types ADD COLUMN assignment VARCHAR(20) DEFAULT 'one' NOT NULL "
            "CONSTRAINT ck_event_types_assignment_known "
            "CHECK (assignment IN ('one', 'collective'))"
        )
    else:
        op.add_column(
            "event_types",
            sa.Column("assignment", sa.String(length=20), server_default="one", nullable=False),
        )
        op.create_check_constraint(
            op.f("ck_event_types_assignment_known"),
            "event_types",
            "assignment IN ('one', 'collective')",
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_bookings_meeting_id_bookings"),
            "bookings",
            ["meeting_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_bookings_meeting_id"), ["meeting_id"], unique=False)
    if sqlite:
        _sqlite_triggers()


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_meeting_id"))
        batch_op.drop_constraint(batch_op.f("fk_bookings_meeting_id_bookings"), type_="foreignkey")
        batch_op.drop_column("meeting_id")
    if sqlite:
        _sqlite_triggers()
        # The CHECK is part of the column's own definition: it goes with the column, in place.
        op.execute("ALTER TABLE event_types DROP COLUMN assignment")
    else:
        op.drop_constraint(op.f("ck_event_types_assignment_known"), "event_types", type_="check")
        op.drop_column("event_types", "assignment")
