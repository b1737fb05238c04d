"""The visitor's flow through real HTTP round trips: pick, book, confirm, cancel, reschedule."""

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import Booking

SLOT = "2030-01-08T09:00:00+00:00"  # 10:00 in Berlin


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type(title="Intro call")


def form_token(html: str) -> str:
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', html).group(1)


def open_form(client, event_type, start=SLOT, tz="Europe/Berlin"):
    response = client.get(
        f"/book/{event_type.slug}/confirm", query_string={"start": start, "tz": tz}
    )
    assert response.status_code == 200, response.text
    return form_token(response.text)


def submit(client, event_type, token, start=SLOT, headers=None, **fields):
    data = {
        "start": start,
        "tz": "Europe/Berlin",
        "form_token": token,
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "note": "",
    }
    data.update(fields)
    return client.post(f"/book/{event_type.slug}/confirm", data=data, headers=headers or {})


def count() -> int:
    db.session.rollback()  # end the snapshot: see what the requests committed
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_month_shows_days_with_slots_and_no_cookie(client, event_type):
    response = client.get(f"/book/{event_type.slug}", query_string={"tz": "Europe/Berlin"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "January 2030" in response.text
    # Weekdays from today on are buttons; the weekend is not.
    assert 'name="date" value="2030-01-08"' in response.text
    assert 'value="2030-01-12"' not in response.text


def test_day_lists_times_in_the_visitor_zone(client, event_type):
    berlin = client.get(f"/book/{event_type.slug}?tz=Europe/Berlin&date=2030-01-08")
    assert ">10:00<" in berlin.text and ">09:00<" in berlin.text
    lisbon = client.get(f"/book/{event_type.slug}?tz=Europe/Lisbon&date=2030-01-08")
    assert ">08:00<" in lisbon.text and ">16:00<" not in lisbon.text
    assert 'value="Europe/Lisbon" selected' in lisbon.text


def test_security_headers_on_public_pages(client, event_type):
    response = client.get(f"/book/{event_type.slug}")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.text and " style=" not in response.text


def test_full_booking_flow(client, event_type):
    token = open_form(client, event_type)
    response = submit(client, event_type, token, note="Budget approved")
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "You are booked" in page.text
    assert "Tuesday, 8 January 2030, 10:00 (Central European Time (Berlin))" in page.text
    assert "Budget approved" in page.text
    booking = db.session.scalar(select(Booking))
    assert booking.invitee_email == "grace@example.com"
    links = re.findall(r'href="(http://localhost/booking/[^"]+)"', page.text)
    assert any("/cancel/" in link for link in links)
    assert any("/reschedule/" in link for link in links)
    ics_path = re.search(r'href="(/booking/[^"]+/invite\.ics)"', page.text).group(1)
    ics = client.get(ics_path)
    assert ics.mimetype == "text/calendar"
    calendar = Calendar.from_ical(ics.data)
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2030-01-08T09:00:00+00:00"
    assert event.decoded("dtend").isoformat() == "2030-01-08T09:30:00+00:00"
    assert str(event["uid"]) == booking.ical_uid
    assert "Grace Hopper" in str(event["summary"])


def test_form_errors_are_shown_and_nothing_is_stored(client, event_type):
    token = open_form(client, event_type)
    response = submit(client, event_type, token, name="", email="nope")
    assert response.status_code == 400
    assert "Please enter your name." in response.text
    assert "Please enter a valid email address." in response.text
    assert count() == 0


def test_tampered_or_foreign_token_sends_back_to_the_day(client, event_type):
    token = open_form(client, event_type)
    other_time = "2030-01-08T10:00:00+00:00"
    response = submit(client, event_type, token, start=other_time)  # token made for SLOT
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["Location"]).query)["notice"] == ["expired"]
    assert submit(client, event_type, "garbage").status_code == 303
    assert count() == 0


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
)
def test_cross_site_posts_are_refused(client, event_type, headers):
    token = open_form(client, event_type)
    response = submit(client, event_type, token, headers=headers)
    assert response.status_code == 403
    assert "only be sent from this site" in response.text
    assert count() == 0


def test_same_origin_headers_are_accepted(client, event_type):
    token = open_form(client, event_type)
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert submit(client, event_type, token, headers=headers).status_code == 303


def test_slot_taken_in_the_meantime(client, event_type):
    token_a = open_form(client, event_type)
    token_b = open_form(client, event_type)
    assert submit(client, event_type, token_a).status_code == 303
    response = submit(client, event_type, token_b, email="late@example.com")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "date=2030-01-08" in location and "notice=taken" in location
    page = client.get(location)
    assert "This time was just taken, pick another." in page.text
    assert count() == 1


def test_opening_the_form_for_a_time_that_is_not_offered(client, event_type):
    response = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": "2030-01-08T09:10:00+00:00", "tz": "Europe/Berlin"},
    )
    assert response.status_code == 303
    assert "notice=unavailable" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"tz": "Moon/Base"}, "Unknown time zone"),
        ({"month": "2030-13"}, "The month must look like"),
        ({"month": "soon"}, "The month must look like"),
        ({"date": "2030-02-31"}, "The date must look like"),
    ],
)
def test_bad_query_strings_get_a_clear_400(client, event_type, query, message):
    response = client.get(f"/book/{event_type.slug}", query_string=query)
    assert response.status_code == 400
    assert message in response.text


def test_bad_start_on_the_form_is_a_400(client, event_type):
    response = client.get(f"/book/{event_type.slug}/confirm?start=yesterday")
    assert response.status_code == 400
    response = client.get(f"/book/{event_type.slug}/confirm?start=2030-01-08T09:00:00")
    assert response.status_code == 400


