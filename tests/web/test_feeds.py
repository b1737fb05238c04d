"""Subscription feeds: secret URLs, content, cancellation, reschedule, 304s, no cookies, access."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import CalendarFeed, Lead, Pool, PoolMember
from scheduling.operations.bookings import (
    Invitee,
    cancel_booking,
    create_booking,
    reschedule_booking,
)
from scheduling.operations.calendar_feeds import regenerate_feed
from tests.conftest import FROZEN_NOW, TEST_SECRET, csrf_from, login, post_form

VIDEO = "https://meet.test.example"
TUESDAY = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def book(event_type, start, host, name="Grace Hopper", email="grace@example.com"):
    booking = create_booking(
        event_type,
        start,
        Invitee(name, email, "Europe/Paris", "Bring numbers"),
        FROZEN_NOW,
        video_base_url=VIDEO,
        only_host_id=host.id,
    )
    db.session.commit()
    return booking


@pytest.fixture
def host(make_host):
    return make_host(name="Anna Closer")


@pytest.fixture
def event_type(make_event_type, host, frozen_now):
    return make_event_type(hosts=[host], title="Discovery call")


def host_feed_url(host) -> str:
    token = regenerate_feed(host, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    return f"/feeds/host/{token}.ics"


def events(body: bytes) -> dict[str, object]:
    return {str(e["uid"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def test_host_feed_lists_bookings_with_details(client, host, event_type):
    booking = book(event_type, TUESDAY, host)
    db.session.add(
        Lead(
            uid="lead1",
            organisation_id=host.organisation_id,
            event_type_id=event_type.id,
            status="booked",
            answers={"budget": "50k", "team_size": 12},
            booking_id=booking.id,
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    response = client.get(host_feed_url(host))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "Set-Cookie" not in response.headers
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["x-wr-calname"]) == "Anna Closer: bookings"
    assert str(calendar["name"]) == "Anna Closer: bookings"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M" in response.data
    assert b"X-PUBLISHED-TTL:PT15M" in response.data
    event = events(response.data)[booking.ical_uid]
    assert event.decoded("dtstart") == TUESDAY
    assert event.decoded("dtend") == TUESDAY + timedelta(minutes=30)
    assert str(event["summary"]) == "Discovery call: Grace Hopper"
    assert str(event["location"]).startswith(VIDEO)
    description = str(event["description"])
    assert "budget: 50k" in description and "team_size: 12" in description
    assert "Note: Bring numbers" in description
    assert event.decoded("last-modified") == FROZEN_NOW
    assert event.decoded("dtstamp") == FROZEN_NOW
    assert "attendee" not in event
    assert b"DTSTART:20300108T090000Z" in response.data  # UTC, no VTIMEZONE
    assert b"VTIMEZONE" not in response.data


def test_cancelled_booking_leaves_feed_and_reschedule_raises_sequence(client, host, event_type):
    kept = book(event_type, TUESDAY, host)
    gone = book(event_type, TUESDAY + timedelta(hours=1), host, name="Alan Turing")
    url = host_feed_url(host)
    first = client.get(url)
    assert set(events(first.data)) == {kept.ical_uid, gone.ical_uid}
    cancel_booking(gone, "no longer needed", FROZEN_NOW + timedelta(minutes=5))
    moved = reschedule_booking(
        kept, TUESDAY + timedelta(hours=3), FROZEN_NOW + timedelta(minutes=6), video_base_url=VIDEO
    )
    db.session.commit()
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    listed = events(second.data)
    assert set(listed) == {kept.ical_uid}
    assert int(listed[kept.ical_uid]["sequence"]) == moved.sequence == 1
    assert listed[kept.ical_uid].decoded("dtstart") == TUESDAY + timedelta(hours=3)
    assert second.headers["ETag"] != first.headers["ETag"]


def test_conditional_requests_get_304(client, host, event_type):
    book(event_type, TUESDAY, host)
    url = host_feed_url(host)
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    # If-None-Match wins over If-Modified-Since (RFC 9110).
    both = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert both.status_code == 200
    earlier = "Mon, 01 Jan 2029 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    # A new booking changes both validators.
    book(event_type, TUESDAY + timedelta(hours=2), host, name="Ada")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_regenerating_revokes_the_old_url_and_token_is_hashed(client, host, event_type):
    old = host_feed_url(host)
    assert client.get(old).status_code == 200
    new = host_feed_url(host)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    row = db.session.query(CalendarFeed).one()
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 32  # 192 bits, URL-safe base64
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_encrypted
    # A host token does not open the team route, and garbage is a plain 404.
    assert client.get(new.replace("/host/", "/team/")).status_code == 404
    assert client.get("/feeds/host/nope.ics").status_code == 404


def test_busy_only_setting_hides_details(client, host, event_type):
    booking = book(event_type, TUESDAY, host)
    url = host_feed_url(host)
    first = client.get(url)
    host.organisation.feed_busy_only = True
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    event = events(response.data)[booking.ical_uid]
    assert str(event["summary"]) == "Busy"
    assert str(event["class"]) == "PRIVATE"
    for absent in ("description", "location", "organizer"):
        assert absent not in event
    assert b"Grace" not in response.data and b"grace@" not in response.data


def test_team_feed_has_the_team_event_types_bookings(client, make_host, make_event_type, host):
    other = make_host(org=host.organisation, name="Bob Closer")
    pool = Pool(organisation_id=host.organisation_id, name="EMEA", created_at=FROZEN_NOW)
    db.session.add(pool)
    for member in (host, other):
        db.session.add(PoolMember(pool=pool, host_id=member.id, joined_at=FROZEN_NOW))
    db.session.commit()
    team_type = make_event_type(hosts=[host, other], title="Team demo", pool_id=pool.id)
    solo_type = make_event_type(hosts=[host], title="Solo")
    clock_now = FROZEN_NOW
    a = book(team_type, TUESDAY, other)
    book(solo_type, TUESDAY + timedelta(hours=2), host)
    token = regenerate_feed(pool, TEST_SECRET, clock_now)
    db.session.commit()
    response = client.get(f"/feeds/team/{token}.ics")
    listed = events(response.data)
    assert set(listed) == {a.ical_uid}
    assert str(listed[a.ical_uid]["summary"]) == "Team demo: Grace Hopper with Bob Closer"
    assert str(Calendar.from_ical(response.data)["x-wr-calname"]) == "EMEA (team): bookings"


def test_rep_gets_own_feed_with_webcal_link(client, make_user, host, frozen_now):
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    page = client.get(f"/admin/hosts/{host.id}/calendars")
    assert page.status_code == 200
    response = post_form(
        client, f"/admin/hosts/{host.id}/calendars/feed", {}, page_url=page.request.path
    )
    assert response.status_code == 302
    page = client.get(f"/admin/hosts/{host.id}/calendars")
    webcal = re.search(r'href="(webcal://[^"]+)"', page.text).group(1)
    https = webcal.replace("webcal://", "http://")
    path = https.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    # CSRF is required.
    assert client.post(f"/admin/hosts/{host.id}/calendars/feed").status_code == 400


def test_rep_cannot_see_another_hosts_feed_or_team_feeds(client, make_user, make_host, host):
    rep = make_user(role="rep", host=host)
    other = make_host(org=host.organisation)
    assert login(client, rep.email).status_code == 302
    assert client.get(f"/admin/hosts/{other.id}/calendars").status_code == 404
    assert client.get("/admin/teams/feeds").status_code == 403
    page = client.get(f"/admin/hosts/{host.id}/calendars")
    token = csrf_from(page.text)
    assert (
        client.post(f"/admin/hosts/{other.id}/calendars/feed", data={"csrf_token": token})
    ).status_code == 404


def test_manager_team_feed_page_and_only_admin_sets_privacy(app, client, make_user, host):
    pool = Pool(organisation_id=host.organisation_id, name="EMEA", created_at=FROZEN_NOW)
    db.session.add(pool)
    db.session.commit()
    manager = make_user(role="manager", org=host.organisation)
    assert login(client, manager.email).status_code == 302
    assert client.get("/admin/teams/feeds").status_code == 200
    response = post_form(client, f"/admin/teams/{pool.id}/feed", {}, page_url="/admin/teams/feeds")
    assert response.status_code == 302
    page = client.get("/admin/teams/feeds")
    assert "webcal://" in page.text
    denied = client.post(
        "/admin/teams/feeds/privacy", data={"busy_only": "y", "csrf_token": csrf_from(page.text)}
    )
    assert denied.status_code == 403
    admin = make_user(role="admin", org=host.organisation)
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    response = post_form(
        client, "/admin/teams/feeds/privacy", {"busy_only": "y"}, page_url="/admin/teams/feeds"
    )
    assert response.status_code == 302
    db.session.refresh(host.organisation)
    assert host.organisation.feed_busy_only is True


def test_other_organisation_cannot_regenerate_team_feed(client, make_user, make_org, host):
    pool = Pool(organisation_id=host.organisation_id, name="EMEA", created_at=FROZEN_NOW)
    db.session.add(pool)
    db.session.commit()
    stranger = make_user(role="admin", org=make_org())
    assert login(client, stranger.email).status_code == 302
    page = client.get("/admin/teams/feeds")
    response = client.post(
        f"/admin/teams/{pool.id}/feed", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 404


def test_feed_clock_is_the_app_clock(client, host, event_type, monkeypatch):
    """Bookings older than FEED_PAST_DAYS leave the feed."""
    booking = book(event_type, TUESDAY, host)
    url = host_feed_url(host)
    later = TUESDAY + timedelta(days=91)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert booking.ical_uid not in events(client.get(url).data)


# -- review of issue 6: RFC 5545 text, hostile requests ------------------------------------------

NASTY = 'Zoë, "Ann"; O\'Brien\\n \u00e9\u00e9\u00e9\u00e9 \u65e5\u672c\u8a9e' * 3 + "\nsecond line"


def test_feed_text_is_rfc5545_folded_escaped_and_round_trips(client, host, event_type):
    host.name = "Anna; Closer, Ltd\\ " + "\u00fc" * 60
    db.session.commit()
    booking = book(event_type, TUESDAY, host, name=NASTY, email="zoe@example.com")
    db.session.add(
        Lead(
            uid="lead-nasty",
            organisation_id=host.organisation_id,
            event_type_id=event_type.id,
            status="booked",
            answers={"why": NASTY, "list": ["a,b", "c;d"]},
            booking_id=booking.id,
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    body = client.get(host_feed_url(host)).data
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    for line in lines:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line  # octets, not characters (RFC 5545 3.1)
        line.decode("utf-8")  # folding never splits a UTF-8 sequence
    unfolded = re.sub(rb"\r\n[ \t]", b"", body).decode()
    # Escaped as TEXT requires (3.3.11): backslash, semicolon, comma, newline.
    summary = next(line for line in unfolded.split("\r\n") if line.startswith("SUMMARY"))
    assert 'Zoë\\, "Ann"\\; O\'Brien\\\\n' in summary
    assert "\\nsecond line" in summary
    event = events(body)[booking.ical_uid]
    assert str(event["summary"]) == f"Discovery call: {NASTY}"
    description = str(event["description"])
    assert f"why: {NASTY}" in description and "list: a,b, c;d" in description
    calendar = Calendar.from_ical(body)
    assert str(calendar["x-wr-calname"]) == f"{host.name}: bookings"


def test_hostile_feed_requests_are_plain_404s_or_well_formed(client, host, event_type):
    book(event_type, TUESDAY, host)
    url = host_feed_url(host)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    for bad in (
        "/feeds/host/" + "A" * 5000 + ".ics",
        "/feeds/host/%00.ics",
        "/feeds/host/..%2F..%2Fetc%2Fpasswd",
        f"/feeds/host/{token}.txt",
        f"/feeds/host/{token[:-1]}.ics",
        f"/feeds/host/{token.upper()}.ics",
        f"/feeds/team/{token}.ics",
        "/feeds/host/.ics",
        "/feeds/other/" + token + ".ics",
    ):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert "Set-Cookie" not in response.headers
    ok = client.get(url)
    # Malformed validators are ignored (a full answer), never a 500.
    for headers in (
        {"If-Modified-Since": "garbage"},
        {"If-Modified-Since": "Tue, 99 Foo 2030 99:99:99 GMT"},
        {"If-Modified-Since": ""},
        {"If-None-Match": ""},
        {"If-None-Match": '"unterminated'},
        {"If-None-Match": "," * 1000},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, headers
        assert response.data == ok.data
    # "*" matches any current representation (RFC 9110 13.1.2): nothing new to send.
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": future}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.headers["ETag"] == ok.headers["ETag"]


def test_feeds_set_no_cookie_even_for_a_logged_in_browser(client, make_user, host, event_type):
    book(event_type, TUESDAY, host)
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    response = client.get(host_feed_url(host))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_busy_only_feed_leaks_nothing_personal(client, host, event_type):
    host.organisation.feed_busy_only = True
    db.session.commit()
    booking = book(event_type, TUESDAY, host, name="Grace Hopper", email="grace@example.com")
    db.session.add(
        Lead(
            uid="lead-private",
            organisation_id=host.organisation_id,
            event_type_id=event_type.id,
            status="booked",
            answers={"budget": "secret-budget-answer"},
            booking_id=booking.id,
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    body = client.get(host_feed_url(host)).data
    unfolded = re.sub(rb"\r\n[ \t]", b"", body)
    for secret in (
        b"Grace",
        b"Hopper",
        b"grace@",
        b"secret-budget",
        b"Bring numbers",
        b"meet.test",
    ):
        assert secret not in unfolded, secret
    assert b"Discovery call" not in unfolded  # the event type says what the meeting is about
    event = events(body)[booking.ical_uid]
    assert set(event) <= {
        "UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LAST-MODIFIED",
        "STATUS", "TRANSP", "CLASS",
    }  # fmt: skip


def test_rep_cannot_regenerate_a_team_feed_and_the_url_keeps_working(client, make_user, host):
    pool = Pool(organisation_id=host.organisation_id, name="EMEA", created_at=FROZEN_NOW)
    db.session.add(pool)
    db.session.commit()
    token = regenerate_feed(pool, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    rep = make_user(role="rep", host=host)
    assert login(client, rep.email).status_code == 302
    csrf = csrf_from(client.get(f"/admin/hosts/{host.id}/calendars").text)
    assert client.post(f"/admin/teams/{pool.id}/feed", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/admin/teams/feeds/privacy", data={"csrf_token": csrf}).status_code == 403
    assert client.get(f"/feeds/team/{token}.ics").status_code == 200
    assert client.get(f"/feeds/host/{token}.ics").status_code == 404


def test_the_first_feed_address_says_made_and_only_a_new_one_says_replaced(client, make_user, host):
    """Issue 14: the first feed said "the previous one no longer works" when there was none."""
    pool = Pool(organisation_id=host.organisation_id, name="EMEA", created_at=FROZEN_NOW)
    db.session.add(pool)
    db.session.commit()
    admin = make_user(role="admin", org=host.organisation)
    assert login(client, admin.email).status_code == 302
    for url, page_url in (
        (f"/admin/hosts/{host.id}/calendars/feed", f"/admin/hosts/{host.id}/calendars"),
        (f"/admin/teams/{pool.id}/feed", "/admin/teams/feeds"),
    ):
        post_form(client, url, {}, page_url=page_url)
        first = client.get(page_url).text
        assert "previous one no longer works" not in first
        assert "subscription address was made" in first or "has a feed address" in first
        post_form(client, url, {}, page_url=page_url)
        assert "previous one no longer works" in client.get(page_url).text
