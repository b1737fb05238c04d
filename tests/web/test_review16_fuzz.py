"""Review of issue 16: odd input on the new scheduling options never gives a 500."""

import re

import pytest

from scheduling.extensions import db
from scheduling.operations.api_keys import create_api_key
from tests.conftest import FROZEN_NOW

TUESDAY_10 = "2030-01-08T09:00:00+00:00"
EVERY_KIND = [
    {"kind": "video", "detail": ""},
    {"kind": "invitee_phone", "detail": ""},
    {"kind": "host_phone", "detail": "+493012345678"},
    {"kind": "in_person", "detail": "Main St 1"},
    {"kind": "link", "detail": "https://example.com/room"},
]
ODD = ["", "0", "-30", "30.0", "1e3", "9" * 20, "３０", "30\x00", "\x00", "abc", " 30 "]


@pytest.fixture
def world(make_org, make_host, make_user, make_event_type, frozen_now):
    org = make_org()
    a = make_host(org=org, name="Ann")
    b = make_host(org=org, name="Bob")
    multi = make_event_type(hosts=[a], slug="multi", durations=[15, 30, 45], locations=EVERY_KIND)
    coll = make_event_type(hosts=[a, b], slug="coll", assignment="collective", durations=[30, 60])
    admin = make_user(role="admin", org=org)
    _, token = create_api_key(admin, "W", "write", FROZEN_NOW)
    db.session.commit()
    return {"multi": multi, "coll": coll, "api": {"Authorization": f"Bearer {token}"}}


def _ok(response):
    assert response.status_code < 500, response.text[:2000]


@pytest.mark.parametrize("slug", ["multi", "coll"])
@pytest.mark.parametrize("value", ODD)
def test_public_pages_and_api_slots_refuse_odd_durations(client, world, slug, value):
    _ok(client.get(f"/book/{slug}", query_string={"duration": value}))
    _ok(client.get(f"/book/{slug}", query_string={"duration": value, "fragment": "times"}))
    _ok(client.get(f"/book/{slug}/confirm", query_string={"duration": value, "start": TUESDAY_10}))
    _ok(client.get(f"/api/v1/event-types/{slug}/slots", query_string={"duration": value}))


@pytest.mark.parametrize(
    "extra",
    [
        {"duration": "30x"},
        {"duration": ["30", "45"]},
        {"location": "\x00"},
        {"location": "bogus"},
        {"location": "invitee_phone", "phone": "\x00"},
        {"location": "invitee_phone", "phone": "+" + "9" * 39},
        {"location": "invitee_phone", "phone": "+4930\x001234567"},
        {"location": "invitee_phone", "phone": "+49 30 1234567" + "\u200b"},
        {"locale": "\x00"},
        {"tz": "\x00"},
        {"tz": "Not/AZone"},
        {"start": "2030-01-08T09:00:00+25:00"},
        {"start": "\x00"},
        {"lead": "\x00"},
        {"visitor": "\x00"},
    ],
)
def test_confirm_form_refuses_odd_fields(client, world, extra):
    page = client.get("/book/multi/confirm", query_string={"start": TUESDAY_10, "duration": "30"})
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)
    data = {
        "start": TUESDAY_10,
        "tz": "Europe/Berlin",
        "duration": "30",
        "form_token": token,
        "name": "Grace",
        "email": "grace@example.com",
        "location": "video",
        **extra,
    }
    _ok(client.post("/book/multi/confirm", data=data))
    _ok(client.get("/book/multi/confirm", query_string=data))


BAD_JSON = [
    {"duration": 10**30},
    {"duration": -30},
    {"duration": 30.0},
    {"duration": "30"},
    {"duration": [30]},
    {"location": ["video"]},
    {"location": {"kind": "video"}},
    {"location": "invitee_phone", "phone": 4930},
    {"location": "invitee_phone", "phone": "\x00"},
    {"location": "invitee_phone", "phone": "+4930\x001234567"},
    {"location": "in_person"},
    {"name": "A\x00B"},
    {"note": "\x00"},
    {"timezone": "\x00"},
    {"answers": {"\x00": "\x00"}},
    {"lead": "\x00"},
]


@pytest.mark.parametrize("slug", ["multi", "coll"])
@pytest.mark.parametrize("extra", BAD_JSON)
def test_api_booking_refuses_odd_fields(client, world, slug, extra):
    body = {"event_type": slug, "start": TUESDAY_10, "name": "G", "email": "g@example.com"}
    _ok(client.post("/api/v1/bookings", json={**body, **extra}))


@pytest.mark.parametrize(
    "extra",
    [
        {"duration": 10**30},
        {"duration": 15},
        {"duration": "60"},
        {"duration": 45},
        {"host_id": 10**30},
        {"host_id": 2},
        {"host_id": 999},
        {"start": "\x00"},
        {"reason": "\x00"},
        {"reason": ["x"]},
    ],
)
@pytest.mark.parametrize("slug", ["multi", "coll"])
def test_api_reschedule_and_cancel_refuse_odd_fields(client, world, slug, extra):
    body = {"event_type": slug, "start": TUESDAY_10, "name": "G", "email": "g@example.com"}
    made = client.post("/api/v1/bookings", json=body)
    assert made.status_code == 201, made.text
    uid = made.json["id"]
    moved = {"start": "2030-01-08T12:00:00+00:00", **extra}
    _ok(client.post(f"/api/v1/bookings/{uid}/reschedule", json=moved, headers=world["api"]))
    _ok(client.post(f"/api/v1/bookings/{uid}/cancel", json=extra, headers=world["api"]))


@pytest.mark.parametrize(
    "url",
    [
        "/u/%00",
        "/t/%00",
        "/u/" + "a" * 5000,
        "/book/multi?duration=45&date=9999-12-31",
        "/book/multi?duration=45&month=0000-00",
        "/book/multi?duration=45&date=2030-01-08&fragment=times&tz=%00",
        "/book/coll?duration=60&date=2030-01-08&fragment=times",
        "/book/coll/confirm?duration=60&start=2030-01-08T09:07:00%2B00:00",
        "/api/v1/event-types/coll/slots?duration=60&start=2030-01-08&end=2031-01-08",
        "/api/v1/event-types/coll/slots?duration=60&start=0001-01-01&end=9999-12-31",
    ],
)
def test_pages_with_odd_paths_and_ranges_answer_without_error(client, world, url):
    _ok(client.get(url))
