"""`flask rendezvous privacy-audit` against live pages: the demo passes, trackers fail (15.6).

The command runs as its own process (as an operator runs it), with its own Chromium, against the
test's live server; the tracker pages live on the loopback host site (localhost) and a second
loopback origin (127.0.0.2) plays the third party. Nothing leaves the machine.
"""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduling import clock
from scheduling.cli.demo import load_demo
from scheduling.extensions import db
from scheduling.models import Booking, ConsentRecord, EmbedSettings

from .conftest import _chromium_missing

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _chromium():
    missing = _chromium_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {missing}")
        pytest.skip(missing)


def audit(url: str, tmp_path, live_server, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "RENDEZVOUS_PUBLIC_URL": live_server.url,
    }
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.run(
        [flask, "rendezvous", "privacy-audit", url, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def section(report: str, title: str) -> str:
    return report.split(f"## {title}\n")[1].split("\n## ")[0]


def failures(report: str) -> list[str]:
    return [line.removeprefix("FAIL: ") for line in report.splitlines() if line.startswith("FAIL")]


def test_the_demo_landing_page_passes_and_stores_rv_attr_only_after_consent(
    app, live_server, tmp_path
):
    load_demo(clock.utcnow(), app.config["JITSI_BASE_URL"], live_server.url)
    db.session.commit()
    run = audit(f"{live_server.url}/static/demo/landing.html", tmp_path, live_server)
    assert run.returncode == 0, run.stdout + run.stderr
    report = run.stdout
    assert "Traceback" not in run.stderr
    for title in ("Before consent", "After refusal"):
        part = section(report, title)
        assert "Nothing stored." in part and "rv_attr" not in part, part
        assert "reached the details form (not sent)" in part
        assert "- 127.0.0.1 (first party (page))" in part
    after = section(report, "After consent")
    assert "Booking: booked" in after
    assert "| Name | Kind | Party | Lifetime | Purpose | Before consent |" in after
    assert "| rv_attr | cookie | first party (page): 127.0.0.1 | 30 days |" in after
    assert after.rstrip().endswith("and the A/B variant shown | no |")
    assert "third party" not in report
    assert "PASS:" in report and failures(report) == []
    # The walk really booked, with a fresh test address, and the refusal and grant were logged.
    db.session.rollback()
    emails = db.session.scalars(select(Booking.invitee_email)).all()
    booked = [e for e in emails if e.startswith("privacy-audit+after-consent-")]
    assert len(booked) == 1 and booked[0].endswith("@example.com")
    decisions = db.session.scalars(select(ConsentRecord.decision).order_by(ConsentRecord.id)).all()
    assert decisions == ["refused", "granted"]


@pytest.fixture
def host_widget(app, make_event_type, host_site):
    """An event type whose organisation lets the host site (localhost) frame the widget."""
    event_type = make_event_type(title="Intro call")
    db.session.add(
        EmbedSettings(
            organisation_id=event_type.organisation_id,
            allowed_origins=[host_site.origin],
            cookie_days=30,
            updated_at=clock.utcnow(),
        )
    )
    db.session.commit()
    return event_type


def landing(live_server, slug: str, extra: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
{extra}
<script src="{live_server.url}/static/embed.js" defer></script>
</head><body><h1>Our offer</h1><div data-rendezvous="{slug}"></div></body></html>"""


def test_a_page_that_sets_a_cookie_before_consent_fails_naming_it(
    host_widget, host_site, live_server, tmp_path
):
    script = '<script>document.cookie = "tracker=1; max-age=86400; path=/";</script>'
    host_site.pages["/tracked"] = landing(live_server, host_widget.slug, script)
    run = audit(f"{host_site.origin}/tracked", tmp_path, live_server)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    found = failures(run.stdout)
    assert found == [
        "before consent: cookie 'tracker' stored on localhost",
        "after refusal: cookie 'tracker' stored on localhost",
    ], run.stdout
    before = section(run.stdout, "Before consent")
    assert "| tracker | cookie | first party (page): localhost | 24 hours |" in before
    assert "unknown (not set by Rendezvous) | yes |" in before
    assert "Booking: booked" in section(run.stdout, "After consent")


class OtherOrigin:
    """A second loopback origin (127.0.0.2) serving one script: the 'third party'."""

    def __init__(self):
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                if self.path == "/frame.html":
                    body, kind = b"<script>localStorage.setItem('seen', '1');</script>", "text/html"
                else:
                    body, kind = b"window.tracked = true;", "text/javascript"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.origin = f"http://127.0.0.2:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other_origin():
    origin = OtherOrigin()
    yield origin
    origin.close()


def test_a_page_loading_a_script_from_another_origin_fails_and_json_parses(
    host_widget, host_site, live_server, other_origin, tmp_path
):
    script = f'<script src="{other_origin.origin}/tracker.js"></script>'
    host_site.pages["/third"] = landing(live_server, host_widget.slug, script)
    run = audit(f"{host_site.origin}/third", tmp_path, live_server, "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["passed"] is False
    assert report["problems"] == [
        f"{phase}: third-party domain 127.0.0.2 contacted"
        for phase in ("before consent", "after refusal", "after consent")
    ]
    assert report["first_party"] == ["127.0.0.1", "localhost"]
    first = report["phases"][0]
    assert first["phase"] == "before_consent" and first["storage"] == []
    assert {"domain": "127.0.0.2", "party": "third party"} in first["domains"]
    assert {"domain": "127.0.0.1", "party": "first party (Rendezvous)"} in first["domains"]
    assert report["phases"][2]["booking"] == "booked"
    assert [row["Name"] for row in report["storage"]] == ["rv_attr"]
    assert other_origin.hits == ["/tracker.js"] * 3


def test_storage_in_a_third_party_frame_is_seen_the_browser_does_not_block_it(
    host_widget, host_site, live_server, other_origin, tmp_path
):
    """Third-party cookies and storage are allowed in the audit's profile: a framed origin
    that keeps something is caught, not hidden by the browser's own blocking."""
    frame = f'<iframe src="{other_origin.origin}/frame.html" title="x"></iframe>'
    host_site.pages["/framed"] = landing(live_server, host_widget.slug, "").replace(
        "<h1>", frame + "<h1>"
    )
    run = audit(f"{host_site.origin}/framed", tmp_path, live_server)
    assert run.returncode == 1, run.stdout + run.stderr
    before = section(run.stdout, "Before consent")
    assert "| seen | localStorage | third party: 127.0.0.2 | until cleared |" in before
    assert "before consent: localStorage 'seen' stored on 127.0.0.2" in failures(run.stdout)
    assert "after refusal: localStorage 'seen' stored on 127.0.0.2" in failures(run.stdout)


def test_an_unreachable_page_is_one_clear_line(live_server, tmp_path):
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_port
    closed.server_close()
    run = audit(f"http://127.0.0.1:{port}/landing", tmp_path, live_server)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        f"Error: Cannot open http://127.0.0.1:{port}/landing: Page.goto: "
        f"net::ERR_CONNECTION_REFUSED at http://127.0.0.1:{port}/landing"
    ]


def test_a_missing_chromium_is_one_clear_line(live_server, tmp_path):
    run = audit(f"{live_server.url}/", tmp_path, live_server, "--chromium", "/no/chromium")
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip() == (
        "Error: /no/chromium is not installed (apt-get install chromium, or --chromium PATH)."
    )
