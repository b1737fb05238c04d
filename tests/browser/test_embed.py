"""The widget on a customer's page, in Chromium: consent, cookies, attribution, events, popup."""

import json

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import (
    AbTest,
    AbVariant,
    Booking,
    ConsentRecord,
    EmbedSettings,
    WidgetAttribution,
)
from tests.conftest import FROZEN_NOW

pytestmark = pytest.mark.browser

EVENTS = [
    "ready",
    "qualified",
    "disqualified",
    "slot_selected",
    "booking_submitted",
    "booked",
    "consent_changed",
]


def host_page(app_url: str, slug: str, before: str = "") -> str:
    """A customer's landing page: records every widget event, inline widget and popup button."""
    listeners = "".join(
        f'document.addEventListener("rendezvous:{name}", function (e) {{'
        f' window.domEvents.push(["{name}", e.detail]); }});'
        for name in EVENTS
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Landing</title>
<script>
window.domEvents = []; window.apiEvents = [];
window.Rendezvous = window.Rendezvous || [];
Rendezvous.push(["on", "booked", function (d) {{ window.apiEvents.push(["booked", d]); }}]);
Rendezvous.push(["on", "ready", function (d) {{ window.apiEvents.push(["ready", d]); }}]);
{listeners}
{before}
</script>
<script src="{app_url}/static/embed.js" defer></script>
</head><body><h1>Our offer</h1>
<button type="button" id="before">Before</button>
<div data-rendezvous="{slug}"></div>
<button type="button" id="open" data-rendezvous-popup="{slug}">Book a call</button>
<button type="button" id="after">After</button>
</body></html>"""


@pytest.fixture
def widget(app, frozen_now, make_event_type, host_site, live_server):
    """An event type whose organisation allows the host site to frame the widget."""
    event_type = make_event_type(title="Intro call")
    db.session.add(
        EmbedSettings(
            organisation_id=event_type.organisation_id,
            allowed_origins=[host_site.origin],
            own_prompt=False,
            prompt_text="",
            cookie_days=30,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    return event_type


def open_host(page, host_site, live_server, slug, query="", before=""):
    host_site.pages["/landing"] = host_page(live_server.url, slug, before)
    page.goto(f"{host_site.origin}/landing{query}")
    page.wait_for_function("window.apiEvents.some(function (e) { return e[0] === 'ready'; })")


def book_in_frame(page, name="Vera Visitor"):
    frame = page.frame_locator("div[data-rendezvous] iframe")
    document = page.locator("div[data-rendezvous] iframe").element_handle().content_frame()
    # Each click loads a new document; the next one waits for it, or (under load) a click can
    # land on the old page's times while the day is still loading, and be lost.
    with document.expect_navigation():
        frame.locator("button.day.available").first.click()
    with document.expect_navigation():
        frame.locator("button.slot").first.click()
    frame.locator("#name").fill(name)
    frame.locator("#email").fill("vera@example.com")
    frame.locator("button[type=submit]").click()
    frame.get_by_role("heading", name="You are booked").wait_for()


def widget_frame(page):
    return next(f for f in page.frames if f.url.startswith("http://127.0.0.1"))


def storage_count(frame) -> int:
    """Entries in local and session storage; a third-party frame whose storage the browser
    blocks (cookies blocked) cannot hold any, which counts as none."""
    return frame.evaluate(
        "(function () { try { return localStorage.length + sessionStorage.length; }"
        " catch (e) { if (e.name === 'SecurityError') return 0; throw e; } })()"
    )


def attribution_of_last_booking():
    db.session.rollback()  # see what the server committed meanwhile
    booking = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    assert booking is not None
    return db.session.scalar(
        select(WidgetAttribution).where(WidgetAttribution.booking_id == booking.id)
    )


def consent_decisions():
    db.session.rollback()  # see what the server committed meanwhile
    return [
        row.decision for row in db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))
    ]


@pytest.mark.parametrize("answer", ["refused", "no answer"])
def test_without_consent_booking_works_and_nothing_is_stored(
    browser_page, browser_context, widget, host_site, live_server, answer
):
    before = 'Rendezvous.push(["consent", {attribution: false}]);' if answer == "refused" else ""
    open_host(browser_page, host_site, live_server, widget.slug, "?utm_source=news", before)
    # The profile blocks third-party cookies: the widget frame could not keep one even if it
    # tried, and the booking below still works.
    probe = widget_frame(browser_page).evaluate(
        "document.cookie = 'probe=1; SameSite=None; Secure; Path=/'; document.cookie"
    )
    assert probe == ""
    book_in_frame(browser_page)
    assert browser_context.cookies() == []
    assert storage_count(browser_page.main_frame) == 0
    assert storage_count(widget_frame(browser_page)) == 0
    row = attribution_of_last_booking()
    assert row is not None and row.last_touch is None and row.first_touch is None
    assert row.visitor_id is None and row.consent_record_id is None
    assert consent_decisions() == (["refused"] if answer == "refused" else [])


def _cookie(browser_context):
    cookies = browser_context.cookies()
    assert [c["domain"] for c in cookies] == ["localhost"], cookies
    return json.loads(__import__("urllib.parse").parse.unquote(cookies[0]["value"]))


def wait_for_cookie(page):
    page.wait_for_function("document.cookie.indexOf('rv_attr=') >= 0")


def test_consent_through_the_api_attributes_the_booking_first_and_last_touch(
    browser_page, browser_context, widget, host_site, live_server
):
    page = browser_page
    open_host(page, host_site, live_server, widget.slug, "?utm_source=news&utm_campaign=spring")
    page.evaluate("Rendezvous.consent({attribution: true, notice: 'We measure campaigns.'})")
    wait_for_cookie(page)
    first = _cookie(browser_context)
    assert first["f"]["utm_source"] == "news" and first["l"] == first["f"]

    # A second visit from another campaign: the first touch stays, the last one changes.
    open_host(
        page,
        host_site,
        live_server,
        widget.slug,
        "?utm_source=ads&gclid=abc123",
        'Rendezvous.push(["consent", {attribution: true}]);',
    )
    page.wait_for_function("document.cookie.indexOf('ads') >= 0")
    second = _cookie(browser_context)
    assert second["v"] == first["v"] and second["e"] == first["e"]
    assert second["f"]["utm_source"] == "news" and second["l"]["utm_source"] == "ads"
    # Attribution alone: the click id is neither kept in the cookie nor stored.
    assert "gclid" not in second["l"]
    book_in_frame(page)
    row = attribution_of_last_booking()
    assert row.first_touch["utm_source"] == "news"
    assert row.first_touch["utm_campaign"] == "spring"
    assert row.last_touch["utm_source"] == "ads" and "gclid" not in row.last_touch
    assert row.visitor_id == first["v"]
    assert row.consent_record.decision == "granted"
    assert row.consent_record.host_origin == host_site.origin
    assert storage_count(widget_frame(page)) == 0
    assert consent_decisions() == ["granted"]

    # Withdrawal removes the cookie at once and is logged.
    page.evaluate("Rendezvous.consent({attribution: false})")
    assert page.evaluate("document.cookie") == ""
    assert browser_context.cookies() == []
    page.wait_for_function("true")
    page.wait_for_timeout(300)
    assert consent_decisions() == ["granted", "withdrawn"]
    # The withdrawal names the grant it ends (embed.js sends the grant's id from memory).
    grant, withdrawal = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))
    assert withdrawal.ends_consent_id == grant.id and grant.withdrawn_at is not None


TCF_STUB = """
window.__tcfapi = function (command, version, callback) {
  if (command === "addEventListener" && version === 2) {
    setTimeout(function () {
      callback({eventStatus: "tcloaded", gdprApplies: true, cmpId: 7, cmpVersion: 3,
                tcfPolicyVersion: 4, purpose: {consents: {1: true, 7: true}}}, true);
    }, 0);
  }
};
"""


def test_consent_through_tcf_attributes_the_booking(
    browser_page, browser_context, widget, host_site, live_server
):
    page = browser_page
    open_host(
        page, host_site, live_server, widget.slug, "?utm_source=partner&utm_medium=cpc", TCF_STUB
    )
    wait_for_cookie(page)
    book_in_frame(page)
    row = attribution_of_last_booking()
    assert row.last_touch["utm_source"] == "partner"
    assert row.consent_record.source == "tcf"
    assert _cookie(browser_context)["l"]["utm_medium"] == "cpc"


def test_consent_mode_update_grants_and_denies(
    browser_page, browser_context, widget, host_site, live_server
):
    page = browser_page
    open_host(
        page,
        host_site,
        live_server,
        widget.slug,
        "?utm_source=gcm",
        "window.dataLayer = window.dataLayer || [];",
    )
    page.evaluate(
        "(function(){ function gtag(){ dataLayer.push(arguments); }"
        " gtag('consent', 'update', {analytics_storage: 'granted'}); })()"
    )
    wait_for_cookie(page)
    page.evaluate(
        "(function(){ function gtag(){ dataLayer.push(arguments); }"
        " gtag('consent', 'update', {analytics_storage: 'denied'}); })()"
    )
    assert browser_context.cookies() == []


def test_events_reach_the_host_page(browser_page, widget, host_site, live_server):
    page = browser_page
    open_host(page, host_site, live_server, widget.slug)
    book_in_frame(page)
    page.wait_for_function("window.apiEvents.length >= 2")
    names = [name for name, _ in page.evaluate("window.domEvents")]
    assert names[:1] == ["ready"]
    assert [n for n in names if n in ("slot_selected", "booking_submitted", "booked")] == [
        "slot_selected",
        "booking_submitted",
        "booked",
    ]
    booked = dict(page.evaluate("window.apiEvents"))["booked"]
    db.session.rollback()
    booking = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    assert booked["id"] == booking.uid
    assert booked["host"] == booking.host.name
    assert booked["start"] == booking.start_at.isoformat()


def test_a_host_not_on_the_allowlist_cannot_frame_the_widget(
    browser_page, widget, host_site, live_server
):
    settings = db.session.scalar(select(EmbedSettings))
    settings.allowed_origins = ["https://www.example.com"]
    db.session.commit()
    page = browser_page
    host_site.pages["/landing"] = host_page(live_server.url, widget.slug)
    page.goto(f"{host_site.origin}/landing")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.apiEvents") == []
    assert not any(
        f.url.startswith("http://127.0.0.1")
        and f.url.endswith("embed=1")
        and f.locator("h1").count()
        for f in page.frames
    )


def test_popup_traps_focus_closes_with_escape_and_restores_focus(
    browser_page, widget, host_site, live_server
):
    page = browser_page
    open_host(page, host_site, live_server, widget.slug)
    page.focus("#open")
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    page.frame_locator("dialog iframe").locator("button.day.available").first.wait_for()
    for _ in range(40):
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "document.activeElement && !!document.activeElement.closest('dialog[open]')"
        )
        assert inside
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached" if False else "hidden")
    assert page.evaluate("document.activeElement.id") == "open"


def test_own_prompt_accept_grants_consent_from_inside_the_widget(
    browser_page, browser_context, widget, host_site, live_server
):
    settings = db.session.scalar(select(EmbedSettings))
    settings.own_prompt = True
    db.session.commit()
    page = browser_page
    open_host(page, host_site, live_server, widget.slug, "?utm_source=prompted")
    frame = page.frame_locator("div[data-rendezvous] iframe")
    accept = frame.get_by_role("button", name="Accept")
    refuse = frame.get_by_role("button", name="Refuse")
    accept.wait_for()
    assert accept.bounding_box()["width"] == refuse.bounding_box()["width"]
    assert browser_context.cookies() == []
    accept.click()
    wait_for_cookie(page)
    assert _cookie(browser_context)["l"]["utm_source"] == "prompted"
    db.session.rollback()
    record = db.session.scalar(select(ConsentRecord))
    assert (record.source, record.decision) == ("prompt", "granted")


def test_demo_landing_page_books_with_its_banner(
    browser_page, browser_context, app, frozen_now, make_event_type, live_server
):
    """The demo page the app serves: its own banner, same-origin embed, strict CSP (no inline)."""
    discovery = make_event_type(slug="discovery-call", title="Discovery call")
    strategy = make_event_type(
        slug="strategy-session", title="Strategy session", hosts=list(discovery.hosts)
    )
    db.session.add(
        EmbedSettings(
            organisation_id=strategy.organisation_id,
            allowed_origins=[live_server.url],
            cookie_days=30,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    page = browser_page
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/static/demo/landing.html?utm_source=demo&utm_campaign=winter")
    page.get_by_role("button", name="Accept").click()
    # The page's CSP forbids eval, so poll from here rather than with wait_for_function.
    for _ in range(50):
        if browser_context.cookies():
            break
        page.wait_for_timeout(100)
    assert [c["name"] for c in browser_context.cookies()] == ["rv_attr"]
    book_in_frame(page)
    page.locator("#events li", has_text="booked").wait_for()
    row = attribution_of_last_booking()
    assert row.last_touch["utm_campaign"] == "winter"
    assert errors == []


def test_ab_variant_stays_for_a_consented_visitor(
    browser_page, browser_context, widget, host_site, live_server
):
    test = AbTest(
        organisation_id=widget.organisation_id,
        event_type_id=widget.id,
        name="Headline",
        status="running",
        started_at=FROZEN_NOW,
    )
    test.variants = [
        AbVariant(name="Control", is_control=True, weight=50, headline="Plain headline"),
        AbVariant(name="Bold", weight=50, headline="Bold headline"),
    ]
    db.session.add(test)
    db.session.commit()
    page = browser_page
    consent = 'Rendezvous.push(["consent", {attribution: true}]);'
    open_host(page, host_site, live_server, widget.slug, "", consent)
    wait_for_cookie(page)
    heading = page.frame_locator("div[data-rendezvous] iframe").locator("h1")
    shown = heading.inner_text()
    page.wait_for_function("document.cookie.indexOf('%22ab%22%3A%7B%22') >= 0")
    kept = _cookie(browser_context)["ab"][widget.slug][0]
    db.session.rollback()  # end the read snapshot before writing next to the live server
    test = db.session.get(AbTest, test.id)
    chosen = next(v for v in test.variants if f"{test.id}.{v.id}" == kept)
    assert shown == chosen.headline
    # Make a fresh draw almost surely pick the other variant: the kept one must still show.
    other = next(v for v in test.variants if v is not chosen)
    chosen.weight, other.weight = 1, 99
    db.session.commit()
    for _ in range(2):
        open_host(page, host_site, live_server, widget.slug, "", consent)
        assert heading.inner_text() == chosen.headline


SPY = """
window.reads = []; window.writes = [];
(function () {
  function spy(target, proto, name) {
    var real = Object.getOwnPropertyDescriptor(proto, name);
    Object.defineProperty(target, name, {
      configurable: true,
      get: function () { window.reads.push(name); return real.get.call(target); },
      set: function (value) {
        window.writes.push(name + ":" + value); real.set.call(target, value);
      }
    });
  }
  spy(document, Document.prototype, "cookie");
  spy(document, Document.prototype, "referrer");
  ["localStorage", "sessionStorage"].forEach(function (name) {
    var real = Object.getOwnPropertyDescriptor(window, name) ||
      Object.getOwnPropertyDescriptor(Window.prototype, name);
    Object.defineProperty(window, name, {
      configurable: true,
      get: function () { window.reads.push(name); return real.get.call(window); }
    });
  });
})();
"""


@pytest.mark.parametrize("answer", ["no answer", "refused"])
def test_before_consent_embed_js_reads_and_writes_nothing_of_the_page(
    browser_page, widget, host_site, live_server, answer
):
    page = browser_page
    refuse = 'Rendezvous.push(["consent", {attribution: false}]);'
    before = SPY + (refuse if answer == "refused" else "")
    open_host(page, host_site, live_server, widget.slug, "?utm_source=news", before)
    page.click("#open")
    page.frame_locator("dialog iframe").locator("button.day.available").first.wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate("window.reads") == []
    writes = page.evaluate("window.writes")
    # A refusal only expires a cookie an earlier consent may have left: nothing is stored.
    assert writes == (
        [] if answer == "no answer" else ["cookie:rv_attr=; Max-Age=0; path=/; SameSite=Lax"]
    )
    # The spies work: consent makes the widget read the page (and only then).
    page.evaluate("Rendezvous.consent({attribution: true})")
    page.wait_for_function("window.reads.indexOf('cookie') >= 0")
    assert "referrer" in page.evaluate("window.reads")


def test_a_broken_queue_entry_does_not_stop_the_widget(
    browser_page, widget, host_site, live_server
):
    before = (
        'Rendezvous.push(["no_such_command", 1]); Rendezvous.push(null);'
        ' Rendezvous.push(["consent", {attribution: false}]);'
    )
    open_host(browser_page, host_site, live_server, widget.slug, "", before)  # waits for ready
    browser_page.wait_for_timeout(300)
    assert consent_decisions() == ["refused"]
    browser_page.evaluate('Rendezvous.push(["nope"])')  # after loading too: no exception


def test_long_campaign_values_keep_the_frame_address_short(
    browser_page, widget, host_site, live_server
):
    """gunicorn refuses request lines over 4094 bytes: touches too long stay out of the URL.

    (Non-ASCII values triple in length when URL-encoded: 200 of them could break the frame.)
    """
    page = browser_page
    long_value = "a1-" * 66 + "z2"  # 200 characters, like a long click id
    keys = (
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "gclid",
        "fbclid",
    )
    query = "?" + "&".join(f"{key}={long_value}" for key in keys)
    open_host(
        page,
        host_site,
        live_server,
        widget.slug,
        query,
        # With ads consent the click ids count too (without it they are never kept).
        'Rendezvous.push(["consent", {attribution: true, ads: true}]);',
    )
    wait_for_cookie(page)
    src = page.evaluate("document.querySelector('div[data-rendezvous] iframe').src")
    assert len(src) < 4094 and "ft=" not in src
    book_in_frame(page)
    row = attribution_of_last_booking()  # the frame still got the touches by postMessage
    assert row.last_touch["utm_source"] == "a1-" * 66 + "z2"


def test_messages_from_other_windows_are_ignored(browser_page, widget, host_site, live_server):
    page = browser_page
    open_host(page, host_site, live_server, widget.slug)
    page.evaluate(
        """(function () {
      var fake = {rv: 1, type: "event", name: "booked", key: "fake", detail: {id: "x"}};
      window.postMessage(fake, "*");
      var child = document.body.appendChild(document.createElement("iframe"));
      child.contentWindow.parent.postMessage(fake, "*");
      window.postMessage({rv: 1, type: "resize", height: 5}, "*");
      window.postMessage({rv: 1, type: "choice", attribution: true}, "*");
    })()"""
    )
    page.wait_for_timeout(500)
    names = [name for name, _ in page.evaluate("window.domEvents")]
    assert "booked" not in names and "consent_changed" not in names
    height = page.evaluate("document.querySelector('div[data-rendezvous] iframe').style.height")
    assert height != "5px"
    assert consent_decisions() == []


def test_tcf_without_gdpr_is_no_consent(
    browser_page, browser_context, widget, host_site, live_server
):
    """gdprApplies: false with no purpose consents must not be logged as a "granted" decision."""
    stub = TCF_STUB.replace("gdprApplies: true", "gdprApplies: false").replace(
        "consents: {1: true, 7: true}", "consents: {}"
    )
    page = browser_page
    open_host(page, host_site, live_server, widget.slug, "?utm_source=abroad", stub)
    page.wait_for_function(
        "window.domEvents.some(function (e) { return e[0] === 'consent_changed'; })"
    )
    book_in_frame(page)
    assert browser_context.cookies() == []
    row = attribution_of_last_booking()
    assert row.last_touch is None and row.consent_record_id is None
    assert "granted" not in consent_decisions()


def test_a_shorter_lifetime_shortens_an_existing_cookie_but_never_extends_it(
    browser_page, browser_context, widget, host_site, live_server
):
    page = browser_page
    consent = 'Rendezvous.push(["consent", {attribution: true}]);'
    open_host(page, host_site, live_server, widget.slug, "?utm_source=a", consent)
    wait_for_cookie(page)
    first = _cookie(browser_context)
    days = (first["e"] - page.evaluate("Date.now()")) / 86_400_000
    assert 29.9 < days <= 30
    db.session.rollback()  # end the read snapshot before writing next to the live server
    settings = db.session.scalar(select(EmbedSettings))
    settings.cookie_days = 2
    db.session.commit()
    open_host(page, host_site, live_server, widget.slug, "?utm_source=b", consent)
    page.wait_for_function("document.cookie.indexOf('%22b%22') >= 0")
    second = _cookie(browser_context)
    assert second["v"] == first["v"]
    assert (second["e"] - page.evaluate("Date.now()")) / 86_400_000 <= 2
    [cookie] = browser_context.cookies()
    assert cookie["expires"] <= second["e"] / 1000 + 1
    db.session.rollback()
    settings = db.session.scalar(select(EmbedSettings))
    settings.cookie_days = 30  # longer again: the cookie keeps its earlier, shorter expiry
    db.session.commit()
    open_host(page, host_site, live_server, widget.slug, "?utm_source=c", consent)
    page.wait_for_function("document.cookie.indexOf('%22c%22') >= 0")
    assert _cookie(browser_context)["e"] == second["e"]


def test_ads_consent_through_the_api_keeps_the_click_id_with_the_booking(
    browser_page, browser_context, widget, host_site, live_server
):
    page = browser_page
    open_host(page, host_site, live_server, widget.slug, "?utm_source=ads&gclid=abc123&msclkid=m1")
    page.evaluate("Rendezvous.consent({attribution: true, ads: true, notice: 'Ads too.'})")
    page.wait_for_function("document.cookie.indexOf('abc123') >= 0")
    cookie = _cookie(browser_context)
    assert cookie["l"]["gclid"] == "abc123" and cookie["l"]["msclkid"] == "m1"
    page.wait_for_function("document.cookie.indexOf('%22c%22') >= 0")  # the consent id
    book_in_frame(page)
    row = attribution_of_last_booking()
    assert row.last_touch["gclid"] == "abc123" and row.last_touch["msclkid"] == "m1"
    assert row.consent_record.purposes == ["attribution", "ads"]
    # Withdrawing ads only: a new granted record without ads, and the ids leave the cookie.
    page.evaluate("Rendezvous.consent({attribution: true, ads: false})")
    page.wait_for_function("document.cookie.indexOf('abc123') < 0")
    page.wait_for_timeout(300)
    db.session.rollback()
    records = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.decision, r.purposes) for r in records] == [
        ("granted", ["attribution", "ads"]),
        ("granted", ["attribution"]),
    ]


def test_consent_mode_ad_user_data_maps_to_the_ads_purpose(
    browser_page, browser_context, widget, host_site, live_server
):
    page = browser_page
    open_host(
        page,
        host_site,
        live_server,
        widget.slug,
        "?utm_source=gcm&gclid=g9",
        "window.dataLayer = window.dataLayer || [];",
    )
    page.evaluate(
        "(function(){ function gtag(){ dataLayer.push(arguments); }"
        " gtag('consent', 'update', {analytics_storage: 'granted', ad_user_data: 'denied'}); })()"
    )
    wait_for_cookie(page)
    assert "gclid" not in _cookie(browser_context)["l"]
    page.evaluate(
        "(function(){ function gtag(){ dataLayer.push(arguments); }"
        " gtag('consent', 'update', {ad_user_data: 'granted'}); })()"
    )
    page.wait_for_function("document.cookie.indexOf('g9') >= 0")
    page.wait_for_timeout(300)
    db.session.rollback()
    records = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.source, r.purposes) for r in records] == [
        ("consent_mode", ["attribution"]),
        ("consent_mode", ["attribution", "ads"]),
    ]


def test_tcf_google_vendor_consent_maps_to_the_ads_purpose(
    browser_page, browser_context, widget, host_site, live_server
):
    stub = TCF_STUB.replace(
        "purpose: {consents: {1: true, 7: true}}",
        "purpose: {consents: {1: true, 7: true}}, vendor: {consents: {755: true}}",
    )
    open_host(browser_page, host_site, live_server, widget.slug, "?gclid=t1", stub)
    browser_page.wait_for_function("document.cookie.indexOf('t1') >= 0")
    browser_page.wait_for_timeout(300)
    db.session.rollback()
    assert db.session.scalar(select(ConsentRecord)).purposes == ["attribution", "ads"]


def test_a_view_before_consent_is_credited_to_the_campaign_after_consent(
    browser_page, browser_context, widget, host_site, live_server
):
    from scheduling.models import WidgetView

    page = browser_page
    open_host(page, host_site, live_server, widget.slug, "?utm_source=late&utm_campaign=c1")
    db.session.rollback()
    views = db.session.scalars(select(WidgetView)).all()
    assert [v.last_touch for v in views] == [None]
    page.evaluate("Rendezvous.consent({attribution: true})")
    for _ in range(50):
        page.wait_for_timeout(100)
        db.session.rollback()
        view = db.session.scalar(select(WidgetView))
        if view.last_touch:
            break
    assert view.last_touch["utm_campaign"] == "c1"
    assert len(db.session.scalars(select(WidgetView)).all()) == 1
