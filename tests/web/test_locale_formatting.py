"""Pages in the visitor's conventions: names, date order, clock, first weekday, zone labels."""

import html
import re

import pytest

OPTION = re.compile(r'<option value="([^"]+)"( selected)?>([^<]*)</option>')


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type(title="Intro call")  # the host is in Europe/Berlin


def page(client, event_type, accept="", **args):
    query = {"tz": "Europe/Berlin", "month": "2030-01", "date": "2030-01-08", **args}
    answer = client.get(
        f"/book/{event_type.slug}", query_string=query, headers={"Accept-Language": accept}
    )
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def headers(text: str) -> list[str]:
    return re.findall(r'<th scope="col"><abbr title="[^"]+">([^<]+)</abbr></th>', text)


def leading_blanks(text: str) -> int:
    """Empty cells before the 1st in the month grid's first week."""
    first_row = text.split("<tbody>")[1].split("</tr>")[0]
    return first_row.split('value="2030-01-01"')[0].count("<td></td>")


def slot_labels(text: str) -> list[str]:
    """The day's times as shown (Babel may put a narrow no-break space before AM/PM)."""
    found = re.findall(r'<button type="submit" class="slot"[^>]*>([^<]+)</button>', text)
    return [label.replace("\u202f", " ") for label in found]


def test_german_visitor_sees_german_names_monday_first_and_24_hours(client, event_type):
    text = page(client, event_type, "de-DE,de;q=0.9")
    assert "Januar 2030" in text
    assert "Dienstag, 8. Januar 2030" in text
    assert headers(text)[0] == "Mo." and headers(text)[-1] == "So."
    assert leading_blanks(text) == 1  # 1 January 2030 is a Tuesday
    assert slot_labels(text)[:2] == ["09:00", "09:30"]
    assert "Mitteleuropäische Zeit (Berlin)" in text
    assert 'aria-current="true">24-Stunden' in text or 'aria-current="true">24-hour' in text


def test_french_visitor_sees_french_names(client, event_type):
    text = page(client, event_type, "fr-FR")
    assert "janvier 2030" in text and "mardi 8 janvier 2030" in text
    assert headers(text)[0] == "lun."
    assert slot_labels(text)[0] == "09:00"
    assert "heure d’Europe centrale (Berlin)" in text


def test_american_visitor_sees_12_hours_and_sunday_first(client, event_type):
    text = page(client, event_type, "en-US,en;q=0.9")
    assert "Tuesday, January 8, 2030" in text
    assert headers(text)[0] == "Sun" and headers(text)[-1] == "Sat"
    assert leading_blanks(text) == 2
    assert slot_labels(text)[:2] == ["9:00 AM", "9:30 AM"]


def test_british_or_bare_english_visitor_sees_24_hours_and_monday_first(client, event_type):
    for accept in ("en-GB", "en", ""):
        text = page(client, event_type, accept)
        assert "Tuesday, 8 January 2030" in text, accept
        assert headers(text)[0] == "Mon" and slot_labels(text)[0] == "09:00", accept


def test_clock_toggle_overrides_the_locale_and_travels_with_the_flow(client, event_type):
    text = page(client, event_type, "en-US", clock="24")
    assert slot_labels(text)[0] == "09:00"
    assert headers(text)[0] == "Sun"  # the clock changes nothing else
    # Carried on: the slot form, the month navigation, the zone form, the language menu.
    slot_form = text.split('class="slot-form"')[1].split("</form>")[0]
    assert '<input type="hidden" name="clock" value="24">' in slot_form
    month_nav = text.split('class="month-nav"')[1].split("</form>")[0]
    assert '<input type="hidden" name="clock" value="24">' in month_nav
    tz_form = text.split('class="tz-form"')[1].split("</form>")[0]
    assert '<input type="hidden" name="clock" value="24">' in tz_form
    menu_links = re.findall(r'href="([^"]*lang=de[^"]*)"', text)
    assert menu_links and all("clock=24" in link for link in menu_links)
    # The toggle itself: plain links to this page with the other clock, current one marked.
    toggle = text.split('class="clock-toggle"')[1].split("</p>")[0]
    assert re.search(r'clock=12[^"]*"\s*>12-hour', toggle)
    assert 'aria-current="true">24-hour' in toggle
    # The confirm page follows the clock too and keeps it in its form's action.
    confirm = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": "2030-01-08T09:00:00+00:00", "tz": "Europe/Berlin", "clock": "12"},
        headers={"Accept-Language": "de"},
    )
    assert confirm.status_code == 200
    assert "10:00 AM" in confirm.text.replace("\u202f", " ")
    assert re.search(r'<form method="post" action="[^"]*clock=12', confirm.text)


