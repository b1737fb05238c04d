"""WCAG 2.2 AA in Chromium: axe-core on every step of the flow, inline and in the popup, in
English and German; the whole flow with the keyboard alone; a 320 px wide screen.

axe-core comes from npm (tests/js/package.json, pinned) and is injected with Playwright. Besides
the WCAG 2.0-2.2 A/AA tags, the "label in name" rule (WCAG 2.5.3; axe marks it experimental) runs.
"""

import json
import os
import re
from pathlib import Path

import pytest

from scheduling.extensions import db
from scheduling.models import EmbedSettings, Question, RoutingForm, RoutingRule
from tests.conftest import FROZEN_NOW

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """(context) => axe.run(context || document, {
  runOnly: {type: "tag", values: TAGS},
  rules: {"label-content-name-mismatch": {enabled: true}},
  resultTypes: ["violations"]
}).then((result) => result.violations.map((v) => v.id + " (" + v.impact + "): " + v.help + " at " +
  v.nodes.map((n) => n.target.join(" ")).join(", ")))""".replace("TAGS", json.dumps(TAGS))

LOCALES = ["en", "de", "fr"]


def report(mode: str, locale: str, found: dict[str, list[str]]) -> None:
    """With RENDEZVOUS_AXE_REPORT=path, append what axe found per step (JSON lines): the
    evidence a release note quotes, written by the same walk that asserts it."""
    path = os.environ.get("RENDEZVOUS_AXE_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for step, lines in found.items():
                row = {"mode": mode, "locale": locale, "step": step, "violations": lines}
                out.write(json.dumps(row) + "\n")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} is missing (npm ci --prefix tests/js)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def violations(frame, axe_source, context=None) -> list[str]:
    """Run axe-core in `frame` (a Page or Frame) and return one line per violated rule.

    The app's pages forbid inline scripts (CSP), so a script tag with axe in it would not run;
    Playwright evaluates the same source through the DevTools protocol instead, which the page's
    CSP does not govern (and which changes nothing else about the page).
    """
    frame.wait_for_load_state()
    if not frame.evaluate("typeof window.axe === 'object'"):
        frame.evaluate(axe_source + "\n;0")
    return frame.evaluate(RUN_AXE, context)


@pytest.fixture
def flow(app, frozen_now, make_event_type, host_site, live_server):
    """An event type that asks two questions first: a small budget is not a fit."""
    event_type = make_event_type(title="Intro call", description="A first talk about your plans.")
    form = RoutingForm(
        organisation_id=event_type.organisation_id,
        name="Discovery",
        fallback_kind="default",
        created_at=FROZEN_NOW,
    )
    form.questions = [
        Question(
            key="full_name",
            label="Your name",
            kind="short_text",
            required=True,
            purpose="To greet you",
            position=0,
        ),
        Question(
            key="budget",
            label="Budget",
            kind="single_choice",
            required=True,
            position=1,
            help_text="Roughly, for the first year.",
            choices=[
                {"value": "small", "label": "Under 5k", "points": 0},
                {"value": "medium", "label": "5k to 20k", "points": 10},
            ],
        ),
    ]
    form.rules = [
        RoutingRule(
            name="Too small",
            position=0,
            action_kind="disqualify",
            conditions=[{"field": "budget", "operator": "equals", "value": "small"}],
            message="Our programme starts at 5k.",
            redirect_url=f"{live_server.url}/",
            redirect_seconds=5,
        )
    ]
    db.session.add(form)
    db.session.flush()
    event_type.routing_form = form
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


def host_page(app_url: str, slug: str, locale: str) -> str:
    return f"""<!doctype html><html lang="{locale}"><head><meta charset="utf-8">
<title>Landing</title><script src="{app_url}/static/embed.js" defer></script></head>
<body><main><h1>Our offer</h1>
<button type="button" id="open" data-rendezvous-popup="{slug}" data-locale="{locale}">
Book a call</button>
</main></body></html>"""


def navigate(frame, action):
    """Do `action` (a click or a key press) and wait until the frame shows the next page."""
    with frame.expect_navigation():
        action()
    frame.wait_for_load_state()


def answer_questions(frame, budget: str):
    frame.locator("#q_full_name").fill("Vera Visitor")
    frame.locator(f"input[name=q_budget][value={budget}]").check()
    navigate(frame, lambda: frame.locator("form.questions button[type=submit]").click())


def focused_heading(frame) -> tuple[str, str]:
    return tuple(frame.evaluate("[document.activeElement.localName, document.activeElement.id]"))


