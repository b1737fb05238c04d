"""Several durations per event type over HTTP: admin form, public flow without script (and in
the widget), API, and the booking's own length in its page, emails, .ics and the host's feed."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Booking, EventType, Host, WeeklyHours
from scheduling.operations.calendar_feeds import regenerate_feed
from tests.conftest import FROZEN_NOW, TEST_SECRET, csrf_from, post_form

SLOT = "2030-01-08T09:00:00+00:00"  # Tuesday 10:00 in Berlin
START = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type(title="Consult", duration=30, durations=[15, 30, 45])


def count() -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count()).select_from(Booking))


def form_token(html: str) -> str:
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)


def day_times(client, event_type, **query) -> list[str]:
    query = {"tz": "Europe/Berlin", "date": "2030-01-08", **query}
    response = client.get(f"/book/{event_type.slug}", query_string=query)
    assert response.status_code == 200, response.text
    return re.findall(r'class="slot" name="start" value="[^"]+">([^<]+)<', response.text)


def book_publicly(client, event_type, minutes: int, start: str = SLOT, embed: bool = False):
    extra = {"embed": "1"} if embed else {}
    page = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": start, "tz": "Europe/Berlin", "duration": minutes, **extra},
    )
    assert page.status_code == 200, page.text
    assert f"{minutes} minutes" in page.text
    assert f'<input type="hidden" name="duration" value="{minutes}">' in page.text
    data = {
        "start": start,
        "tz": "Europe/Berlin",
        "duration": str(minutes),
        "form_token": form_token(page.text),
        "name": "Grace Hopper",
        "email": "grace@example.com",
    }
    return client.post(
        f"/book/{event_type.slug}/confirm", data=data, query_string=extra
    ), form_token(page.text)


# --- admin -----------------------------------------------------------------------------------


def event_type_form(event_type, **changes) -> dict:
    data = {
        "title": event_type.title,
        "slug": event_type.slug,
        "duration": "30",
        "durations": "",
        "step": "30",
        "buffer_before": "0",
        "buffer_after": "0",
        "min_notice": "0",
        "horizon_days": "60",
        "location_kinds": ["video"],
        "host_ids": [str(host.id) for host in event_type.hosts],
        "active": "y",
    }
    data.update(changes)
    return data


def test_admin_sets_the_offered_durations_and_the_list_shows_them(
    client, login_as, make_event_type, frozen_now
):
    user = login_as("manager")
    event_type = make_event_type(
        hosts=[_host_of(user)], title="Consult", duration=30, durations=[30]
    )
    edit = f"/admin/event-types/{event_type.id}/edit"
    page = client.get(edit)
    assert page.status_code == 200
    assert 'name="durations"' in page.text and 'name="durations" type="text" value=""' in page.text
    response = post_form(client, edit, event_type_form(event_type, durations="45, 15,30"))
    assert response.status_code == 302, response.text
    db.session.expire_all()
    assert db.session.get(EventType, event_type.id).durations == [15, 30, 45]
    listing = client.get("/admin/event-types")
    assert "15 / 30 / 45 min" in listing.text and "default 30" in listing.text
    assert 'value="15, 30, 45"' in client.get(edit).text
    # Empty: the default alone again.
    response = post_form(client, edit, event_type_form(event_type, duration="20"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(EventType, event_type.id).durations == [20]


def _host_of(user):
    """A host in the user's organisation, working 09:00-17:00 Berlin time on weekdays."""
    host = Host(
        organisation_id=user.organisation_id,
        name="Hannah Host",
        email="hannah@example.com",
        tz="Europe/Berlin",
        created_at=FROZEN_NOW,
    )
    for weekday in range(5):
        host.weekly_hours.append(WeeklyHours(weekday=weekday, start_minute=540, end_minute=1020))
    db.session.add(host)
    db.session.commit()
    return host


@pytest.mark.parametrize(
    ("durations", "message"),
    [
        ("15, 45", "Include the default duration (30 minutes) in the offered ones."),
        ("15, half an hour", "Enter whole minutes separated by commas, e.g. 15, 30, 45."),
        ("4, 30", "Each duration must be whole minutes, from 5 to 720."),
        ("30, 721", "Each duration must be whole minutes, from 5 to 720."),
        ("10 20 30 40 50 60 70 80 90", "Offer at most 8 durations."),
    ],
)
def test_admin_form_refuses_bad_durations_and_changes_nothing(
    client, login_as, make_event_type, frozen_now, durations, message
):
    user = login_as("manager")
    event_type = make_event_type(hosts=[_host_of(user)], duration=30, durations=[30])
    edit = f"/admin/event-types/{event_type.id}/edit"
    response = post_form(client, edit, event_type_form(event_type, durations=durations))
    assert response.status_code == 400
    assert message in response.text
    db.session.expire_all()
    assert db.session.get(EventType, event_type.id).durations == [30]


