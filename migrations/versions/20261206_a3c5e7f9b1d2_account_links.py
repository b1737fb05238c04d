"""Account links: invitations and set-password links sent by email (only a nonce is stored)

Revision ID: a3c5e7f9b1d2
Revises: b7d4e1f9a2c6
Create Date: 2026-12-06 02:33:54.256100

"""

import sqlalchemy as sa
from alembic import op

import scheduling.models.types

# revision identifiers, used by Alembic.
revision = "a3c5e7f9b1d2"
down_revision = "b7d4e1f9a2c6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose != 'password' OR user_id IS NOT NULL",
            name=op.f("ck_account_links_password_has_user"),
        ),
        sa.CheckConstraint(
            "purpose IN ('invite', 'password')", name=op.f("ck_account_links_purpose_known")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'rep')", name=op.f("ck_account_links_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_account_links_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_account_links_host_id_hosts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_account_links_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_links_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_account_links_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_links_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_links_user_id"))
        batch_op.drop_index(batch_op.f("ix_account_links_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_account_links_email"))

    op.drop_table("account_links")