def test_german_visitor_can_ask_for_12_hours_and_junk_is_ignored(client, event_type):
    text = page(client, event_type, "de", clock="12").replace("\u202f", " ")
    assert slot_labels(text)[0] == "9:00 AM"
    junk = page(client, event_type, "de", clock="13; DROP")
    assert slot_labels(junk)[0] == "09:00"
    assert 'name="clock"' not in junk


def test_zone_list_shows_labels_with_the_visitors_and_hosts_zones_first(
    client, make_event_type, make_host, frozen_now
):
    event_type = make_event_type(hosts=[make_host(tz="America/Anchorage")])
    text = page(client, event_type, "de", tz="Asia/Kathmandu")
    options = OPTION.findall(text)
    assert [value for value, _, _ in options[:2]] == ["Asia/Kathmandu", "America/Anchorage"]
    assert options[0][1] == " selected"
    labels = {value: label for value, _, label in options}
    assert labels["Europe/Berlin"].startswith("Mitteleuropäische Zeit (Berlin)")
    assert labels["America/Anchorage"].startswith("Alaska-Zeit")


@pytest.mark.parametrize(
    ("alias", "zone"), [("US/Eastern", "America/New_York"), ("Asia/Calcutta", "Asia/Kolkata")]
)
def test_deprecated_zone_names_are_accepted_and_shown_as_their_zone(
    client, event_type, alias, zone
):
    for key in ("tz", "tz_detected"):
        args = {"tz": alias} if key == "tz" else {"tz": "", "tz_detected": alias}
        text = page(client, event_type, "en", **args)
        chosen = [value for value, selected, _ in OPTION.findall(text) if selected]
        assert chosen == [zone], key
        assert f'<option value="{alias}"' not in text
        slot_form = text.split('class="slot-form"')[1].split("</form>")[0]
        assert f'name="tz" value="{zone}"' in slot_form


def test_times_fragment_is_only_the_month_and_day_part(client, event_type):
    answer = client.get(
        f"/book/{event_type.slug}",
        query_string={"tz_detected": "America/New_York", "fragment": "times", "date": "2030-01-08"},
        headers={"Accept-Language": "en-US"},
    )
    assert answer.status_code == 200
    text = answer.text.replace("\u202f", " ")
    assert text.lstrip().startswith('<div class="picker" data-tz="America/New_York"')
    assert "<html" not in text and "tz-form" not in text and "<script" not in text
    # Computed in the detected zone: 09:00 UTC is 4:00 AM in New York (before opening hours).
    assert 'name="tz" value="America/New_York"' in text
    assert "Tuesday, January 8, 2030" in text


def test_api_accepts_a_deprecated_zone_and_stores_its_canonical_name(client, event_type):
    from sqlalchemy import select

    from scheduling.extensions import db
    from scheduling.models import Booking

    body = {
        "event_type": event_type.slug,
        "start": "2030-01-08T09:00:00+00:00",
        "name": "Ada",
        "email": "ada@example.org",
        "timezone": "US/Eastern",
    }
    made = client.post("/api/v1/bookings", json=body)
    assert made.status_code == 201, made.get_json()
    assert db.session.scalars(select(Booking)).one().invitee_tz == "America/New_York"
    refused = client.post("/api/v1/bookings", json={**body, "timezone": "US/Nowhere"})
    assert refused.status_code == 400 and "timezone" in refused.get_json()["fields"]
