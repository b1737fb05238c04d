"""`flask rendezvous ...` commands. Each commits once, at the end."""

import click
from flask import current_app
from sqlalchemy import select

from . import clock
from .extensions import db
from .models import EventType


def _base_url() -> str:
    return (current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")


def register_cli(app) -> None:
    @app.cli.group("rendezvous")
    def group():
        """Rendezvous administration."""

    @group.command("demo")
    def demo():
        """Load the demo data unless it is there already, then print where to book."""
        from .demo import demo_exists, load_demo

        if demo_exists():
            click.echo("Demo data already present; nothing changed.")
        else:
            load_demo(clock.utcnow(), current_app.config["JITSI_BASE_URL"])
            db.session.commit()
            click.echo("Demo data loaded: organisation 'Northwind Sales', 3 hosts, 2 event types.")
        click.echo("Booking pages:")
        for event_type in db.session.scalars(select(EventType).order_by(EventType.id)):
            click.echo(f"  {_base_url()}/book/{event_type.slug}   ({event_type.title})")
