"""`flask rendezvous retention [--dry-run]`: show or run the retention pass now."""

import click
from flask import current_app

from scheduling import clock
from scheduling.delivery.mail import mail_folder
from scheduling.extensions import db
from scheduling.models import Organisation
from scheduling.operations.retention import count_due, run_retention_fully

LABELS = {
    "bookings": "bookings",
    "leads_unbooked": "leads that never booked",
    "leads_disqualified": "disqualified leads",
    "consent_log": "consent log entries",
    "outbox_messages": "outbox messages",
    "webhook_deliveries": "webhook delivery records",
    "widget_views": "widget views",
    "login_attempts": "login attempts",
    "mail_files": "mail files",
}


def _lines(counts) -> list[str]:
    lines = []
    for org_id, done in counts.per_organisation.items():
        org = db.session.get(Organisation, org_id)
        parts = ", ".join(f"{n} {LABELS[kind]}" for kind, n in done.items())
        lines.append(f"{org.name} ({org.slug}): {parts}")
    parts = ", ".join(f"{n} {LABELS[kind]}" for kind, n in counts.installation.items())
    lines.append(f"Installation: {parts}")
    return lines


def register_retention_command(group) -> None:
    @group.command("retention")
    @click.option("--dry-run", is_flag=True, help="Only show what the next run would erase.")
    def retention(dry_run):
        """Erase personal data older than each organisation's retention periods."""
        app = current_app._get_current_object()
        now = clock.utcnow()
        if dry_run:
            counts = count_due(now, mail_folder(app.instance_path))
            click.echo("The next run would erase:")
        else:
            counts = run_retention_fully(
                now, int(app.config["RETENTION_BATCH"]), mail_folder(app.instance_path)
            )
            db.session.commit()
            click.echo("Erased:")
        for line in _lines(counts):
            click.echo(f"  {line}")
