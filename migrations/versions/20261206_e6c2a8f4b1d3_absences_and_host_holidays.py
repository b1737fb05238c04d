"""Out of office (absences, optionally covered by a colleague) and per-host holidays

Revision ID: e6c2a8f4b1d3
Revises: b6e1c4a8d2f7
Create Date: 2026-12-06 16:09:38.675915

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e6c2a8f4b1d3"
down_revision = "b6e1c4a8d2f7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), server_default="", nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "delegate_id IS NULL OR delegate_id <> host_id", name=op.f("ck_absences_not_self")
        ),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_absences_day_order")),
        sa.ForeignKeyConstraint(
            ["delegate_id"],
            ["hosts.id"],
            name=op.f("fk_absences_delegate_id_hosts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_absences_host_id_hosts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absences_delegate_id"), ["delegate_id"], unique=False)
        batch_op.create_index(
            "ix_absences_host_days", ["host_id", "first_day", "last_day"], unique=False
        )

    op.create_table(
        "host_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_host_holidays_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_holidays")),
        sa.UniqueConstraint("host_id", "day", name=op.f("uq_host_holidays_host_id")),
    )


def downgrade():
    op.drop_table("host_holidays")
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index("ix_absences_host_days")
        batch_op.drop_index(batch_op.f("ix_absences_delegate_id"))

    op.drop_table("absences")
