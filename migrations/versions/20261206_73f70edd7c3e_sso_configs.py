"""Single sign-on: one OpenID Connect issuer per organisation (sso_configs)

Revision ID: 73f70edd7c3e
Revises: c7d41e9a2b58
Create Date: 2026-12-06 20:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

import scheduling.models.types

# revision identifiers, used by Alembic.
revision = "73f70edd7c3e"
down_revision = "c7d41e9a2b58"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sso_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("provider", sa.JSON(), nullable=False),
        sa.Column("allowed_domains", sa.JSON(), nullable=False),
        sa.Column("jit_enabled", sa.Boolean(), nullable=False),
        sa.Column("jit_role", sa.String(length=20), nullable=False),
        sa.Column("password_login_disabled", sa.Boolean(), nullable=False),
        sa.Column("break_glass_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scheduling.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "jit_role IN ('admin', 'manager', 'rep')", name=op.f("ck_sso_configs_jit_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["break_glass_user_id"],
            ["users.id"],
            name=op.f("fk_sso_configs_break_glass_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_sso_configs_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_configs")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_sso_configs_organisation_id")),
    )


def downgrade():
    op.drop_table("sso_configs")
