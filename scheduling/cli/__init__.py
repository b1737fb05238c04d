"""`flask rendezvous ...` commands (demo data, users, worker, calendars); each commits once, last.

Commands live here and in modules beside this one (demo.py: the demo organisation); they may
import anything below the web layer, and nothing imports them but the app factory.
"""

import click
from flask import current_app
from sqlalchemy import select

from scheduling import clock
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import ROLES, EventType, Host, Organisation, User
from scheduling.operations import accounts

from .backup import register_backup_commands
from .demo import DEMO_LOGINS


def _base_url() -> str:
    return (current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")


def register_cli(app) -> None:
    @app.cli.group("rendezvous")
    def group():
        """Rendezvous administration."""

    from scheduling.delivery.worker import register_worker_command

    register_worker_command(group)
    from .setup import register_setup_commands

    register_setup_commands(group)
    register_backup_commands(group)
    from .retention import register_retention_command

    register_retention_command(group)
    from .privacy_audit import register_privacy_audit_command

    register_privacy_audit_command(group)

    @group.command("demo")
    def demo():
        """Load the demo data unless it is there already, then print where to book."""
        from .demo import demo_exists, load_demo

        if demo_exists():
            click.echo("Demo data already present; nothing changed.")
        else:
            load_demo(clock.utcnow(), current_app.config["JITSI_BASE_URL"], _base_url())
            db.session.commit()
            click.echo("Demo data loaded: organisation 'Northwind Sales', 3 hosts, 2 event types.")
        click.echo("Booking pages:")
        for event_type in db.session.scalars(select(EventType).order_by(EventType.id)):
            click.echo(f"  {_base_url()}/book/{event_type.slug}   ({event_type.title})")
        click.echo(f"Embedded on a landing page: {_base_url()}/static/demo/landing.html")
        click.echo(f"Admin: {_base_url()}/admin/  (demo logins, change them in production)")
        for email, password, role in DEMO_LOGINS:
            click.echo(f"  {role:<8} {email}  password: {password}")

    @group.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--organisation", "org_slug", help="Organisation slug (default: the only one).")
    @click.option("--host-email", help="For reps: the email of the host they are.")
    @click.password_option()
    def create_user(email, name, role, org_slug, host_email, password):
        """Create a login (admin, manager, or rep linked to a host)."""
        org = _organisation(org_slug)
        host = None
        if host_email:
            host = db.session.scalar(
                select(Host).where(Host.organisation_id == org.id, Host.email == host_email)
            )
            if host is None:
                raise click.ClickException(f"No host with email {host_email} in {org.slug}.")
        try:
            user = accounts.create_user(org, email, name, password, role, clock.utcnow(), host=host)
        except InvalidRequest as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Created {user.role} {user.email}.")

    @group.command("reset-password")
    @click.option("--email", required=True)
    @click.password_option()
    def reset_password(email, password):
        """Set a new password (signs the user out everywhere)."""
        user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
        if user is None:
            raise click.ClickException(f"No user with email {email}.")
        try:
            accounts.set_password(user, password, clock.utcnow(), actor=None)
        except InvalidRequest as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Password of {user.email} changed.")

    @group.command("sync-calendars")
    def sync_calendars():
        """Read every due imported and connected calendar once (the worker does this on a
        schedule)."""
        from scheduling.delivery.calendar_sync import sync_due_connections
        from scheduling.operations.calendar_import import refresh_due_sources

        count = refresh_due_sources(clock.utcnow())
        db.session.commit()
        click.echo(f"Refreshed {count} calendar source(s).")
        connected = sync_due_connections(clock.utcnow())
        db.session.commit()
        click.echo(f"Synced {connected} connected Google / Microsoft calendar(s).")


def _organisation(slug: str | None) -> Organisation:
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    if slug:
        orgs = [org for org in orgs if org.slug == slug]
    if len(orgs) != 1:
        names = ", ".join(org.slug for org in orgs) or "none"
        raise click.ClickException(f"Name the organisation with --organisation (found: {names}).")
    return orgs[0]
