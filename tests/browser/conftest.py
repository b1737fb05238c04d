"""Browser fixtures: one Chromium (Debian's) per session, a host page on another origin.

The host page is served on http://localhost:<port>, the app on http://127.0.0.1:<port>: cookies
ignore ports, so the two are different sites and the widget is a third-party frame. The
profile's Preferences block third-party cookies (`profile.cookie_controls_mode` = 1).
Without /usr/bin/chromium these tests skip, unless CI is set: then they fail.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def _chromium_missing() -> str | None:
    if Path(CHROMIUM).exists():
        return None
    return f"{CHROMIUM} is not installed (apt-get install chromium)"


class HostSite:
    """A tiny static site on localhost whose pages each test sets."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def host_site():
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """One persistent Chromium context for the session, third-party cookies blocked."""
    missing = _chromium_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"cookie_controls_mode": 1}})
    )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            timezone_id="Europe/Berlin",
            args=["--no-sandbox", "--disable-background-networking"],
        )
        context.set_default_timeout(10000)
        yield context
        context.close()


@pytest.fixture
def browser_page(browser_context, host_site, live_server):
    """A fresh page; fails the test if the browser asked any origin but the two of the test."""
    browser_context.clear_cookies()
    requests: list[str] = []

    def on_request(request):
        requests.append(request.url)

    browser_context.on("request", on_request)
    page = browser_context.new_page()
    yield page
    page.close()
    browser_context.remove_listener("request", on_request)
    allowed = (host_site.origin + "/", live_server.url + "/")
    strangers = [url for url in requests if not url.startswith(allowed)]
    assert requests and not strangers, strangers
