"""Retention periods, erased_at marks; login attempts keep only the network prefix

Revision ID: c3a9e5d1f7b2
Revises: a7c3e9d1f5b2
Create Date: 2026-12-06 02:50:00.000000

"""

import ipaddress

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3a9e5d1f7b2"
down_revision = "a7c3e9d1f5b2"
branch_labels = None
depends_on = None


def _prefix(address):
    """Same rule as scheduling/security/addresses.py (copied: migrations must not change)."""
    try:
        ip = ipaddress.ip_address((address or "").strip().split("%", 1)[0])
    except ValueError:
        try:
            return str(ipaddress.ip_network(address, strict=False))
        except ValueError:
            return "unknown"
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


ERASABLE = (
    "bookings",
    "leads",
    "outbox_messages",
    "webhook_deliveries",
    "consent_records",
    "widget_views",
)


def upgrade():
    op.add_column("organisations", sa.Column("retention_periods", sa.JSON(), nullable=True))
    for table in ERASABLE:
        op.add_column(table, sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    attempts = sa.table("login_attempts", sa.column("id"), sa.column("address"))
    rows = connection.execute(sa.select(attempts.c.id, attempts.c.address)).all()
    for row_id, address in rows:
        prefix = _prefix(address)
        if prefix != address:
            connection.execute(
                attempts.update().where(attempts.c.id == row_id).values(address=prefix)
            )
    # Rate-limit counters are keyed by rule and full address; they live minutes, so drop them.
    connection.execute(sa.text("DELETE FROM rate_limit_counters"))


def downgrade():
    # Full addresses and erased data are gone for good; only the new columns go.
    for table in ERASABLE:
        op.drop_column(table, "erased_at")
    op.drop_column("organisations", "retention_periods")
