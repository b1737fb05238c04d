"""Offline ad conversions over HTTP: ads consent, click ids stored or stripped, the two files."""

import csv
import io
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, EmbedSettings, Outcome, WidgetAttribution
from tests.conftest import FROZEN_NOW, post_form
from tests.web.test_embed_flow import HOST, book, log_consent

VISITOR = "v" * 32


@pytest.fixture
def shop(app, make_org, make_host, make_event_type, frozen_now):
    org = make_org(tz="Europe/Berlin")
    event_type = make_event_type(hosts=[make_host(org=org)])
    db.session.add(
        EmbedSettings(
            organisation_id=org.id,
            allowed_origins=[HOST],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            conversion_booked="Booked call",
            conversion_attended="Held call",
            conversion_won="Deal won",
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    return event_type


def consented_booking(client, event_type, purposes, touch, slot_day=8):
    consent = log_consent(client, event_type, purposes=purposes).get_json()["consent"]
    touch = {"at": 1_893_000_000_000, **touch}
    book(
        client,
        event_type,
        {"visitor": VISITOR, "consent": consent, "first": touch, "last": touch},
        query="?embed=1",
        slot=f"2030-01-{slot_day:02d}T09:00:00+00:00",
    )
    db.session.rollback()
    # The tests share one app context: do not let embed mode leak into the admin pages.
    g.pop("embed", None)
    return db.session.scalars(
        select(WidgetAttribution).order_by(WidgetAttribution.id.desc())
    ).first()


def test_without_ads_consent_no_click_id_is_stored(client, shop):
    row = consented_booking(
        client, shop, ["attribution"], {"gclid": "G1", "msclkid": "M1", "utm_campaign": "spring"}
    )
    assert row.consent_record_id is not None
    for touch in (row.first_touch, row.last_touch):
        assert "gclid" not in touch and "msclkid" not in touch
        assert touch["utm_campaign"] == "spring"
        assert touch["click"] == "google"  # the channel survives, the identifier does not


def test_with_ads_consent_click_ids_are_kept(client, shop):
    row = consented_booking(client, shop, ["attribution", "ads"], {"gclid": "G1", "wbraid": "W"})
    assert row.last_touch["gclid"] == "G1" and row.first_touch["wbraid"] == "W"


def export(client, platform, query="?from=2030-01-01&to=2030-01-31"):
    response = client.get(f"/admin/ad-conversions/{platform}.csv{query}")
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    assert not response.text.startswith("\ufeff")
    return response.text.splitlines()


@pytest.fixture
def conversions(client, shop):
    ads = ["attribution", "ads"]
    won = consented_booking(client, shop, ads, {"gclid": "Gwon", "msclkid": "Mwon"}, 8)
    consented_booking(client, shop, ads, {"utm_source": "news"}, 9)  # ads, but no click id
    consented_booking(client, shop, ["attribution"], {"gclid": "Gnoads"}, 10)
    consented_booking(client, shop, ads, {"msclkid": "=cmd|' /C calc'!A0"}, 14)  # not an id
    db.session.add(
        Outcome(
            booking_id=won.booking_id,
            status="won",
            deal_value=Decimal("1200.5"),
            currency="EUR",
            recorded_at=FROZEN_NOW.replace(day=20, hour=23, minute=30),
        )
    )
    db.session.commit()
    return won


def test_google_export_is_exact_and_holds_only_ads_consented_click_ids(
    client, login_as, conversions, shop
):
    login_as("manager", org=shop.organisation)
    lines = export(client, "google")
    assert lines == [
        "Parameters:TimeZone=Europe/Berlin",
        "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency",
        # Booked at FROZEN_NOW (08:00 UTC = 09:00 Berlin); the outcome 23:30 UTC is the 21st.
        "Gwon,Booked call,2030-01-07 09:00:00,,",
        "Gwon,Held call,2030-01-21 00:30:00,,",
        "Gwon,Deal won,2030-01-21 00:30:00,1200.50,EUR",
    ]


def test_microsoft_export_is_exact(client, login_as, conversions, shop):
    login_as("manager", org=shop.organisation)
    lines = export(client, "microsoft")
    assert lines == [
        "Parameters:TimeZone=+0100",
        "Microsoft Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency",
        "Mwon,Booked call,1/7/2030 9:00:00 AM,,",
        "Mwon,Held call,1/21/2030 12:30:00 AM,,",
        "Mwon,Deal won,1/21/2030 12:30:00 AM,1200.50,EUR",
    ]


def test_the_range_is_whole_days_in_the_organisations_zone(client, login_as, conversions, shop):
    login_as("manager", org=shop.organisation)
    # 23:30 UTC on the 20th is the 21st in Berlin: a range ending on the 20th leaves it out.
    lines = export(client, "google", "?from=2030-01-01&to=2030-01-20")
    assert [line.split(",")[1] for line in lines[2:]] == ["Booked call"]
    lines = export(client, "google", "?from=2030-01-21&to=2030-01-21")
    assert [line.split(",")[1] for line in lines[2:]] == ["Held call", "Deal won"]


def test_other_organisations_conversions_never_appear(client, login_as, conversions, make_org):
    login_as("manager", org=make_org(tz="Europe/Berlin"))
    assert export(client, "google")[2:] == []
    assert export(client, "microsoft")[2:] == []


def test_cells_are_csv_injection_safe(client, login_as, shop):
    consented_booking(client, shop, ["attribution", "ads"], {"gclid": "-A1"}, 8)
    login_as("admin", org=shop.organisation)
    post_form(
        client,
        "/admin/ad-conversions",
        {"conversion_booked": '=HYPERLINK("x")', "conversion_attended": "", "conversion_won": ""},
    )
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/admin/ad-conversions/google.csv?from=2030-01-01&to=2030-01-31").text
            )
        )
    )
    assert rows[2][:2] == ["'-A1", '\'=HYPERLINK("x")']


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=2030-13-01", "does not exist"),
        ("?from=2030-02-01&to=2030-01-01", "must not be before"),
        ("?from=yesterday", "year-month-day"),
    ],
)
def test_bad_ranges_get_a_clear_message(client, login_as, shop, query, message):
    login_as("manager", org=shop.organisation)
    response = client.get(f"/admin/ad-conversions/google.csv{query}")
    assert response.status_code == 400
    assert message in response.text


