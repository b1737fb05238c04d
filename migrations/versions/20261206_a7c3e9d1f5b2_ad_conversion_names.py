"""Embed settings keep the offline conversion names per goal (booked, attended, won)

Revision ID: a7c3e9d1f5b2
Revises: a3c5e7f9b1d2
Create Date: 2026-12-06 02:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9d1f5b2"
down_revision = "a3c5e7f9b1d2"
branch_labels = None
depends_on = None

COLUMNS = ("conversion_booked", "conversion_attended", "conversion_won")


def upgrade():
    # Plain ADD COLUMN with a server default: no batch recreation of the settings table.
    for name in COLUMNS:
        op.add_column(
            "embed_settings",
            sa.Column(name, sa.String(length=100), server_default="", nullable=False),
        )


def downgrade():
    for name in reversed(COLUMNS):
        op.drop_column("embed_settings", name)
