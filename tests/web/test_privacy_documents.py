"""Privacy -> Documents: every document is generated from the live configuration of the signed-in
user's organisation, in the admin UI and as Markdown and standalone HTML downloads."""

import base64
import hashlib
import html
import re

import pytest

from scheduling.extensions import db
from scheduling.models import (
    CalendarSource,
    EmbedSettings,
    Organisation,
    Question,
    RoutingForm,
    RoutingRule,
)
from scheduling.operations.webhooks import create_subscription
from scheduling.security.privacy_document import STANDALONE_CSP
from tests import third_party_urls
from tests.conftest import FROZEN_NOW, TEST_SECRET, post_form

BASE = "/admin/privacy/documents"
BOOKINGS = "Bookings (with their leads, answers, outcome notes, attribution): after the meeting"
SLUGS = ("cookies", "record", "notice", "domains", "processors", "banner", "dpia")


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """Webhook receivers must resolve to a public address; these tests run offline."""
    monkeypatch.setattr("scheduling.operations.webhooks.resolve", lambda *a: "93.184.216.34")


def page(client, slug: str) -> str:
    response = client.get(f"{BASE}/{slug}")
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def markdown(client, slug: str) -> str:
    response = client.get(f"{BASE}/{slug}.md")
    assert response.status_code == 200, response.text
    return response.text


def embed(org: Organisation, **kw) -> EmbedSettings:
    values = {
        "allowed_origins": ["https://www.northwind.example"],
        "own_prompt": False,
        "prompt_text": "",
        "cookie_days": 180,
        "conversion_booked": "",
        "conversion_attended": "",
        "conversion_won": "",
    }
    values.update(kw)
    row = EmbedSettings(organisation_id=org.id, updated_at=FROZEN_NOW, **values)
    db.session.add(row)
    db.session.commit()
    return row


def question(org: Organisation, kind: str, label: str, purpose: str = "") -> Question:
    form = RoutingForm(organisation_id=org.id, name="Qualification", created_at=FROZEN_NOW)
    q = Question(key=f"q{kind}", label=label, kind=kind, purpose=purpose, position=1)
    form.questions.append(q)
    db.session.add(form)
    db.session.commit()
    return q


def webhook(org, user, url: str):
    sub, secret = create_subscription(
        org.id,
        url,
        ["booking.created"],
        "CRM",
        user,
        FROZEN_NOW,
        secret_key=TEST_SECRET,
        allow_private=False,
    )
    db.session.commit()
    return sub, secret


def test_index_lists_every_document_with_both_downloads_and_is_in_the_nav(client, login_as):
    login_as("manager")
    text = client.get(BASE).text
    for slug in SLUGS:
        assert f'href="{BASE}/{slug}"' in text
        assert f'href="{BASE}/{slug}.md"' in text
        assert f'href="{BASE}/{slug}.html"' in text
    assert "Record of processing activities (Art. 30 GDPR)" in html.unescape(text)
    assert f'<a href="{BASE}" aria-current="page">Privacy documents</a>' in text
    home = client.get("/admin/").text
    assert f'href="{BASE}"' in home
    assert client.get(f"{BASE}/dpia.md").status_code == 200
    assert client.get(f"{BASE}/dpia.html").status_code == 200


@pytest.mark.parametrize("slug", SLUGS)
def test_every_document_renders_for_admins(client, login_as, slug):
    admin = login_as("admin")
    text = page(client, slug)
    assert admin.organisation.name in text
    assert "generated from this installation's live configuration" in text