def test_unknown_platform_is_refused(client, login_as, shop):
    login_as("manager", org=shop.organisation)
    assert client.get("/admin/ad-conversions/meta.csv").status_code == 400


def test_admin_saves_conversion_names_with_csrf_and_audit(client, login_as, shop):
    admin = login_as("admin", org=shop.organisation)
    page = client.get("/admin/ad-conversions")
    assert page.status_code == 200 and 'value="Booked call"' in page.text
    no_csrf = client.post("/admin/ad-conversions", data={"conversion_booked": "X"})
    assert no_csrf.status_code == 400
    response = post_form(
        client,
        "/admin/ad-conversions",
        {"conversion_booked": "Sales call", "conversion_attended": "", "conversion_won": "Won"},
    )
    assert response.status_code == 302
    db.session.rollback()
    settings = db.session.scalar(
        select(EmbedSettings).where(EmbedSettings.organisation_id == admin.organisation_id)
    )
    assert (settings.conversion_booked, settings.conversion_attended) == ("Sales call", "")
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "embed.conversion_names")
    )
    too_long = post_form(client, "/admin/ad-conversions", {"conversion_booked": "x" * 101})
    assert too_long.status_code == 400 and "At most 100 characters." in too_long.text
    db.session.rollback()
    assert db.session.get(EmbedSettings, settings.id).conversion_booked == "Sales call"


def test_managers_export_but_do_not_edit(client, login_as, shop):
    login_as("manager", org=shop.organisation)
    page = client.get("/admin/ad-conversions")
    assert page.status_code == 200 and "Save conversion names" not in page.text
    response = post_form(client, "/admin/ad-conversions", {"conversion_booked": "Hacked"})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(EmbedSettings.conversion_booked)) == "Booked call"


def test_reps_get_no_export(client, login_as, shop):
    login_as("rep", org=shop.organisation)
    assert client.get("/admin/ad-conversions").status_code == 403
    assert client.get("/admin/ad-conversions/google.csv").status_code == 403
