"""Event types carry their booking page's button label and layout (A/B promotion copies them)

Revision ID: e4b8d2a6c1f3
Revises: a7c3e9d1b2f4
Create Date: 2026-11-29 08:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4b8d2a6c1f3"
down_revision = "a7c3e9d1b2f4"
branch_labels = None
depends_on = None

LAYOUT_CHECK = "layout IN ('standard', 'compact')"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # No batch recreation here: with foreign keys on, dropping the old event_types table
        # would cascade to every booking, lead and setting of it. SQLite adds a column in place,
        # its named CHECK included.
        op.execute(
            "ALTER TABLE event_types ADD COLUMN button_label VARCHAR(60) DEFAULT '' NOT NULL"
        )
        op.execute(
            "ALTER TABLE event_types ADD COLUMN layout VARCHAR(10) DEFAULT 'standard' NOT NULL "
            f"CONSTRAINT ck_event_types_layout_known CHECK ({LAYOUT_CHECK})"
        )
        return
    op.add_column(
        "event_types",
        sa.Column("button_label", sa.String(length=60), server_default="", nullable=False),
    )
    op.add_column(
        "event_types",
        sa.Column("layout", sa.String(length=10), server_default="standard", nullable=False),
    )
    op.create_check_constraint(op.f("ck_event_types_layout_known"), "event_types", LAYOUT_CHECK)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column whose CHECK names only itself in place (no table recreation).
        op.execute("ALTER TABLE event_types DROP COLUMN layout")
        op.execute("ALTER TABLE event_types DROP COLUMN button_label")
        return
    op.drop_constraint(op.f("ck_event_types_layout_known"), "event_types", type_="check")
    op.drop_column("event_types", "layout")
    op.drop_column("event_types", "button_label")
