"""The booking page offers a short zone list; the full one is a "More time zones" link away."""

import html
import re

import pytest

from scheduling.availability.timezones import all_zones
from scheduling.extensions import db

OPTION = re.compile(r'<option value="([^"]+)"( selected)?>')
MORE_LINK = re.compile(r'<a class="more-zones" href="([^"]+)">More time zones</a>')


def options(page: str) -> tuple[list[str], list[str]]:
    found = OPTION.findall(page)
    return [zone for zone, _ in found], [zone for zone, chosen in found if chosen]


@pytest.fixture
def event_type(make_event_type, make_host, frozen_now):
    return make_event_type(hosts=[make_host(tz="America/Anchorage")])


def test_booking_page_lists_the_common_zones_and_the_hosts(client, event_type):
    page = client.get(f"/book/{event_type.slug}?tz=Asia/Kathmandu").text
    zones, chosen = options(page)
    assert chosen == ["Asia/Kathmandu"]  # the visitor's zone, though not a common one
    assert "America/Anchorage" in zones  # the host's
    assert {"Europe/Paris", "Europe/Warsaw", "Asia/Nicosia", "America/New_York"} <= set(zones)
    assert len(zones) < 60 < len(all_zones())
    assert "Pacific/Chatham" not in zones
    assert 'name="zones"' not in page


def test_more_time_zones_link_gives_the_full_list_and_keeps_it(client, event_type):
    page = client.get(f"/book/{event_type.slug}?tz=Europe/Paris&month=2030-01&date=2030-01-08")
    link = html.unescape(MORE_LINK.search(page.text).group(1))
    assert "zones=all" in link and "tz=Europe/Paris" in link and "date=2030-01-08" in link
    full = client.get(link)
    assert full.status_code == 200
    zones, chosen = options(full.text)
    assert set(all_zones()) <= set(zones)
    assert chosen == ["Europe/Paris"]
    assert MORE_LINK.search(full.text) is None
    # The zone form sends zones=all again, so picking one keeps the long list open.
    assert '<input type="hidden" name="zones" value="all">' in full.text


def test_detected_zone_is_used_unless_unknown_or_overridden(client, event_type):
    url = f"/book/{event_type.slug}"
    _, chosen = options(client.get(f"{url}?tz_detected=Pacific/Chatham").text)
    assert chosen == ["Pacific/Chatham"]
    # A name this server's zone database does not know: the host's zone, not an error page.
    answer = client.get(f"{url}?tz_detected=Mars/Olympus_Mons")
    assert answer.status_code == 200
    assert options(answer.text)[1] == ["America/Anchorage"]
    _, chosen = options(client.get(f"{url}?tz=Europe/Rome&tz_detected=Pacific/Chatham").text)
    assert chosen == ["Europe/Rome"]
    # An explicit unknown zone is still refused clearly.
    assert client.get(f"{url}?tz=Mars/Olympus_Mons").status_code == 400


def test_reschedule_page_uses_the_short_list(client, event_type):
    from datetime import UTC, datetime

    from scheduling.operations.bookings import Invitee, create_booking
    from scheduling.web.urls import booking_link

    booking = create_booking(
        event_type,
        datetime(2030, 1, 8, 18, 0, tzinfo=UTC),
        Invitee("Grace Hopper", "grace@example.com", "Europe/Lisbon", ""),
        datetime(2030, 1, 7, 8, 0, tzinfo=UTC),
        video_base_url="https://meet.test.example",
    )
    db.session.commit()
    with client.application.test_request_context():
        url = booking_link(booking, "reschedule")
    page = client.get(url)
    assert page.status_code == 200, page.text
    zones, chosen = options(page.text)
    assert chosen == ["Europe/Lisbon"]
    assert len(zones) < 60
    assert MORE_LINK.search(page.text)
