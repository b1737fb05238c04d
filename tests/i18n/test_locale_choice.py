"""Which language a page is in: URL `lang`, the widget's locale, Accept-Language, the event type's
default, English; kept through the flow's links; `<html lang>` on every kind of page."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Booking

SLOT = "2030-01-08T09:00:00+00:00"  # 10:00 in Berlin, a Tuesday


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type(title="Intro call")


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.text).group(1)


def test_the_url_choice_beats_accept_language(client, event_type):
    page = client.get(f"/book/{event_type.slug}?lang=fr", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert html_lang(page) == "fr"


def test_accept_language_picks_among_the_supported_languages(client, event_type):
    page = client.get(
        f"/book/{event_type.slug}", headers={"Accept-Language": "ja, pl;q=0.8, de;q=0.5"}
    )
    assert html_lang(page) == "pl"
    regional = client.get(f"/book/{event_type.slug}", headers={"Accept-Language": "nl-BE"})
    assert html_lang(regional) == "nl"


def test_the_event_type_default_comes_after_the_browser(client, make_event_type, frozen_now):
    italian = make_event_type(default_locale="it")
    assert html_lang(client.get(f"/book/{italian.slug}")) == "it"
    assert html_lang(client.get(f"/book/{italian.slug}", headers={"Accept-Language": "ja"})) == "it"
    assert html_lang(client.get(f"/book/{italian.slug}", headers={"Accept-Language": "es"})) == "es"
    assert html_lang(client.get(f"/book/{italian.slug}?lang=de")) == "de"


def test_english_is_the_fallback(client, event_type):
    assert html_lang(client.get(f"/book/{event_type.slug}")) == "en"
    assert html_lang(client.get("/", headers={"Accept-Language": "ja, zh"})) == "en"


@pytest.mark.parametrize("value", ["xx", "", "de" * 40, "<script>", "../../etc", "fr;q=1"])
def test_an_invalid_lang_is_ignored(client, event_type, value):
    page = client.get(
        f"/book/{event_type.slug}", query_string={"lang": value}, headers={"Accept-Language": "de"}
    )
    assert page.status_code == 200
    assert html_lang(page) == "de"
    assert "lang=" + value not in page.text or value in ("", "de" * 40)


def test_lang_is_kept_in_every_link_and_form_of_the_flow(client, event_type):
    page = client.get(f"/book/{event_type.slug}?lang=fr&date=2030-01-08")
    flow_links = [  # every link of the flow but the language menu's (each names its language)
        re.search(r'href="([^"]+)"', tag).group(1).replace("&amp;", "&")
        for tag in re.findall(r"<a [^>]*>", page.text)
        if re.search(r'href="/book(ing)?/', tag) and "hreflang=" not in tag
    ]
    assert flow_links, "the day should list times and months"
    for href in flow_links:
        assert parse_qs(urlsplit(href).query).get("lang") == ["fr"], href
    # The time-zone form is a GET form: its action's query is dropped, so it carries a field.
    assert '<input type="hidden" name="lang" value="fr">' in page.text
    # The times are buttons of a GET form whose hidden fields carry the query (lang among them).
    slot_form = re.search(
        r'<form method="get" action="([^"]+/confirm)" class="slot-form">(.*?)</form>',
        page.text,
        re.S,
    )
    assert slot_form, "the day should offer times"
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', slot_form.group(2))
    )
    assert fields.get("lang") == "fr"
    fields["start"] = re.search(r'name="start" value="([^"]+)"', slot_form.group(2)).group(1)
    form = client.get(slot_form.group(1), query_string=fields)
    assert html_lang(form) == "fr"
    action = re.search(r'<form method="post" action="([^"]+)"', form.text).group(1)
    assert "lang=fr" in action
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form.text).group(1)
    assert re.search(r'name="locale" type="hidden" value="fr"', form.text)
    answer = client.post(
        action.replace("&amp;", "&"),
        data={
            "start": re.search(r'name="start" value="([^"]+)"', form.text).group(1),
            "tz": re.search(r'name="tz" value="([^"]+)"', form.text).group(1),
            "form_token": token,
            "name": "Marie Curie",
            "email": "marie@example.com",
            "locale": "fr",
        },
    )
    assert answer.status_code == 303
    assert "/booking/" in answer.headers["Location"]
    assert parse_qs(urlsplit(answer.headers["Location"]).query).get("lang") == ["fr"]
    booking = db.session.scalars(select(Booking)).one()
    assert booking.invitee_locale == "fr"
    shown = client.get(answer.headers["Location"])
    assert html_lang(shown) == "fr"
    assert "lang=fr" in re.search(r'href="([^"]*invite\.ics[^"]*)"', shown.text).group(1)


def test_a_booking_without_explicit_choice_keeps_the_browser_language(client, event_type):
    form = client.get(
        f"/book/{event_type.slug}/confirm",
        query_string={"start": SLOT, "tz": "Europe/Berlin"},
        headers={"Accept-Language": "es-ES,es;q=0.9"},
    )
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form.text).group(1)
    answer = client.post(
        f"/book/{event_type.slug}/confirm",
        data={
            "start": SLOT,
            "tz": "Europe/Berlin",
            "form_token": token,
            "name": "Clara Campoamor",
            "email": "clara@example.com",
            "locale": re.search(r'name="locale" type="hidden" value="(\w+)"', form.text).group(1),
        },
    )
    assert answer.status_code == 303
    assert db.session.scalars(select(Booking)).one().invitee_locale == "es"


def test_an_unsupported_posted_locale_is_a_clear_400(client, event_type):
    form = client.get(
        f"/book/{event_type.slug}/confirm", query_string={"start": SLOT, "tz": "Europe/Berlin"}
    )
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form.text).group(1)
    answer = client.post(
        f"/book/{event_type.slug}/confirm",
        data={
            "start": SLOT,
            "tz": "Europe/Berlin",
            "form_token": token,
            "name": "Ada",
            "email": "ada@example.com",
            "locale": "tlh",
        },
    )
    assert answer.status_code == 400
    assert "Unsupported language tlh" in answer.text
    assert db.session.scalars(select(Booking)).first() is None


def test_the_widget_frame_takes_the_locale_from_its_url(client, event_type):
    entry = client.get(f"/book/{event_type.slug}?embed=1&entry=1&lang=de")
    assert entry.status_code == 303
    query = parse_qs(urlsplit(entry.headers["Location"]).query)
    assert query.get("lang") == ["de"] and query.get("embed") == ["1"]
    frame = client.get(entry.headers["Location"], headers={"Accept-Language": "fr"})
    assert html_lang(frame) == "de"


def test_embed_js_passes_data_locale_and_the_locale_option_as_lang():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "static" / "embed.js").read_text()
    assert 'box.getAttribute("data-locale") || loc' in source
    assert '"&lang=" + encodeURIComponent(' in source
    assert "locale: function (l) { loc = l; }" in source


def test_the_language_menu_links_this_page_in_each_language(client, event_type):
    page = client.get(f"/book/{event_type.slug}?date=2030-01-08&lang=de")
    menu = re.search(r'<nav class="language-menu"[^>]*>(.*?)</nav>', page.text, re.S).group(1)
    items = re.findall(r'<a href="([^"]+)" hreflang="(\w+)" lang="(\w+)"([^>]*)>([^<]+)</a>', menu)
    assert [(code, name) for _, code, _, _, name in items] == [
        ("en", "English"),
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("es", "Español"),
        ("it", "Italiano"),
        ("nl", "Nederlands"),
        ("pl", "Polski"),
    ]
    for href, code, lang, extra, _ in items:
        assert code == lang
        query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        assert query["lang"] == [code] and query["date"] == ["2030-01-08"]
        assert ('aria-current="true"' in extra) == (code == "de")
    french = client.get(items[2][0].replace("&amp;", "&"))
    assert html_lang(french) == "fr"


def test_html_lang_on_error_pages(client, event_type):
    missing = client.get("/book/no-such-event?lang=it")
    assert missing.status_code == 404 and html_lang(missing) == "it"
    unknown = client.get("/nothing/here", headers={"Accept-Language": "fr"})
    assert unknown.status_code == 404 and html_lang(unknown) == "fr"


def test_admin_pages_follow_accept_language_among_english_and_german(client):
    assert html_lang(client.get("/admin/login", headers={"Accept-Language": "de-DE"})) == "de"
    assert html_lang(client.get("/admin/login", headers={"Accept-Language": "fr"})) == "en"
    # No language menu and no URL choice on admin pages.
    page = client.get("/admin/login?lang=nl", headers={"Accept-Language": "de"})
    assert html_lang(page) == "de" and "language-menu" not in page.text


def test_translated_text_comes_from_the_catalogue(client, event_type, catalogue):
    catalogue("de", {"Time zone": "Zeitzone", "Language": "Sprache"})
    page = client.get(f"/book/{event_type.slug}?lang=de")
    assert ">Zeitzone</label>" in page.text
    assert 'aria-label="Sprache"' in page.text
    english = client.get(f"/book/{event_type.slug}")
    assert ">Time zone</label>" in english.text


def test_domain_errors_are_shown_translated_with_their_values(client, event_type, catalogue):
    catalogue(
        "fr",
        {"There is no bookable event type at this address.": "Aucun rendez-vous à cette adresse."},
    )
    page = client.get("/book/nothing-here?lang=fr")
    assert page.status_code == 404 and "Aucun rendez-vous à cette adresse." in page.text
    api = client.get("/api/v1/event-types/nothing-here", headers={"Accept-Language": "fr"})
    assert api.get_json()["message"] == "There is no bookable event type at this address."


def test_the_outage_page_has_the_visitor_language(app, tmp_path, frozen_now):
    from tests.db_outage import database_outage

    with database_outage(tmp_path) as outage:
        client = outage.app.test_client()
        outage.cut()
        answer = client.get("/book/anything?lang=pl")
        assert answer.status_code == 503
        assert html_lang(answer) == "pl"
        answer = client.get("/book/anything", headers={"Accept-Language": "ja"})
        assert answer.status_code == 503 and html_lang(answer) == "en"


def _event_type_form(host, **overrides) -> dict:
    data = {
        "title": "Beratung",
        "slug": "beratung",
        "description": "",
        "duration": "30",
        "step": "30",
        "buffer_before": "0",
        "buffer_after": "0",
        "min_notice": "0",
        "horizon_days": "30",
        "daily_limit": "",
        "location_kinds": ["video"],
        "active": "y",
        "host_ids": [str(host.id)],
        "routing_form_id": "",
        "pool_id": "",
        "button_label": "",
        "layout": "standard",
    }
    data.update(overrides)
    return data


def test_the_default_language_is_set_in_the_admin_form(
    client, login_as, make_host, make_org, frozen_now
):
    from scheduling.models import EventType
    from tests.conftest import post_form

    org = make_org()
    host = make_host(org=org)
    login_as("manager", org=org)
    new = client.get("/admin/event-types/new")
    assert 'name="default_locale"' in new.text and ">Deutsch</option>" in new.text
    refused = post_form(
        client, "/admin/event-types/new", _event_type_form(host, default_locale="xx")
    )
    assert refused.status_code == 400 and "Choose a language from the list." in refused.text
    made = post_form(client, "/admin/event-types/new", _event_type_form(host, default_locale="nl"))
    assert made.status_code == 302, made.text
    event_type = db.session.scalars(select(EventType).where(EventType.slug == "beratung")).one()
    assert event_type.default_locale == "nl"
    assert html_lang(client.get("/book/beratung", headers={"Accept-Language": "ja"})) == "nl"
    api = client.get("/api/v1/event-types/beratung").get_json()
    assert api["default_locale"] == "nl"
    edit = f"/admin/event-types/{event_type.id}/edit"
    assert re.search(
        r'<option selected value="nl">|<option value="nl" selected', client.get(edit).text
    )
    cleared = post_form(client, edit, _event_type_form(host, default_locale=""))
    assert cleared.status_code == 302, cleared.text
    db.session.expire_all()
    assert db.session.get(EventType, event_type.id).default_locale is None
    assert html_lang(client.get("/book/beratung", headers={"Accept-Language": "ja"})) == "en"
