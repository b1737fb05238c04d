"""Hidden event types, a redirect after booking, slugs for host and team pages

Revision ID: b9e4c2a7d3f1
Revises: e6c2a8f4b1d3
Create Date: 2026-12-06 16:20:00.000000

"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b9e4c2a7d3f1"
down_revision = "e6c2a8f4b1d3"
branch_labels = None
depends_on = None


def _slugify(text: str, fallback: str) -> str:
    """As operations/public_pages.py: ASCII letters, digits, hyphens; 3 to 80 of them."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:70].rstrip("-")
    if len(slug) < 3:
        slug = f"{slug}-{fallback}" if slug else fallback
    return slug


def _fill_slugs(table: str, fallback: str) -> None:
    """Give every existing row a unique slug made from its name (numbered when taken)."""
    conn = op.get_bind()
    rows_table = sa.table(table, sa.column("id"), sa.column("name"), sa.column("slug"))
    rows = conn.execute(
        sa.select(rows_table.c.id, rows_table.c.name).order_by(rows_table.c.id)
    ).all()
    taken: set[str] = set()
    for row_id, name in rows:
        base = _slugify(name, fallback)
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        conn.execute(rows_table.update().where(rows_table.c.id == row_id).values(slug=slug))


def upgrade():
    # Plain ADD COLUMN (no batch recreation: on SQLite that would cascade to dependent rows);
    # the slugs' uniqueness is a unique index, which SQLite can add to an existing table.
    op.add_column(
        "event_types",
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "event_types",
        sa.Column("redirect_url", sa.String(length=500), server_default="", nullable=False),
    )
    op.add_column("hosts", sa.Column("slug", sa.String(length=80), nullable=True))
    op.add_column("pools", sa.Column("slug", sa.String(length=80), nullable=True))
    _fill_slugs("hosts", "host")
    _fill_slugs("pools", "team")
    op.create_index("uq_hosts_slug", "hosts", ["slug"], unique=True)
    op.create_index("uq_pools_slug", "pools", ["slug"], unique=True)


def downgrade():
    op.drop_index("uq_pools_slug", table_name="pools")
    op.drop_index("uq_hosts_slug", table_name="hosts")
    op.drop_column("pools", "slug")
    op.drop_column("hosts", "slug")
    op.drop_column("event_types", "redirect_url")
    op.drop_column("event_types", "hidden")
