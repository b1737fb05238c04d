"""Bookings' host index also holds occupied_until and status, so busy-time reads need no table rows

Revision ID: b7d41e9a2c35
Revises: 8c3f1a6d2e94
Create Date: 2026-12-06 23:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d41e9a2c35"
down_revision = "8c3f1a6d2e94"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_host_busy",
            ["host_id", "occupied_from", "occupied_until", "status"],
            unique=False,
        )
        batch_op.drop_index("ix_bookings_host_occupied")


def downgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_host_occupied", ["host_id", "occupied_from"], unique=False
        )
        batch_op.drop_index("ix_bookings_host_busy")
