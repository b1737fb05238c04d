"""Calendar push channels: a Google watch channel or Graph subscription per busy calendar

Revision ID: 8c3f1a6d2e94
Revises: 271fcd4789c1
Create Date: 2026-12-06 21:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import scheduling.models.types

# revision identifiers, used by Alembic.
revision = "8c3f1a6d2e94"
down_revision = "271fcd4789c1"
branch_labels = None
depends_on = None

UTC = scheduling.models.types.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "calendar_push_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("channel_id", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.String(length=500), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "provider IN ('google', 'microsoft')",
            name=op.f("ck_calendar_push_channels_provider_known"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["calendar_sources.id"],
            name=op.f("fk_calendar_push_channels_source_id_calendar_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_push_channels")),
        sa.UniqueConstraint("source_id", name=op.f("uq_calendar_push_channels_source_id")),
    )
    with op.batch_alter_table("calendar_push_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_push_channels_channel_id"), ["channel_id"])


def downgrade():
    with op.batch_alter_table("calendar_push_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_push_channels_channel_id"))
    op.drop_table("calendar_push_channels")