# --- public flow, no script ------------------------------------------------------------------


def test_the_length_is_chosen_before_the_calendar_and_changes_the_times(client, event_type):
    page = client.get(f"/book/{event_type.slug}", query_string={"tz": "Europe/Berlin"})
    text = page.text
    assert "Meeting length" in text
    assert text.index("Meeting length") < text.index('class="picker"')
    choice = re.search(r'<nav class="duration-choice".*?</nav>', text, re.S).group(0)
    assert re.findall(r'href="[^"]*duration=(\d+)', choice) == ["15", "30", "45"]
    assert 'aria-current="true" class="current">30 minutes' in text  # the default is chosen
    assert "16:30" in day_times(client, event_type)
    longer = day_times(client, event_type, duration="45")
    assert "16:00" in longer and "16:30" not in longer
    # The chosen length stays in the day's GET forms (hidden field) and on the meta line.
    page = client.get(
        f"/book/{event_type.slug}",
        query_string={"tz": "Europe/Berlin", "date": "2030-01-08", "duration": "45"},
    )
    assert '<input type="hidden" name="duration" value="45">' in page.text
    assert "45 minutes ·" in page.text


def test_the_fragment_timezone_js_fetches_follows_the_length(client, event_type):
    query = {"tz": "Europe/Berlin", "date": "2030-01-08", "fragment": "times"}
    short = client.get(f"/book/{event_type.slug}", query_string=query)
    long = client.get(f"/book/{event_type.slug}", query_string={**query, "duration": "45"})
    assert ">16:30<" in short.text and ">16:30<" not in long.text


@pytest.mark.parametrize("value", ["20", "abc", "-30", "0", "45.0", "99999999999"])
def test_a_length_not_offered_gets_a_clear_400(client, event_type, value):
    for path in (f"/book/{event_type.slug}", f"/book/{event_type.slug}/confirm"):
        response = client.get(path, query_string={"duration": value, "start": SLOT})
        assert response.status_code == 400
        assert "offers meetings of 15, 30, 45 minutes" in response.text


def test_a_single_length_type_shows_no_choice(client, make_event_type, frozen_now):
    single = make_event_type(duration=30)
    assert single.durations == [30]
    page = client.get(f"/book/{single.slug}", query_string={"tz": "Europe/Berlin"})
    assert "Meeting length" not in page.text and "duration=" not in page.text
    assert client.get(f"/book/{single.slug}?duration=30").status_code == 200
    assert client.get(f"/book/{single.slug}?duration=45").status_code == 400


def test_booking_a_longer_meeting_without_script(client, event_type):
    response, _ = book_publicly(client, event_type, 45)
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert booking.end_at - booking.start_at == timedelta(minutes=45)
    page = client.get(response.headers["Location"])
    assert "Consult (45 minutes)" in page.text
    ics = client.get(re.search(r'href="(/booking/[^"]+/invite\.ics)"', page.text).group(1))
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert event.decoded("dtend") == START + timedelta(minutes=45)


def test_a_changed_length_on_the_form_is_refused_and_nothing_is_booked(client, event_type):
    page = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": SLOT, "tz": "Europe/Berlin", "duration": "15"},
    )
    data = {
        "start": SLOT,
        "tz": "Europe/Berlin",
        "form_token": form_token(page.text),
        "name": "Grace Hopper",
        "email": "grace@example.com",
    }
    # Another offered length than the token was made for: back to the day, nothing booked.
    tampered = client.post(f"/book/{event_type.slug}/confirm", data={**data, "duration": "45"})
    assert tampered.status_code == 303
    assert parse_qs(urlsplit(tampered.headers["Location"]).query)["notice"] == ["expired"]
    # One not offered at all: a clear 400.
    refused = client.post(f"/book/{event_type.slug}/confirm", data={**data, "duration": "50"})
    assert refused.status_code == 400 and "15, 30, 45" in refused.text
    assert count() == 0


def test_a_length_that_no_longer_fits_sends_back_to_the_day(client, event_type, make_event_type):
    # 45 minutes from 09:15 UTC would reach into a booking at 10:00 UTC; 30 minutes would not.
    response, _ = book_publicly(client, event_type, 30, start="2030-01-08T10:00:00+00:00")
    assert response.status_code == 303
    page = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": "2030-01-08T09:30:00+00:00", "tz": "Europe/Berlin", "duration": 45},
    )
    assert page.status_code == 303
    location = page.headers["Location"]
    assert "notice=unavailable" in location and "duration=45" in location
    assert "17:30" not in day_times(client, event_type, duration="45")