def walk_the_flow(frame, axe_source, start) -> dict[str, list[str]]:
    """Go through every step in `frame`, from `start()` (which opens the questions); axe each."""
    found: dict[str, list[str]] = {}

    def check(step: str):
        found[step] = violations(frame, axe_source)

    start()
    check("questions")
    navigate(frame, lambda: frame.locator("form.questions button[type=submit]").click())
    assert frame.locator("[aria-invalid=true]").count()  # the failed submit shows its errors
    check("questions, errors")
    answer_questions(frame, "medium")
    # Each new step starts with the focus on its heading.
    assert focused_heading(frame) == ("h1", "")
    check("event page")
    navigate(frame, lambda: frame.locator(".month-nav button").last.click())
    assert focused_heading(frame) == ("h2", "month-heading")
    check("month")
    navigate(frame, lambda: frame.locator("button.day.available").first.click())
    assert focused_heading(frame) == ("h2", "day-heading")
    check("day")
    navigate(frame, lambda: frame.locator("button.slot").first.click())
    assert focused_heading(frame) == ("h1", "")
    check("form")
    frame.locator("#name").fill("")
    navigate(frame, lambda: frame.locator("main form button[type=submit]").click())
    assert frame.locator("#name[aria-invalid=true]").count()
    check("form, errors")
    frame.locator("#name").fill("Vera Visitor")
    frame.locator("#email").fill("vera@example.com")
    navigate(frame, lambda: frame.locator("main form button[type=submit]").click())
    check("confirmation")
    booking_page = frame.url
    navigate(frame, lambda: frame.locator(".actions a").nth(1).click())
    check("reschedule")
    navigate(frame, lambda: frame.goto(booking_page))
    navigate(frame, lambda: frame.locator(".actions a").nth(2).click())
    check("cancel")
    start()
    answer_questions(frame, "small")
    check("not a fit")
    return found


def with_lang(url: str, locale: str) -> str:
    return url + ("&" if "?" in url else "?") + f"lang={locale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_axe_finds_nothing_on_any_step_of_the_pages(
    browser_page, live_server, flow, axe_source, locale
):
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.set_extra_http_headers({"Accept-Language": locale})
    url = with_lang(f"{live_server.url}/book/{flow.slug}?tz=Europe/Berlin", locale)
    found = walk_the_flow(page, axe_source, lambda: navigate(page, lambda: page.goto(url)))
    # No CSP violation or script error on the way (the two failed submits answer 400 on purpose).
    assert [e for e in errors if "status of 400" not in e] == []
    assert len(errors) == 2
    report("page", locale, found)
    assert len(found) == 11
    assert found == {step: [] for step in found}


@pytest.mark.parametrize("locale", LOCALES)
def test_axe_finds_nothing_on_any_step_of_the_popup(
    browser_page, live_server, host_site, flow, axe_source, locale
):
    page = browser_page
    page.set_extra_http_headers({"Accept-Language": locale})
    host_site.pages["/popup"] = host_page(live_server.url, flow.slug, locale)
    page.goto(f"{host_site.origin}/popup")
    state = {}

    def open_popup():
        if page.locator("dialog[open]").count():
            page.locator("dialog[open] > button").first.click()
            page.locator("dialog[open]").wait_for(state="detached")
        page.locator("#open").click()
        page.locator("dialog[open] iframe").wait_for()
        state["frame"] = page.locator("dialog[open] iframe").element_handle().content_frame()
        state["frame"].locator("form.questions").wait_for()
        # The frame reports its height once loaded and the centred dialog moves: a click before
        # that can land beside the control (CI: "Clicking the checkbox did not change its state").
        page.wait_for_function(
            "() => { const f = document.querySelector('dialog[open] iframe');"
            " return f && f.style.height !== '600px'; }"
        )

    open_popup()
    close = page.locator("dialog[open] > button").first.get_attribute("aria-label")
    assert close == {"en": "Close", "de": "Schließen", "fr": "Fermer"}[locale]  # WCAG 3.1.2
    # The dialog embed.js adds to the customer's page: named, with a named close button.
    dialog = violations(page, axe_source, {"include": [["dialog"]]})
    frame = state["frame"]

    class FollowFrame:
        """The popup's frame: the same frame throughout, except when the popup opens again."""

        def __getattr__(self, name):
            return getattr(state["frame"], name)

    found = walk_the_flow(FollowFrame(), axe_source, open_popup)
    assert frame.url.startswith(live_server.url)
    report("popup", locale, {"dialog": dialog, **found})
    assert len(found) == 11
    assert {"dialog": dialog, **found} == {"dialog": [], **{step: [] for step in found}}


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; return {tag: e.tagName.toLowerCase(),
        id: e.id, cls: e.className, text: e.textContent.trim(), type: e.type || "",
        invalid: e.getAttribute("aria-invalid")}; }"""
    )


def tab_to(page, matches, limit=60) -> dict:
    """Press Tab until the focused element satisfies `matches`; fail after `limit` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the element; last focus {now}")


