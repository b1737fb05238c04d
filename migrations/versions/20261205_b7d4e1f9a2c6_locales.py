"""Bookings keep the invitee's language; event types may name a default language

Revision ID: b7d4e1f9a2c6
Revises: de155898dc35
Create Date: 2026-12-05 21:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d4e1f9a2c6"
down_revision = "de155898dc35"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases: no batch recreation (on SQLite, dropping the old
    # tables would cascade to their bookings and settings).
    op.add_column(
        "bookings",
        sa.Column("invitee_locale", sa.String(length=10), server_default="en", nullable=False),
    )
    op.add_column("event_types", sa.Column("default_locale", sa.String(length=10), nullable=True))


def downgrade():
    op.drop_column("event_types", "default_locale")
    op.drop_column("bookings", "invitee_locale")
