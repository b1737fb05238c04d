"""A withdrawal names the grant it ends; organisations link their own privacy notice

Revision ID: d4b8e2f6a1c9
Revises: d5b8e2a4c6f1
Create Date: 2026-12-06 05:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4b8e2f6a1c9"
down_revision = "d5b8e2a4c6f1"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch recreation: on SQLite that would cascade to dependent rows).
    # One withdrawal per grant: a unique index (SQLite cannot add a constraint later).
    # The grant's id without a foreign key: SQLite adds one only inline, where reflection cannot
    # read it back; both rows belong to one organisation and go together with it.
    op.add_column("consent_records", sa.Column("ends_consent_id", sa.Integer(), nullable=True))
    op.create_index(
        "uq_consent_records_ends_consent_id", "consent_records", ["ends_consent_id"], unique=True
    )
    op.add_column(
        "consent_records", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "organisations",
        sa.Column("privacy_url", sa.String(length=500), server_default="", nullable=False),
    )


def downgrade():
    op.drop_column("organisations", "privacy_url")
    op.drop_column("consent_records", "withdrawn_at")
    op.drop_index("uq_consent_records_ends_consent_id", table_name="consent_records")
    op.drop_column("consent_records", "ends_consent_id")
