"""Calendar connections: Google / Microsoft apps per organisation, host mailboxes, synced calendars

Revision ID: 271fcd4789c1
Revises: 73f70edd7c3e
Create Date: 2026-12-06 20:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import scheduling.models.types

# revision identifiers, used by Alembic.
revision = "271fcd4789c1"
down_revision = "73f70edd7c3e"
branch_labels = None
depends_on = None

UTC = scheduling.models.types.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "calendar_provider_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "provider IN ('google', 'microsoft')",
            name=op.f("ck_calendar_provider_apps_provider_known"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_calendar_provider_apps_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_provider_apps")),
        sa.UniqueConstraint(
            "organisation_id",
            "provider",
            name=op.f("uq_calendar_provider_apps_organisation_id"),
        ),
    )
    with op.batch_alter_table("calendar_provider_apps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_provider_apps_organisation_id"), ["organisation_id"]
        )
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("account_email", sa.String(length=320), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=False),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=False),
        sa.Column("token_expires_at", UTC, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("needs_reconnect_since", UTC, nullable=True),
        sa.Column("paused_until", UTC, nullable=True),
        sa.Column("sync_lease_until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "provider IN ('google', 'microsoft')",
            name=op.f("ck_calendar_connections_provider_known"),
        ),
        sa.CheckConstraint(
            "status IN ('connected', 'needs_reconnect')",
            name=op.f("ck_calendar_connections_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_calendar_connections_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_calendar_connections_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
        sa.UniqueConstraint(
            "host_id",
            "provider",
            "account_email",
            name=op.f("uq_calendar_connections_host_id"),
        ),
    )
    with op.batch_alter_table("calendar_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_connections_host_id"), ["host_id"])
        batch_op.create_index(
            batch_op.f("ix_calendar_connections_organisation_id"), ["organisation_id"]
        )
    with op.batch_alter_table("calendar_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connection_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "remote_calendar_id", sa.String(length=1024), server_default="", nullable=False
            )
        )
        batch_op.add_column(sa.Column("sync_state", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("blocks_time", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_calendar_sources_connection_id"), ["connection_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_calendar_sources_connection_id_calendar_connections"),
            "calendar_connections",
            ["connection_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("ck_calendar_sources_kind_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_calendar_sources_write_back_caldav_only"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_calendar_sources_kind_known"),
            "kind IN ('ics', 'caldav', 'google', 'microsoft')",
        )
        batch_op.create_check_constraint(
            op.f("ck_calendar_sources_write_back_not_ics"), "kind != 'ics' OR NOT write_back"
        )
        batch_op.create_check_constraint(
            op.f("ck_calendar_sources_connection_iff_connected_kind"),
            "(kind IN ('google', 'microsoft')) = (connection_id IS NOT NULL)",
        )
    with op.batch_alter_table("imported_busy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remote_event_id", sa.String(length=1024), nullable=True))
        batch_op.create_index(
            "ix_imported_busy_source_remote", ["source_id", "remote_event_id"], unique=False
        )


def downgrade():
    # Connected calendars (and their busy time and copies, by cascade) cannot exist before.
    op.execute(
        "DELETE FROM imported_busy WHERE source_id IN "
        "(SELECT id FROM calendar_sources WHERE kind IN ('google', 'microsoft'))"
    )
    op.execute(
        "DELETE FROM calendar_copies WHERE source_id IN "
        "(SELECT id FROM calendar_sources WHERE kind IN ('google', 'microsoft'))"
    )
    op.execute("DELETE FROM calendar_sources WHERE kind IN ('google', 'microsoft')")
    with op.batch_alter_table("imported_busy", schema=None) as batch_op:
        batch_op.drop_index("ix_imported_busy_source_remote")
        batch_op.drop_column("remote_event_id")
    with op.batch_alter_table("calendar_sources", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_calendar_sources_connection_iff_connected_kind"), type_="check"
        )
        batch_op.drop_constraint(op.f("ck_calendar_sources_write_back_not_ics"), type_="check")
        batch_op.drop_constraint(op.f("ck_calendar_sources_kind_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_calendar_sources_kind_known"), "kind IN ('ics', 'caldav')"
        )
        batch_op.create_check_constraint(
            op.f("ck_calendar_sources_write_back_caldav_only"), "kind = 'caldav' OR NOT write_back"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_calendar_sources_connection_id_calendar_connections"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_calendar_sources_connection_id"))
        batch_op.drop_column("blocks_time")
        batch_op.drop_column("sync_state")
        batch_op.drop_column("remote_calendar_id")
        batch_op.drop_column("connection_id")
    with op.batch_alter_table("calendar_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_connections_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_connections_host_id"))
    op.drop_table("calendar_connections")
    with op.batch_alter_table("calendar_provider_apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_provider_apps_organisation_id"))
    op.drop_table("calendar_provider_apps")