def test_the_widget_shows_the_same_choice_and_books_the_chosen_length(client, event_type):
    page = client.get(f"/book/{event_type.slug}", query_string={"embed": "1", "tz": "UTC"})
    assert "Meeting length" in page.text
    choice = re.search(r'<nav class="duration-choice".*?</nav>', page.text, re.S).group(0)
    assert choice.count("embed=1") == 3
    response, _ = book_publicly(client, event_type, 15, embed=True)
    assert response.status_code == 303
    booking = db.session.scalar(select(Booking))
    assert booking.end_at - booking.start_at == timedelta(minutes=15)


def test_reschedule_keeps_the_bookings_own_length(client, event_type):
    response, _ = book_publicly(client, event_type, 45)
    page = client.get(response.headers["Location"])
    reschedule = re.search(r'href="http://localhost(/booking/[^"]+/reschedule/[^"]+)"', page.text)
    path = reschedule.group(1)
    listing = client.get(path, query_string={"tz": "Europe/Berlin", "date": "2030-01-09"})
    assert "45 minutes ·" in listing.text
    assert ">16:30<" not in listing.text and ">16:00<" in listing.text
    new_start = "2030-01-09T13:00:00+00:00"
    confirm = client.get(f"{path}/confirm", query_string={"start": new_start, "tz": "UTC"})
    assert confirm.status_code == 200 and "45 minutes" in confirm.text
    moved = client.post(
        f"{path}/confirm",
        data={"start": new_start, "tz": "UTC", "form_token": form_token(confirm.text)},
    )
    assert moved.status_code == 303
    db.session.rollback()
    new = db.session.scalar(select(Booking).where(Booking.status == "confirmed"))
    assert new.start_at == datetime(2030, 1, 9, 13, 0, tzinfo=UTC)
    assert new.end_at - new.start_at == timedelta(minutes=45)


def test_limits_count_bookings_whatever_their_length(client, make_event_type, frozen_now):
    limited = make_event_type(duration=30, durations=[30, 60], daily_limit=1)
    response, _ = book_publicly(client, limited, 60)
    assert response.status_code == 303
    assert day_times(client, limited, duration="30") == []
    assert day_times(client, limited, duration="60") == []


# --- API -------------------------------------------------------------------------------------


def test_api_slots_and_event_type_follow_the_length(client, event_type):
    detail = client.get(f"/api/v1/event-types/{event_type.slug}").get_json()
    assert detail["duration"] == 30 and detail["durations"] == [15, 30, 45]
    query = {"start": "2030-01-08", "end": "2030-01-08", "timezone": "Europe/Berlin"}
    default = client.get(f"/api/v1/event-types/{event_type.slug}/slots", query_string=query)
    assert default.get_json()["duration"] == 30
    assert "2030-01-08T16:30:00+01:00" in default.get_json()["slots"]
    longer = client.get(
        f"/api/v1/event-types/{event_type.slug}/slots", query_string={**query, "duration": 45}
    ).get_json()
    assert longer["duration"] == 45
    assert "2030-01-08T16:30:00+01:00" not in longer["slots"]
    assert "2030-01-08T16:00:00+01:00" in longer["slots"]


@pytest.mark.parametrize("value", ["20", "x", ""])
def test_api_slots_refuse_a_length_not_offered(client, event_type, value):
    query = {"start": "2030-01-08", "end": "2030-01-08", "duration": value}
    response = client.get(f"/api/v1/event-types/{event_type.slug}/slots", query_string=query)
    if value == "":
        assert response.status_code == 200  # empty means the default
        return
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert body["fields"]["duration"] == "not offered; use one of 15, 30, 45 (minutes)"


def api_booking(client, event_type, **extra):
    body = {
        "event_type": event_type.slug,
        "start": "2030-01-08T09:00:00Z",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "timezone": "Europe/Paris",
        **extra,
    }
    return client.post("/api/v1/bookings", json=body)


def test_api_books_the_chosen_length_and_defaults_to_the_default(client, event_type):
    response = api_booking(client, event_type, duration=45)
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["duration"] == 45
    assert body["end"] == "2030-01-08T10:45:00+01:00"
    other = api_booking(client, event_type, start="2030-01-08T12:00:00Z").get_json()
    assert other["duration"] == 30 and other["end"] == "2030-01-08T13:30:00+01:00"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (20, "not offered; use one of 15, 30, 45 (minutes)"),
        ("45", "must be a whole number of minutes the event type offers"),
        (True, "must be a whole number of minutes the event type offers"),
        (-15, "must be a whole number of minutes the event type offers"),
    ],
)
def test_api_refuses_a_length_not_offered_and_books_nothing(client, event_type, value, field):
    response = api_booking(client, event_type, duration=value)
    assert response.status_code == 400
    assert response.get_json()["fields"]["duration"] == field
    assert count() == 0


