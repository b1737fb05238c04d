"""Event type locations: several offered locations (JSON), new kinds host/invitee phone and link

Revision ID: f1a7c3e5d9b2
Revises: d4b8e2f6a1c9
Create Date: 2026-12-06 16:30:00.000000

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a7c3e5d9b2"
down_revision = "d4b8e2f6a1c9"
branch_labels = None
depends_on = None

event_types = sa.table(
    "event_types",
    sa.column("id", sa.Integer),
    sa.column("location_kind", sa.String),
    sa.column("location_detail", sa.String),
    sa.column("locations", sa.JSON),
)
# The old "phone" kind gave the number the invitee calls.
NEW_KIND = {"phone": "host_phone"}
OLD_KIND = {"host_phone": "phone", "invitee_phone": "phone", "link": "video"}


def upgrade():
    with op.batch_alter_table("event_types", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locations", sa.JSON(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(event_types.c.id, event_types.c.location_kind, event_types.c.location_detail)
    ).all()
    for row_id, kind, detail in rows:
        kind = NEW_KIND.get(kind, kind)
        location = {"kind": kind, "detail": "" if kind == "video" else (detail or "")}
        conn.execute(
            event_types.update().where(event_types.c.id == row_id).values(locations=[location])
        )
    op.execute("UPDATE bookings SET location_kind = 'host_phone' WHERE location_kind = 'phone'")
    with op.batch_alter_table("event_types", schema=None) as batch_op:
        batch_op.alter_column("locations", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint(op.f("ck_event_types_location_kind_known"), type_="check")
        batch_op.drop_column("location_detail")
        batch_op.drop_column("location_kind")


def _first_location(locations) -> tuple[str, str]:
    if isinstance(locations, str):
        locations = json.loads(locations)
    first = (locations or [{"kind": "video"}])[0]
    kind = first.get("kind", "video")
    detail = "" if kind in ("video", "link", "invitee_phone") else first.get("detail", "")
    return OLD_KIND.get(kind, kind), detail


def downgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.select(event_types.c.id, event_types.c.locations)).all()
    kinds = {row_id: _first_location(locations) for row_id, locations in rows}
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # In place, with the column's own CHECK, as the initial schema has it; and the layout
        # CHECK back on its column (the upgrade's table copy made it a table constraint), so
        # the older downgrade can drop that column in place.
        layouts = dict(conn.execute(sa.text("SELECT id, layout FROM event_types")).all())
        with op.batch_alter_table("event_types", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_event_types_layout_known"), type_="check")
        op.execute("ALTER TABLE event_types DROP COLUMN layout")
        op.execute(
            "ALTER TABLE event_types ADD COLUMN layout VARCHAR(10) DEFAULT 'standard' NOT NULL "
            "CONSTRAINT ck_event_types_layout_known CHECK (layout IN ('standard', 'compact'))"
        )
        for row_id, layout in layouts.items():
            conn.execute(
                sa.text("UPDATE event_types SET layout = :layout WHERE id = :id"),
                {"layout": layout, "id": row_id},
            )
        op.execute(
            "ALTER TABLE event_types ADD COLUMN location_kind VARCHAR(20) DEFAULT 'video' NOT NULL "
            "CONSTRAINT ck_event_types_location_kind_known "
            "CHECK (location_kind IN ('in_person', 'phone', 'video'))"
        )
        op.execute(
            "ALTER TABLE event_types ADD COLUMN location_detail VARCHAR(500) DEFAULT '' NOT NULL"
        )
        op.execute("ALTER TABLE event_types DROP COLUMN locations")
    else:
        op.add_column(
            "event_types",
            sa.Column(
                "location_kind", sa.String(length=20), nullable=False, server_default="video"
            ),
        )
        op.add_column(
            "event_types",
            sa.Column("location_detail", sa.String(length=500), nullable=False, server_default=""),
        )
        op.drop_column("event_types", "locations")
    old = sa.table(
        "event_types",
        sa.column("id", sa.Integer),
        sa.column("location_kind", sa.String),
        sa.column("location_detail", sa.String),
    )
    for row_id, (kind, detail) in kinds.items():
        conn.execute(
            old.update()
            .where(old.c.id == row_id)
            .values(location_kind=kind, location_detail=detail)
        )
    op.execute(
        "UPDATE bookings SET location_kind = 'phone' "
        "WHERE location_kind IN ('host_phone', 'invitee_phone')"
    )
    op.execute("UPDATE bookings SET location_kind = 'video' WHERE location_kind = 'link'")
    if not sqlite:
        op.alter_column("event_types", "location_kind", server_default=None)
        op.alter_column("event_types", "location_detail", server_default=None)
        op.create_check_constraint(
            op.f("ck_event_types_location_kind_known"),
            "event_types",
            "location_kind IN ('in_person', 'phone', 'video')",
        )
