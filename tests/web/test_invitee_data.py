"""The invitee's own data from their signed booking link: see it, download it, ask for erasure
(signed form token, no cookie); a bad or forged link is 404; asking twice makes one request."""

import html
import json
import re
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import PrivacyRequest
from scheduling.operations.subject_requests import erase_subject
from scheduling.security.links import booking_token
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.subject_world import INES, INES_LOWER, build_world


@pytest.fixture
def world(app, make_event_type, tmp_path, monkeypatch, frozen_now):
    return build_world(app, make_event_type, tmp_path, monkeypatch)


def _base(booking, purpose="view") -> str:
    token = booking_token(TEST_SECRET, booking.uid, booking.token_version, purpose)
    return f"/booking/{booking.uid}/{token}"


def _form_token(text: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', text).group(1)


def _requests() -> list[PrivacyRequest]:
    return db.session.scalars(select(PrivacyRequest)).all()


def test_booking_page_links_to_a_page_of_everything_stored(client, world):
    base = _base(world.booking)
    assert f'href="{base}/my-data"' in client.get(base).text
    response = client.get(f"{base}/my-data")
    assert response.status_code == 200 and not response.headers.getlist("Set-Cookie")
    page = html.unescape(response.text)
    assert f"stores about {INES_LOWER}" in page
    assert "Please call my mobile" in page and "Ines' bakery in Köln" in page
    assert "+49 151 1234567" in page and "granted" in page
    assert "Otto Other" not in page and world.other_booking.uid not in page
    assert "Ask for erasure of my data" in page


def test_json_download_is_an_attachment_with_their_data(client, world):
    response = client.get(f"{_base(world.booking)}/my-data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.data)
    assert data["subject"]["email"] == INES_LOWER
    assert [b["id"] for b in data["bookings"]] == [world.booking.uid]
    assert data["counts"]["leads"] == 2 and data["counts"]["mail_files"] == 1


@pytest.mark.parametrize("suffix", ["/my-data", "/my-data.json"])
def test_bad_or_forged_links_are_404(client, world, suffix):
    booking = world.booking
    forged = booking_token("another-secret", booking.uid, booking.token_version, "view")
    cancel = _base(booking, "cancel")  # a real token, but for another purpose
    other = _base(world.otto_booking).rsplit("/", 1)[1]  # another booking's token
    for base in (
        f"/booking/{booking.uid}/{forged}",
        cancel,
        f"/booking/{booking.uid}/{other}",
        f"/booking/nosuchuid/{forged}",
    ):
        assert client.get(base + suffix).status_code == 404
    post = client.post(f"/booking/{booking.uid}/{forged}/my-data/erase", data={"form_token": "x"})
    assert post.status_code == 404 and _requests() == []


def test_asking_for_erasure_creates_one_open_request_due_in_a_month(client, world):
    base = _base(world.booking)
    token = _form_token(client.get(f"{base}/my-data").text)
    first = client.post(f"{base}/my-data/erase", data={"form_token": token})
    assert first.status_code == 303 and first.headers["Location"].endswith("my-data?requested=1")
    again = client.post(f"{base}/my-data/erase", data={"form_token": token})
    assert again.status_code == 303
    (row,) = _requests()
    assert (row.status, row.kind, row.subject_email) == ("open", "erasure", INES_LOWER)
    assert row.organisation_id == world.org.id
    assert row.created_at == FROZEN_NOW
    assert row.due_at == datetime(2030, 2, 7, 8, 0, tzinfo=UTC)
    page = html.unescape(client.get(f"{base}/my-data?requested=1").text)
    assert "Your erasure request was received on 2030-01-07" in page
    assert "2030-02-07" in page and "Ask for erasure of my data" not in page
    # The data itself is untouched until an admin acts.
    db.session.expire_all()
    assert world.booking.invitee_email == INES


def test_erasure_request_needs_a_valid_form_token_and_same_origin(client, world):
    base = _base(world.booking)
    assert client.post(f"{base}/my-data/erase", data={"form_token": "forged"}).status_code == 400
    other = _form_token(client.get(f"{_base(world.otto_booking)}/my-data").text)
    assert client.post(f"{base}/my-data/erase", data={"form_token": other}).status_code == 400
    token = _form_token(client.get(f"{base}/my-data").text)
    cross = client.post(
        f"{base}/my-data/erase",
        data={"form_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PrivacyRequest)) == 0


def test_after_erasure_the_page_shows_nothing_personal(client, world):
    base = _base(world.booking)
    token = _form_token(client.get(f"{base}/my-data").text)  # a page opened before the erasure
    erase_subject(world.org.id, INES, FROZEN_NOW, world.mail_dir)
    db.session.commit()
    page = html.unescape(client.get(f"{base}/my-data").text)
    assert "The personal data of this booking has been erased." in page
    assert "Ines" not in page and "Ask for erasure" not in page
    assert 'name="form_token"' not in page
    assert json.loads(client.get(f"{base}/my-data.json").data) == {}
    assert client.post(f"{base}/my-data/erase", data={"form_token": token}).status_code == 303
    assert _requests() == []


def test_simultaneous_submissions_make_one_request(client, world, live_server):
    base = _base(world.booking)
    token = _form_token(client.get(f"{base}/my-data").text)
    db.session.commit()  # end the test's read transaction: the server's writers run freely
    body = urlencode({"form_token": token}).encode()
    statuses = []

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def post():
        try:
            statuses.append(opener.open(f"{live_server.url}{base}/my-data/erase", body).status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [303] * 6
    db.session.expire_all()
    assert len(_requests()) == 1
