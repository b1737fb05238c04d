"""`flask rendezvous init` (first organisation and admin) and `check` (is this setup fit to run)."""

import os

import click
from flask import current_app

from scheduling import clock
from scheduling.config import config_problems
from scheduling.delivery.emails import sender_domain
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.operations import health, installation

PASSWORD_ENV = "RENDEZVOUS_ADMIN_PASSWORD"  # noqa: S105 (the variable's name, not a password)


def register_setup_commands(group) -> None:
    group.add_command(init)
    group.add_command(check)


def _require_schema() -> None:
    problem = health.schema_state().problem()
    if problem:
        raise click.ClickException(problem)


@click.command("init")
@click.option("--organisation", "organisation", required=True, help="Organisation name.")
@click.option("--admin-email", required=True, help="Login of the first admin.")
@click.option("--admin-name", default="", help="Display name (default: the email's local part).")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="IANA zone, Area/City.")
def init(organisation, admin_email, admin_name, tz):
    """Create the organisation and its first admin (password from the env or a prompt)."""
    _require_schema()
    if installation.is_initialised():
        click.echo("Already initialised (an organisation exists); nothing changed.")
        return
    try:
        installation.check_installation_input(organisation, admin_email, tz)
    except InvalidRequest as exc:
        raise click.ClickException(exc.message) from None
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt(
            "Admin password", hide_input=True, confirmation_prompt=True, err=True
        )
    try:
        done = installation.initialise(
            organisation, admin_email, admin_name, password, tz, clock.utcnow()
        )
    except InvalidRequest as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(
        f"Created organisation {done.organisation.name!r} ({done.organisation.tz}) and admin "
        f"{done.admin.email}. Sign in at {_base_url()}/admin/ to add hosts and event types."
    )


def _base_url() -> str:
    return (current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")


@click.command("check")
def check():
    """Print the state of each setting, one line each; exit 1 when one is a problem."""
    config = current_app.config
    production = bool(config["PRODUCTION"])
    lines: list[tuple[str, str, str]] = []
    url = db.engine.url.render_as_string(hide_password=True)
    schema = health.schema_state()
    if schema.reachable:
        lines.append(("ok", "database", f"reachable ({url})"))
        if schema.at_head:
            lines.append(("ok", "migrations", f"at head ({', '.join(schema.heads)})"))
        else:
            lines.append(("FAIL", "migrations", schema.problem()))
    else:
        lines.append(("FAIL", "database", f"unreachable ({url}): {schema.error}"))
        lines.append(("FAIL", "migrations", "unknown (database unreachable)"))
    bad = "FAIL" if production else "warn"
    if config["MAIL_HOST"]:
        lines.append(
            (
                "ok",
                "mail",
                f"SMTP {config['MAIL_HOST']}:{config['MAIL_PORT']} ({config['MAIL_SECURITY']}),"
                f" from {config['MAIL_FROM'] or 'bookings@' + sender_domain(config)}",
            )
        )
    else:
        folder = os.path.join(current_app.instance_path, "mail")
        lines.append(("warn", "mail", f"no MAIL_HOST: emails are written as files to {folder}"))
    problems = config_problems(config)
    url_problems = [p for p in problems if p.startswith("PUBLIC_URL")]
    secret_problems = [p for p in problems if p.startswith("SECRET_KEY")]
    lines.append(
        (bad, "public url", url_problems[0])
        if url_problems
        else ("ok", "public url", config["PUBLIC_URL"])
    )
    lines.append(
        (bad, "secret key", secret_problems[0])
        if secret_problems
        else ("ok", "secret key", f"{len(str(config['SECRET_KEY']).encode())} bytes")
    )
    lines.append(_heartbeat_line(schema))
    lines.append(("ok" if production else "warn", "production", f"PRODUCTION={production}"))
    for state, name, text in lines:
        click.echo(f"{state:<5} {name:<11} {text}")
    if any(state == "FAIL" for state, _, _ in lines):
        raise SystemExit(1)


def _heartbeat_line(schema: health.SchemaState) -> tuple[str, str, str]:
    if not schema.at_head:
        return ("warn", "worker", "unknown (database not ready)")
    now = clock.utcnow()
    beat = health.latest_heartbeat()
    if beat is None:
        return ("warn", "worker", "no heartbeat yet: start `flask --app app rendezvous worker`")
    age = int((now - beat.beat_at).total_seconds())
    where = f"{beat.worker_id}, {beat.beat_at:%Y-%m-%d %H:%M:%S} UTC, {age} s ago"
    if health.heartbeat_is_stale(beat, now):
        return ("warn", "worker", f"last heartbeat is stale ({where})")
    return ("ok", "worker", f"last heartbeat {where}")
