"""Worker heartbeats; organisations get a time zone (the default for their new hosts)

Revision ID: 2d81a39ee8c6
Revises: e4b8d2a6c1f3
Create Date: 2026-12-05 13:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2d81a39ee8c6"
down_revision = "e4b8d2a6c1f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(
        op.f("ix_worker_heartbeats_beat_at"), "worker_heartbeats", ["beat_at"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        # In place: a batch recreation of organisations would cascade-delete everything under it.
        op.execute("ALTER TABLE organisations ADD COLUMN tz VARCHAR(64) DEFAULT 'UTC' NOT NULL")
        return
    op.add_column(
        "organisations",
        sa.Column("tz", sa.String(length=64), server_default="UTC", nullable=False),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE organisations DROP COLUMN tz")
    else:
        op.drop_column("organisations", "tz")
    op.drop_index(op.f("ix_worker_heartbeats_beat_at"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
