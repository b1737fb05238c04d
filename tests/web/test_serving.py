"""How answers are sent: compression (never on admin pages), hashed static URLs, caching, HSTS."""

import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest

from scheduling.extensions import db
from scheduling.operations.bookings import Invitee, create_booking
from scheduling.operations.calendar_feeds import regenerate_feed
from tests.conftest import FROZEN_NOW, TEST_SECRET, login

ROOT = Path(__file__).resolve().parents[2]
STATIC_URL = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")


def decoded(response) -> bytes:
    coding = response.headers.get("Content-Encoding")
    body = response.get_data()
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return brotli.decompress(body)
    assert coding is None, coding
    return body


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type()


def feed_url(event_type) -> str:
    """A host feed with a few bookings in it (an empty feed is too small to be compressed)."""
    host = event_type.hosts[0]
    for day in (8, 9, 10):
        create_booking(
            event_type,
            datetime(2030, 1, day, 9, 0, tzinfo=UTC),
            Invitee("Grace Hopper", "grace@example.com", "Europe/Paris", "Bring numbers"),
            FROZEN_NOW,
            video_base_url="https://meet.test.example",
            only_host_id=host.id,
        )
    token = regenerate_feed(host, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    return f"/feeds/host/{token}.ics"


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_booking_page_is_compressed_when_the_client_accepts_it(client, event_type, coding):
    plain = client.get(f"/book/{event_type.slug}")
    packed = client.get(f"/book/{event_type.slug}", headers={"Accept-Encoding": coding})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]  # caches keep the two apart
    assert len(packed.get_data()) < len(plain.get_data()) / 3
    assert decoded(packed) == plain.get_data()


def test_json_and_calendar_answers_are_compressed(client, event_type):
    api = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert api.headers["Content-Encoding"] == "gzip"
    assert decoded(api).startswith(b"{")

    feed = client.get(feed_url(event_type), headers={"Accept-Encoding": "gzip, br"})
    assert feed.status_code == 200
    assert feed.headers["Content-Encoding"] == "br"  # preferred when both are accepted
    assert decoded(feed).startswith(b"BEGIN:VCALENDAR")


def test_feed_revalidates_with_the_compressed_etag(client, event_type):
    url = feed_url(event_type)
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.endswith(':gzip"')
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.get_data() == b""


def test_admin_pages_are_never_compressed(client, make_user):
    """BREACH: a session-bound CSRF token next to reflected input must not be compressed."""
    page = client.get("/admin/login", headers={"Accept-Encoding": "gzip, br"})
    assert page.status_code == 200
    assert "Content-Encoding" not in page.headers
    user = make_user(role="admin")
    assert login(client, user.email).status_code == 302
    for url in ("/admin/", "/admin/bookings?q=reflected-search-text"):
        answer = client.get(url, headers={"Accept-Encoding": "gzip, br"})
        assert answer.status_code == 200, url
        assert len(answer.get_data()) > 500, url  # big enough that it would be compressed
        assert "Content-Encoding" not in answer.headers, url


def test_static_urls_carry_the_content_hash(app, client, event_type):
    page = client.get(f"/book/{event_type.slug}").text
    urls = STATIC_URL.findall(page)
    assert any("css/app.css" in url for url in urls)
    assert any("js/timezone.js" in url for url in urls)
    hashes = app.extensions["rendezvous_static_hashes"]
    for url in urls:
        path, _, query = url.removeprefix("/static/").partition("?v=")
        assert query == hashes[path], url


def test_hashed_static_file_is_immutable_and_others_revalidate(app, client):
    digest = app.extensions["rendezvous_static_hashes"]["css/app.css"]
    hashed = client.get(f"/static/css/app.css?v={digest}", headers={"Accept-Encoding": "gzip"})
    assert hashed.status_code == 200
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert hashed.headers["Content-Encoding"] == "gzip"
    assert decoded(hashed) == (ROOT / "static/css/app.css").read_bytes()
    # No version, or a version of another deploy: the file is served but checked every time.
    for url in ("/static/css/app.css", "/static/css/app.css?v=0123456789abcdef"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-cache", url
    assert client.get("/static/css/nothing-here.css").status_code == 404


def test_embed_script_keeps_its_url_with_a_short_cache_and_an_etag(app, client):
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="embed.js") == "/static/embed.js"
    first = client.get("/static/embed.js")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    assert etag == f'"{app.extensions["rendezvous_static_hashes"]["embed.js"]}"'
    again = client.get("/static/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    packed = client.get("/static/embed.js", headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert decoded(packed) == first.get_data()
    revalidated = client.get(
        "/static/embed.js",
        headers={"Accept-Encoding": "br", "If-None-Match": packed.headers["ETag"]},
    )
    assert revalidated.status_code == 304
    assert revalidated.headers["ETag"] == packed.headers["ETag"]


def test_every_template_links_static_files_through_url_for():
    """A literal /static/ path would miss the content hash and be cached for a year unversioned."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        for line_no, line in enumerate(template.read_text().splitlines(), 1):
            if re.search(r"""(?:href|src)=["']/static/""", line):
                offenders.append(f"{template.relative_to(ROOT)}:{line_no}")
    assert offenders == []


def _hsts(app, client, production: bool, public_url: str, base_url: str = "http://localhost"):
    app.config["PRODUCTION"] = production
    app.config["PUBLIC_URL"] = public_url
    return client.get("/", base_url=base_url).headers.get("Strict-Transport-Security")


def test_hsts_only_in_production_over_https(app, client):
    expected = "max-age=63072000; includeSubDomains"
    assert _hsts(app, client, True, "https://book.example.eu") == expected
    assert _hsts(app, client, True, "", base_url="https://book.example.eu") == expected
    assert _hsts(app, client, True, "http://127.0.0.1:8000") is None
    assert _hsts(app, client, True, "") is None
    # Development: never, even over https (a browser would remember it for localhost).
    assert _hsts(app, client, False, "https://book.example.eu") is None
    assert _hsts(app, client, False, "", base_url="https://localhost") is None


def test_hsts_max_age_setting_changes_or_disables_it(app, client):
    app.config["HSTS_MAX_AGE"] = 300
    assert _hsts(app, client, True, "https://book.example.eu") == "max-age=300; includeSubDomains"
    app.config["HSTS_MAX_AGE"] = 0
    assert _hsts(app, client, True, "https://book.example.eu") is None
