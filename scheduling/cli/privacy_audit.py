"""`flask rendezvous privacy-audit URL [--json]`: what a browser stores, reads and contacts.

Opens the page in headless Chromium three times (before consent, after refusal, after consent),
walks the widget (after consent to a booked meeting) and prints per phase the domains contacted
and the storage table; exits 1 when anything is stored or read without consent, a third-party
domain is contacted, or the booking fails. Playwright is imported only when the command runs.
"""

import json
from urllib.parse import urlsplit

import click
from flask import current_app

from scheduling.security.privacy_audit import Audit, as_dict, host_of, problems, render


def _app_hosts(phases) -> tuple[str, ...]:
    """Rendezvous' own hosts: PUBLIC_URL's, and the one the page loaded embed.js from."""
    hosts = set()
    public = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname
    if public:
        hosts.add(public.lower())
    for phase in phases:
        for url in phase.urls:
            if urlsplit(url).path.endswith("/static/embed.js") and host_of(url):
                hosts.add(host_of(url))
    return tuple(sorted(hosts))


def register_privacy_audit_command(group) -> None:
    @group.command("privacy-audit")
    @click.argument("url")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option(
        "--accept-selector", help="CSS selector of the page's own consent button to accept."
    )
    @click.option(
        "--refuse-selector", help="CSS selector of the page's own consent button to refuse."
    )
    @click.option(
        "--first-party",
        "first_party",
        multiple=True,
        help="Another host of your own site (repeatable); subdomains of the page count already.",
    )
    @click.option(
        "--allow",
        multiple=True,
        help="Name of a strictly necessary cookie or storage key allowed before consent "
        "(e.g. your consent tool's own; repeatable).",
    )
    @click.option("--chromium", default="/usr/bin/chromium", show_default=True)
    @click.option("--invitee-email", default="privacy-audit@example.com", show_default=True)
    def privacy_audit(
        url, as_json, accept_selector, refuse_selector, first_party, allow, chromium, invitee_email
    ):
        """Audit URL (your landing page with the widget, or a booking page) in Chromium.

        Books a test meeting after consent (invitee "Privacy Audit", --invitee-email).
        """
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise click.ClickException(f"Not an http(s) address: {url}")
        try:
            from .audit_browser import AuditError, run_audit
        except ImportError:
            raise click.ClickException(
                "Playwright is not installed (pip install playwright)."
            ) from None
        try:
            phases = run_audit(
                url,
                chromium=chromium,
                accept=accept_selector,
                refuse=refuse_selector,
                invitee=("Privacy Audit", invitee_email),
            )
        except AuditError as exc:
            raise click.ClickException(str(exc)) from None
        page_hosts = (urlsplit(url).hostname.lower(), *(h.lower() for h in first_party))
        audit = Audit(url, page_hosts, _app_hosts(phases), phases, tuple(allow))
        if as_json:
            click.echo(json.dumps(as_dict(audit), indent=2, ensure_ascii=False))
        else:
            click.echo(render(audit), nl=False)
        if problems(audit):
            raise SystemExit(1)
