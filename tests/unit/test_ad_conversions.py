"""Offline conversion files, click-id stripping and the ads consent purpose (pure)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from scheduling.attribution import channel, clean_decision, strip_click_ids
from scheduling.attribution.conversions import (
    GOOGLE_HEADER,
    MICROSOFT_HEADER,
    Conversion,
    clean_names,
    click_ids,
    google_ads_rows,
    microsoft_ads_rows,
)

NAMES = {"booked": "Booked call", "attended": "Held call", "won": "Deal won"}
WINTER = datetime(2030, 1, 7, 8, 0, 5, tzinfo=UTC)
SUMMER = datetime(2030, 7, 1, 13, 30, 0, tzinfo=UTC)


def test_google_file_has_the_zone_line_the_exact_header_and_local_times():
    rows = google_ads_rows(
        [
            Conversion("won", SUMMER, gclid="G-2", value=Decimal("1200"), currency="EUR"),
            Conversion("booked", WINTER, gclid="G_1", msclkid="M1"),
            Conversion("booked", WINTER, msclkid="only-microsoft"),
        ],
        NAMES,
        "Europe/Berlin",
    )
    assert rows[0] == ["Parameters:TimeZone=Europe/Berlin"]
    assert rows[1] == list(GOOGLE_HEADER)
    assert ",".join(rows[1]) == (
        "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency"
    )
    # Winter: UTC+1; summer: UTC+2 (the zone's own offset at each instant).
    assert rows[2:] == [
        ["G_1", "Booked call", "2030-01-07 09:00:05", "", ""],
        ["G-2", "Deal won", "2030-07-01 15:30:00", "1200.00", "EUR"],
    ]


def test_microsoft_file_has_its_header_lines_and_us_style_times_at_one_offset():
    rows = microsoft_ads_rows(
        [
            Conversion("attended", SUMMER, gclid="G", msclkid="abc123"),
            Conversion("won", WINTER, msclkid="def456", value=Decimal("99.5"), currency="CHF"),
            Conversion("booked", WINTER, gclid="only-google"),
        ],
        NAMES,
        "Europe/Berlin",
        reference=datetime(2030, 12, 31, 23, 0, tzinfo=UTC),
    )
    assert rows[0] == ["Parameters:TimeZone=+0100"]
    assert ",".join(rows[1]) == (
        "Microsoft Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency"
    )
    assert rows[1] == list(MICROSOFT_HEADER)
    # Both at +0100: the summer instant 13:30 UTC is 2:30 PM at +0100.
    assert rows[2:] == [
        ["def456", "Deal won", "1/7/2030 9:00:05 AM", "99.50", "CHF"],
        ["abc123", "Held call", "7/1/2030 2:30:00 PM", "", ""],
    ]


def test_microsoft_offset_west_of_utc_and_midnight_hour():
    rows = microsoft_ads_rows(
        [Conversion("booked", datetime(2030, 1, 7, 5, 0, tzinfo=UTC), msclkid="x")],
        NAMES,
        "America/New_York",
        reference=datetime(2030, 1, 31, tzinfo=UTC),
    )
    assert rows[0] == ["Parameters:TimeZone=-0500"]
    assert rows[2] == ["x", "Booked call", "1/7/2030 12:00:00 AM", "", ""]


def test_goals_without_a_name_are_left_out():
    rows = google_ads_rows(
        [Conversion("booked", WINTER, gclid="a"), Conversion("attended", WINTER, gclid="a")],
        {"booked": "", "attended": "Held", "won": ""},
        "UTC",
    )
    assert [row[1] for row in rows[2:]] == ["Held"]


def test_click_ids_keep_only_well_formed_ids():
    touch = {"gclid": "=HYPERLINK(1)", "msclkid": "abc_DEF-1", "wbraid": "w", "utm_source": "x"}
    assert click_ids(touch) == {"msclkid": "abc_DEF-1", "wbraid": "w"}
    assert click_ids(None) == {}


@pytest.mark.parametrize(
    ("raw", "bad"),
    [({"booked": "x" * 101}, {"booked"}), ({"won": "a\nb"}, {"won"}), ({"attended": "ok"}, set())],
)
def test_conversion_names_are_bounded_and_printable(raw, bad):
    names, errors = clean_names(raw)
    assert set(errors) == bad
    assert set(names) == {"booked", "attended", "won"}


def test_strip_click_ids_removes_every_id_but_keeps_the_channel():
    touch = {"gclid": "g", "wbraid": "w", "gbraid": "b", "utm_campaign": "spring", "at": "t"}
    stripped = strip_click_ids(touch)
    assert stripped == {"utm_campaign": "spring", "at": "t", "click": "google"}
    assert channel(stripped) == channel(touch) == ("google", "cpc", "spring")
    assert strip_click_ids({"msclkid": "m"}) == {"click": "bing"}
    assert strip_click_ids({"utm_source": "news"}) == {"utm_source": "news"}
    assert strip_click_ids(None) is None


def decision(**kw):
    raw = {
        "origin": "https://www.example.com",
        "decision": "granted",
        "source": "consent_mode",
        "notice": "n",
        **kw,
    }
    return clean_decision(raw)


def test_ads_is_a_consent_purpose_that_needs_attribution():
    ok, errors = decision(purposes=["attribution", "ads"])
    assert errors == {} and ok.purposes == ("attribution", "ads")
    alone, errors = decision(purposes=["ads"])
    assert alone is None and "purposes" in errors
    default, _ = decision()
    assert default.purposes == ("attribution",)
    unknown, errors = decision(purposes=["attribution", "marketing"])
    assert unknown is None and "purposes" in errors


def test_without_consent_counts_views_and_bookings_without_touches():
    from scheduling.attribution import FunnelRow, without_consent

    touch = {"utm_source": "news"}
    rows = [
        FunnelRow(views=1),
        FunnelRow(views=1, first_touch=touch, last_touch=touch),
        FunnelRow(booked=1),
        FunnelRow(booked=1),
        FunnelRow(booked=1, first_touch=touch, last_touch=touch),
        FunnelRow(qualified=1),
    ]
    assert without_consent(rows) == (1, 2)
    assert without_consent([]) == (0, 0)