def test_unknown_event_type_page_is_404(client, event_type):
    response = client.get("/book/does-not-exist")
    assert response.status_code == 404
    assert "no bookable event type" in response.text


def book_via_form(client, event_type, start=SLOT):
    response = submit(client, event_type, open_form(client, event_type, start), start=start)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    links = dict.fromkeys(re.findall(r'href="http://localhost(/booking/[^"]+)"', page.text))
    cancel = next(link for link in links if "/cancel/" in link)
    reschedule = next(link for link in links if "/reschedule/" in link)
    return response.headers["Location"], cancel, reschedule


def test_cancel_through_the_link(client, event_type):
    view, cancel, _ = book_via_form(client, event_type)
    page = client.get(cancel)
    assert page.status_code == 200
    response = client.post(cancel, data={"form_token": form_token(page.text), "reason": "Ill"})
    assert response.status_code == 303
    assert "This booking is cancelled" in client.get(view).text
    booking = db.session.scalar(select(Booking))
    db.session.refresh(booking)
    assert booking.status == "cancelled" and booking.cancel_reason == "Ill"
    # The time is free again, and a second cancel is refused without a 500.
    day = client.get(f"/book/{event_type.slug}?tz=Europe/Berlin&date=2030-01-08")
    assert ">10:00<" in day.text
    again = client.post(cancel, data={"form_token": form_token(page.text)})
    assert again.status_code == 409


def test_reschedule_through_the_link(client, event_type):
    view, _, reschedule = book_via_form(client, event_type)
    page = client.get(reschedule + "?tz=Europe/Berlin&date=2030-01-08")
    assert page.status_code == 200
    assert "Currently booked for" in page.text
    assert ">10:00<" in page.text  # its own time stays selectable
    new_start = "2030-01-09T13:00:00+00:00"
    confirm = client.get(
        reschedule + "/confirm", query_string={"start": new_start, "tz": "Europe/Berlin"}
    )
    assert confirm.status_code == 200
    response = client.post(
        reschedule + "/confirm",
        data={"start": new_start, "tz": "Europe/Berlin", "form_token": form_token(confirm.text)},
    )
    assert response.status_code == 303
    new_page = client.get(response.headers["Location"])
    assert "Wednesday, 9 January 2030, 14:00" in new_page.text
    old, new = db.session.scalars(select(Booking).order_by(Booking.id)).all()
    assert (old.status, new.status) == ("rescheduled", "confirmed")
    assert new.ical_uid == old.ical_uid and new.sequence == old.sequence + 1
    assert new.host_id == old.host_id and new.location == old.location
    old_page = client.get(view)
    assert "This booking was moved" in old_page.text
    # The old reschedule link no longer moves anything.
    assert client.get(reschedule).status_code == 303


def test_reschedule_to_a_taken_time(client, event_type):
    _, _, reschedule = book_via_form(client, event_type)
    book_via_form(client, event_type, start="2030-01-09T13:00:00+00:00")
    new_start = "2030-01-09T13:00:00+00:00"
    confirm = client.get(
        reschedule + "/confirm", query_string={"start": new_start, "tz": "Europe/Berlin"}
    )
    assert confirm.status_code == 303 and "notice=unavailable" in confirm.headers["Location"]


def test_wrong_tokens_are_404(client, event_type):
    view, cancel, reschedule = book_via_form(client, event_type)
    for link in (view, cancel, reschedule):
        broken = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
        assert client.get(broken).status_code == 404
    uid = view.split("/")[4]
    token = view.split("/")[5]
    # A view token does not open the cancel page.
    assert client.get(f"/booking/{uid}/cancel/{token}").status_code == 404


def test_index_lists_event_types(client, event_type):
    response = client.get("/")
    assert "Intro call" in response.text
    assert "Set-Cookie" not in response.headers


def test_after_a_taken_time_the_next_form_keeps_what_the_visitor_typed(client, event_type):
    """Issue 14.8: the detour after "This time was just taken" keeps name, email and note, in
    an encrypted value in the URL (no cookie; URLs end up in access logs)."""
    token_a = open_form(client, event_type)
    token_b = open_form(client, event_type)
    assert submit(client, event_type, token_a).status_code == 303
    late = submit(
        client, event_type, token_b, name="Late Larry", email="late@example.com", note="Hi <b>"
    )
    assert late.status_code == 303 and "Set-Cookie" not in late.headers
    location = late.headers["Location"]
    assert "notice=taken" in location
    visitor = parse_qs(urlsplit(location).query)["visitor"][0]
    readable = base64.urlsafe_b64decode(visitor.split(".")[0] + "=" * (-len(visitor) % 4))
    assert b"late@example.com" not in readable and b"Larry" not in readable
    day = client.get(location)
    assert "This time was just taken" in day.text and "Set-Cookie" not in day.headers
    # The slot buttons' form carries the details on to the next confirm page.
    assert f'name="visitor" value="{visitor}"' in day.text
    other = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={
            "start": "2030-01-08T10:00:00+00:00",
            "tz": "Europe/Berlin",
            "visitor": visitor,
        },
    )
    assert other.status_code == 200
    assert 'value="Late Larry"' in other.text and 'value="late@example.com"' in other.text
    assert "Hi &lt;b&gt;</textarea>" in other.text
    assert count() == 1


def test_a_forged_visitor_value_prefills_nothing(client, event_type):
    forged = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": SLOT, "tz": "Europe/Berlin", "visitor": "eyJuYW1lIjoiWCJ9.x.y"},
    )
    assert forged.status_code == 200
    assert 'value="X"' not in forged.text
    day = client.get(
        f"/book/{event_type.slug}", query_string={"visitor": "forged", "date": "2030-01-08"}
    )
    assert 'name="visitor"' not in day.text