def press_and_wait(page, key):
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def test_the_whole_flow_with_the_keyboard_alone(browser_page, live_server, flow):
    page = browser_page
    page.goto(f"{live_server.url}/book/{flow.slug}?tz=Europe/Berlin")
    # Questions: type, then choose with the arrow keys and Space, send with Enter.
    tab_to(page, lambda e: e["id"] == "q_full_name")
    page.keyboard.type("Vera Visitor")
    tab_to(page, lambda e: e["type"] == "radio")
    page.keyboard.press("ArrowDown")  # moves to and checks "5k to 20k"
    page.keyboard.press("Space")
    assert page.locator("input[name=q_budget][value=medium]").is_checked()
    tab_to(page, lambda e: e["tag"] == "button" and e["type"] == "submit")
    press_and_wait(page, "Enter")
    # The calendar: a day button named by its visible number first.
    day = tab_to(page, lambda e: "day" in e["cls"] and "available" in e["cls"])
    assert re.match(r"\d+, ", day["text"])  # the name starts with the visible number
    press_and_wait(page, "Space")
    # The focus is on the new step's heading; the next Tab reaches the first time.
    assert focused(page)["id"] == "day-heading"
    page.keyboard.press("Tab")
    slot = focused(page)
    # Chromium asks for en-US: an American reads the 12-hour clock.
    assert "slot" in slot["cls"] and re.fullmatch(r"\d{1,2}:\d\d[\s\u202f](AM|PM)", slot["text"])
    press_and_wait(page, "Enter")
    assert focused(page)["tag"] == "h1"
    # A failed submit moves the focus to the first invalid field and announces the error.
    tab_to(page, lambda e: e["tag"] == "button" and e["type"] == "submit")
    press_and_wait(page, "Enter")
    now = focused(page)
    # (The name came from the questions; the email is missing.)
    assert (now["id"], now["invalid"]) == ("email", "true")
    assert page.locator("[role=alert]").count() == 1
    assert page.locator("#email").get_attribute("aria-describedby") == "email-error"
    assert page.locator("#email-error").inner_text()
    page.keyboard.type("vera@example.com")
    tab_to(page, lambda e: e["tag"] == "button" and e["type"] == "submit")
    press_and_wait(page, "Enter")
    now = focused(page)
    assert now["tag"] == "h1" and now["text"] == "You are booked"
    assert "/booking/" in page.url


def overflowing_or_small(page) -> dict:
    """What a 320 px wide screen gets wrong: horizontal scrolling, targets under 24x24 px, and
    scroll boxes nested in the page."""
    return page.evaluate(
        """() => {
      const small = [];
      const targets = document.querySelectorAll(
        "button, input:not([type=hidden]), select, textarea, a.button, .day.available, .slot");
      for (const el of targets) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;  // not rendered
        if (box.width < 24 || box.height < 24)
          small.push(el.outerHTML.slice(0, 80) + " " + box.width + "x" + box.height);
      }
      const nested = [];
      for (const el of document.querySelectorAll("main *")) {
        const style = getComputedStyle(el);
        if (/(auto|scroll)/.test(style.overflowY + style.overflowX) &&
            (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1))
          nested.push(el.outerHTML.slice(0, 80));
      }
      return {width: document.documentElement.scrollWidth, small: small, nested: nested};
    }"""
    )


def test_320_pixels_wide_no_horizontal_scrolling_and_big_targets(browser_page, live_server, flow):
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        page.goto(f"{live_server.url}/book/{flow.slug}?tz=Europe/Berlin")
        seen = {"questions": overflowing_or_small(page)}
        answer_questions(page, "medium")
        navigate(page, lambda: page.locator("button.day.available").first.click())
        assert page.locator("button.slot").count() >= 10
        seen["day"] = overflowing_or_small(page)
        navigate(page, lambda: page.locator("button.slot").first.click())
        seen["form"] = overflowing_or_small(page)
        page.locator("#name").fill("Vera Visitor")
        page.locator("#email").fill("vera@example.com")
        navigate(page, lambda: page.locator("main form button[type=submit]").click())
        seen["confirmation"] = overflowing_or_small(page)
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})
    assert seen == {step: {"width": 320, "small": [], "nested": []} for step in seen}


def test_reduced_motion_is_respected(browser_page, live_server, flow):
    page = browser_page
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{live_server.url}/book/{flow.slug}?tz=Europe/Berlin")
    durations = page.evaluate(
        """() => { const s = getComputedStyle(document.querySelector("button"));
        return [s.transitionDuration, s.animationDuration]; }"""
    )
    assert durations == ["1e-05s", "1e-05s"]


def test_the_redirect_after_not_a_fit_can_be_stopped(browser_page, live_server, flow):
    page = browser_page
    page.goto(f"{live_server.url}/book/{flow.slug}?tz=Europe/Berlin")
    answer_questions(page, "small")
    stay = page.get_by_role("button", name="Stay on this page")
    countdown = page.locator(".countdown")
    assert countdown.is_visible() and "5 seconds" in countdown.inner_text()
    page.keyboard.press("Tab")  # from the focused heading, past the message, to the link
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # on "Stay on this page"
    assert stay.is_hidden() and countdown.is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Continue now"
    assert "/not-a-fit/" in page.url
