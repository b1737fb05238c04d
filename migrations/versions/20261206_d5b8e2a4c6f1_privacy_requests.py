"""Privacy requests: a person's erasure request waits for an admin, due one month ahead

Revision ID: d5b8e2a4c6f1
Revises: c3a9f0d2e7b1
Create Date: 2026-12-06 05:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

import scheduling.models.types

# revision identifiers, used by Alembic.
revision = "d5b8e2a4c6f1"
down_revision = "c3a9f0d2e7b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject_email", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('erasure')", name=op.f("ck_privacy_requests_kind_known")),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'rejected')", name=op.f("ck_privacy_requests_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_privacy_requests_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_privacy_requests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_privacy_requests_org_status_due",
            ["organisation_id", "status", "due_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_requests_org_status_due")

    op.drop_table("privacy_requests")
