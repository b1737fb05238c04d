"""Organisations choose how long the no-show email waits (time to undo a misclick)

Revision ID: c3a9f0d2e7b1
Revises: c3a9e5d1f7b2
Create Date: 2026-12-06 02:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3a9f0d2e7b1"
down_revision = "c3a9e5d1f7b2"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch recreation: on SQLite that would cascade to dependent rows).
    op.add_column(
        "organisations",
        sa.Column("no_show_delay_minutes", sa.Integer(), server_default="15", nullable=False),
    )


def downgrade():
    op.drop_column("organisations", "no_show_delay_minutes")