def test_api_reschedule_keeps_the_length_or_takes_a_new_offered_one(client, event_type, make_user):
    from scheduling.operations.api_keys import create_api_key

    user = make_user(role="manager", org=event_type.organisation)
    _, secret = create_api_key(user, "test", "write", FROZEN_NOW)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    uid = api_booking(client, event_type, duration=45).get_json()["id"]
    moved = client.post(
        f"/api/v1/bookings/{uid}/reschedule",
        json={"start": "2030-01-08T12:00:00Z"},
        headers=headers,
    )
    assert moved.status_code == 201, moved.text
    assert moved.get_json()["end"] == "2030-01-08T12:45:00Z"
    assert moved.get_json()["duration"] == 45  # the integration (and webhook) booking object
    types = client.get("/api/v1/event-types", headers=headers).get_json()["data"]
    assert [(t["duration"], t["durations"]) for t in types] == [(30, [15, 30, 45])]
    refused = client.post(
        f"/api/v1/bookings/{moved.get_json()['id']}/reschedule",
        json={"start": "2030-01-08T13:00:00Z", "duration": 20},
        headers=headers,
    )
    assert refused.status_code == 400
    assert "15, 30, 45" in refused.get_json()["fields"]["duration"]
    shorter = client.post(
        f"/api/v1/bookings/{moved.get_json()['id']}/reschedule",
        json={"start": "2030-01-08T13:00:00Z", "duration": 15},
        headers=headers,
    )
    assert shorter.status_code == 201
    assert shorter.get_json()["end"] == "2030-01-08T13:15:00Z"


# --- emails and feeds ------------------------------------------------------------------------


def test_invitation_email_and_host_feed_carry_the_bookings_own_length(
    app, client, runner, make_event_type, moving_clock, smtp_server
):
    event_type = make_event_type(title="Consult", duration=30, durations=[30, 45])
    response = api_booking(client, event_type, duration=45)
    assert response.status_code == 201
    result = runner.invoke(args=["rendezvous", "worker", "--once"])
    assert result.exit_code == 0
    (confirmation,) = smtp_server.to("ada@example.org")
    text = confirmation.message.get_body(("plain",)).get_content()
    assert "Consult (45 minutes)" in text
    attachment = next(
        part
        for part in confirmation.message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    )
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=45)
    assert event.decoded("dtend") == START + timedelta(minutes=45)
    host = event_type.hosts[0]
    token = regenerate_feed(host, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    feed = client.get(f"/feeds/host/{token}.ics")
    assert feed.status_code == 200
    (item,) = Calendar.from_ical(feed.data).walk("VEVENT")
    assert item.decoded("dtend") == START + timedelta(minutes=45)


# --- admin-entered bookings ------------------------------------------------------------------


def test_admin_books_a_chosen_length_by_hand(client, login_as, make_event_type, frozen_now):
    user = login_as("manager")
    host = _host_of(user)
    consult = make_event_type(hosts=[host], title="Consult", duration=30, durations=[30, 60])
    base = f"/admin/bookings/new?event_type={consult.id}&host={host.id}&date=2030-01-08"
    page = client.get(base)
    assert 'name="duration"' in page.text and "Consult (30 / 60 min)" in page.text
    assert ">16:30<" in page.text
    bad = client.get(base + "&duration=45")
    assert bad.status_code == 400
    assert "offers meetings of 30, 60 minutes" in bad.text
    url = base + "&duration=60"
    page = client.get(url)
    assert ">16:30<" not in page.text and ">16:00<" in page.text
    actions = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert any("/admin/bookings/new?" in a and "duration=60" in a for a in actions)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.text),
            "start": SLOT,
            "name": "Lena Lead",
            "email": "lena@lead.example",
            "tz": "Europe/Berlin",
            "location": "video",
        },
    )
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert booking.end_at - booking.start_at == timedelta(minutes=60)


def test_admin_reschedule_lists_times_for_the_bookings_own_length(
    client, login_as, make_event_type, frozen_now
):
    user = login_as("manager")
    host = _host_of(user)
    consult = make_event_type(hosts=[host], title="Consult", duration=30, durations=[30, 60])
    booking_id = api_booking(client, consult, duration=60).get_json()["id"]
    booking = db.session.scalar(select(Booking).where(Booking.uid == booking_id))
    page = client.get(f"/admin/bookings/{booking.id}/reschedule?date=2030-01-09")
    assert page.status_code == 200
    assert "2030-01-09T15:00:00+00:00" in page.text  # 16:00 Berlin: 60 minutes fit
    assert "2030-01-09T15:30:00+00:00" not in page.text  # 16:30 Berlin: they would not