def test_reps_and_signed_out_visitors_are_refused(client, login_as, app):
    anonymous = app.test_client()
    for url in (BASE, f"{BASE}/cookies", f"{BASE}/cookies.md", f"{BASE}/cookies.html"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/admin/login" in response.location
    login_as("rep")
    for url in (BASE, f"{BASE}/record", f"{BASE}/record.md", f"{BASE}/record.html"):
        assert client.get(url).status_code == 403
    assert f'href="{BASE}"' not in client.get("/admin/").text


def test_unknown_document_is_404(client, login_as):
    login_as("admin")
    for url in (f"{BASE}/nope", f"{BASE}/nope.md", f"{BASE}/nope.html"):
        assert client.get(url).status_code == 404


def test_cookie_lifetime_follows_the_embed_setting(client, login_as):
    admin = login_as("admin")
    table = markdown(client, "cookies")
    assert "| rv_attr |" not in table
    assert "rv_attr is never written" in table
    assert "| rendezvous_session | cookie |" in table
    assert "| 12 hours after sign-in, or until sign-out |" in table

    data = {"allowed_origins": "https://www.northwind.example", "cookie_days": "45"}
    assert post_form(client, "/admin/embed", data).status_code == 302
    table = markdown(client, "cookies")
    assert "| Name | Kind | Party | Lifetime | Purpose | Before consent |" in table
    row = next(line for line in table.splitlines() if line.startswith("| rv_attr |"))
    assert "| 45 days (expiry set once, never extended) |" in row
    assert row.endswith("| never set before consent |")
    assert "https://www.northwind.example" in table

    data["cookie_days"] = "90"
    assert post_form(client, "/admin/embed", data).status_code == 302
    assert "| 90 days (expiry set once, never extended) |" in markdown(client, "cookies")
    assert "90 days" in page(client, "cookies")
    db.session.expire_all()
    assert admin.organisation_id


def test_session_cookie_row_follows_the_installation_settings(client, login_as, app):
    login_as("admin")
    app.config["SESSION_COOKIE_NAME"] = "northwind_admin"
    app.config["PERMANENT_SESSION_LIFETIME"] = 3600
    # The renamed cookie is not the one the client holds: sign in again.
    login_as("admin")
    table = markdown(client, "cookies")
    assert (
        "| northwind_admin | cookie | first party, Rendezvous's own domain, path /admin only |"
        in (table)
    )
    assert "| 1 hour after sign-in, or until sign-out |" in table


def test_webhook_receiver_listed_by_domain_without_path_or_secret(client, login_as):
    admin = login_as("admin")
    _, secret = webhook(
        admin.organisation, admin, "https://crm.example.org/hooks/s3cr3t-path?token=abc123"
    )
    for slug in ("processors", "record", "notice", "dpia"):
        for text in (page(client, slug), markdown(client, slug)):
            assert "crm.example.org" in text, slug
            assert "s3cr3t-path" not in text and "abc123" not in text and "/hooks" not in text
            assert secret not in text
    assert "booking.created" in markdown(client, "processors")


def test_calendar_servers_listed_by_domain_without_credentials(client, login_as, make_host):
    admin = login_as("admin")
    host = make_host(org=admin.organisation)
    for kind, url, write_back in (
        ("caldav", "https://alice:pw@dav.example.net/calendars/alice/work/", True),
        ("ics", "https://cal.example.com/ical/secret-token-987/basic.ics", False),
    ):
        db.session.add(
            CalendarSource(
                host_id=host.id,
                kind=kind,
                name="Work",
                url=url,
                username="alice-user",
                password_encrypted="encrypted-blob",
                write_back=write_back,
                next_attempt_at=FROZEN_NOW,
                created_at=FROZEN_NOW,
            )
        )
    db.session.commit()
    text = markdown(client, "processors")
    assert "| CalDAV server | dav.example.net | Copies of bookings" in text
    assert "| Calendar import (ICS) | cal.example.com | Busy times read; nothing sent |" in text
    record = markdown(client, "record")
    assert "CalDAV server dav.example.net" in record
    for leaked in ("alice", "pw@", "secret-token-987", "basic.ics", "encrypted-blob", "/calendars"):
        assert leaked not in text and leaked not in record


def test_smtp_relay_configured_or_files(client, login_as, app):
    login_as("admin")
    text = markdown(client, "processors")
    assert "| Email relay (SMTP) | none | No relay configured: emails are written to files" in text
    assert "Email relay" not in markdown(client, "record")
    app.config["MAIL_HOST"] = "smtp.relay.example.eu"
    app.config["MAIL_PASSWORD"] = "mail-password-42"
    text = markdown(client, "processors")
    assert "| Email relay (SMTP) | smtp.relay.example.eu | Every email" in text
    assert "Email relay smtp.relay.example.eu" in markdown(client, "record")
    assert "smtp.relay.example.eu" in markdown(client, "notice")
    assert "mail-password-42" not in text


def test_free_text_question_raises_the_special_category_risk(client, login_as):
    admin = login_as("admin")
    question(admin.organisation, "single_choice", "Team size", "To route you to the right team")
    text = markdown(client, "dpia")
    assert "| Special category data in free-text questions | no | No free-text questions |" in text
    assert "Special category risk" not in text
    record = markdown(client, "record")
    assert "Answers, one choice from a list: Team size" in record
    assert "| Qualification | Team size | one choice from a list | no | To route you" in record

    question(admin.organisation, "long_text", "Tell us about your health goals")
    text = markdown(client, "dpia")
    assert (
        "| Special category data in free-text questions | yes | Free-text questions may "
        "receive health" in text
    )
    assert "Tell us about your health goals" in text
    assert "Special category risk" in text
    assert "(no purpose stated in the form builder)" in markdown(client, "record")
    assert "Tell us about your health goals" in markdown(client, "notice")


def test_disqualifying_rule_is_profiling_in_the_dpia_and_told_in_the_notice(client, login_as):
    admin = login_as("admin")
    q = question(admin.organisation, "number", "Budget")
    assert "| Profiling or automated decisions about prospects | no |" in markdown(client, "dpia")
    assert "decide automatically" not in markdown(client, "notice")
    q.form.rules.append(
        RoutingRule(
            name="Too small",
            conditions=[{"field": q.key, "operator": "lt", "value": 100}],
            action_kind="disqualify",
        )
    )
    db.session.commit()
    assert "| Profiling or automated decisions about prospects | yes |" in markdown(client, "dpia")
    assert "decide automatically" in markdown(client, "notice")


def test_attribution_and_ads_appear_only_when_configured(client, login_as):
    admin = login_as("admin")
    notice, banner = markdown(client, "notice"), markdown(client, "banner")
    assert "rv_attr" not in notice and "ad click id" not in notice
    assert "Nothing to ask" in banner
    row = embed(admin.organisation, cookie_days=60)
    notice, banner = markdown(client, "notice"), markdown(client, "banner")
    assert "rv_attr" in notice and "60 days" in notice and "ad click id" not in notice
    assert "up to 60 days" in banner and "Ad measurement" not in banner
    assert "| Persistent identifiers and tracking | yes |" in markdown(client, "dpia")
    row.conversion_booked = "Booked call"
    db.session.commit()
    notice, banner = markdown(client, "notice"), markdown(client, "banner")
    assert "ad click id" in notice
    assert "Ad measurement" in banner and "Accept without ad measurement" in banner
    processors = markdown(client, "processors")
    assert "| Ad platforms | none (offline files) | Conversion files (booked)" in processors


def test_domains_are_the_public_url_and_the_allowlisted_pages(client, login_as, app):
    admin = login_as("admin")
    app.config["PUBLIC_URL"] = "https://book.northwind.example"
    embed(
        admin.organisation,
        allowed_origins=["https://www.northwind.example", "https://shop.northwind.example"],
    )
    text = markdown(client, "domains")
    assert "| book.northwind.example | Rendezvous (this installation)" in text
    assert "| https://www.northwind.example | Your page that embeds the widget" in text
    assert "| https://shop.northwind.example | Your page that embeds the widget" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 4  # header, the app, two pages: nothing else


def test_retention_periods_come_from_the_organisation(client, login_as):
    admin = login_as("admin")
    assert f"| {BOOKINGS} | 36 months |" in markdown(client, "record")
    admin.organisation.retention_periods = {"bookings": "24m", "login_attempts": "7d"}
    db.session.commit()
    text = markdown(client, "record")
    assert f"| {BOOKINGS} | 24 months |" in text
    assert (
        "| Login attempts, and email files written without a relay: after their time | 7 days |"
        in text
    )
    assert "| 24 months |" in markdown(client, "notice")


def test_another_organisations_configuration_never_shows(
    client, login_as, make_org, make_user, make_host
):
    other = make_org(name="Other Company Ltd")
    other_admin = make_user(role="admin", org=other)
    webhook(other, other_admin, "https://hooks.othercompany.example/in")
    embed(other, allowed_origins=["https://www.othercompany.example"])
    question(other, "long_text", "Other org secret question")
    other_host = make_host(org=other)
    db.session.add(
        CalendarSource(
            host_id=other_host.id,
            kind="caldav",
            name="Other",
            url="https://dav.othercompany.example/cal/",
            write_back=True,
            next_attempt_at=FROZEN_NOW,
            created_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    login_as("admin")
    for slug in SLUGS:
        for text in (page(client, slug), markdown(client, slug)):
            assert "othercompany" not in text, slug
            assert "Other Company Ltd" not in text
            assert "Other org secret question" not in text


def test_markdown_download(client, login_as):
    admin = login_as("admin")
    response = client.get(f"{BASE}/record.md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="record.md"'
    assert response.text.startswith("# Record of processing activities (Art. 30 GDPR)\n")
    assert f"## Controller\n\n{admin.organisation.name}\n" in response.text


def test_html_download_is_standalone_without_external_urls(client, login_as, app):
    admin = login_as("admin")
    app.config["PUBLIC_URL"] = "https://book.northwind.example"
    embed(admin.organisation)
    webhook(admin.organisation, admin, "https://crm.example.org/hooks/x")
    for slug in SLUGS:
        response = client.get(f"{BASE}/{slug}.html")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{slug}.html"'
        assert response.headers["Content-Security-Policy"] == STANDALONE_CSP
        assert "unsafe-inline" not in STANDALONE_CSP
        body = response.text
        assert body.startswith("<!DOCTYPE html>") and admin.organisation.name in body
        # Nothing loads: no link, script, image or stylesheet reference at all.
        assert third_party_urls.external_urls(body, ()) == []
        assert not re.search(r"<(script|link|img|iframe)\b|\b(src|href)=", body, re.I)
        # Its one style block is the one the policy allows by hash.
        style = re.search(r"<style>(.*?)</style>", body, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]
        # The file carries the same policy for when it is opened from disk (frame-ancestors
        # aside: browsers ignore it in a meta element and warn).
        meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', body)
        policy = html.unescape(meta.group(1))
        assert policy == STANDALONE_CSP.replace("; frame-ancestors 'none'", "")


def test_banner_is_written_in_the_organisations_language(client, login_as, make_event_type):
    admin = login_as("admin")
    embed(admin.organisation)
    make_event_type(hosts=[], organisation=admin.organisation, default_locale="de")
    assert '<html lang="de">' in client.get(f"{BASE}/banner.html").text
    assert '<html lang="en">' in client.get(f"{BASE}/record.html").text
    assert 'lang="de"' in client.get(f"{BASE}/banner").text


def test_configured_values_are_escaped(client, login_as):
    admin = login_as("admin")
    admin.organisation.name = "<b>Acme</b> | *Sales*"
    db.session.commit()
    question(admin.organisation, "short_text", "Name <script>x</script>")
    text = client.get(f"{BASE}/record").text
    assert "<b>Acme</b>" not in text and "&lt;b&gt;Acme&lt;/b&gt;" in text
    assert "<script>x</script>" not in text
    assert "<script>x" not in client.get(f"{BASE}/record.html").text
    md = markdown(client, "record")
    assert "\\<b\\>Acme\\</b\\> | \\*Sales\\*" in md
    assert "| Name \\<script\\>x\\</script\\> |" in md
