"""The privacy self-audit's browser side: Debian's Chromium, driven by Playwright.

Each phase runs in a fresh browser profile (no cookies, no storage) that allows third-party
cookies and storage, so a third-party frame's attempts are kept and seen. An init script in every
frame reports each read of `document.cookie` and `Storage.getItem` and each write through the
cookie setter and `Storage.setItem`; after every step the context's cookies (HTTP and script
set, any domain) and every frame's localStorage, sessionStorage and IndexedDB names are taken.
Only the command imports this module, and only when it runs: web workers never load Playwright.
"""

import contextlib
import json
import secrets
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from scheduling.security.privacy_audit import Access, Phase, StoredItem

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking"]
NOTICE = "rendezvous privacy-audit"

# Installed before any page script, in every frame: report reads and writes to the binding.
WATCH = r"""
(function () {
  function report(kind, detail) {
    try { if (window.__rvPrivacyAudit) window.__rvPrivacyAudit(kind, String(detail)); } catch (e) {}
  }
  try {
    var c = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true, enumerable: c.enumerable,
      get: function () { report("cookie-read", ""); return c.get.call(this); },
      set: function (v) { report("cookie-write", v); c.set.call(this, v); }
    });
  } catch (e) {}
  try {
    var get = Storage.prototype.getItem, set = Storage.prototype.setItem;
    var which = function (s) {
      try { return s === window.localStorage ? "localStorage" : "sessionStorage"; }
      catch (e) { return "storage"; }
    };
    Storage.prototype.getItem = function (k) {
      report("storage-read", which(this) + ".getItem(" + JSON.stringify(String(k)) + ")");
      return get.apply(this, arguments);
    };
    Storage.prototype.setItem = function (k) {
      report("storage-write", which(this) + ":" + String(k));
      return set.apply(this, arguments);
    };
  } catch (e) {}
  document.addEventListener("rendezvous:booked", function () { report("booked", ""); }, true);
})();
"""

STORAGE = """async () => {
  var out = {origin: location.origin, local: [], session: [], idb: []};
  try { out.local = Object.keys(localStorage); } catch (e) {}
  try { out.session = Object.keys(sessionStorage); } catch (e) {}
  try {
    var dbs = indexedDB.databases ? await indexedDB.databases() : [];
    out.idb = dbs.map(function (d) { return d.name; });
  } catch (e) {}
  return out;
}"""

STATE = r"""() => {
  var h1 = document.querySelector("h1");
  return {
    booked: /^\/booking\/[^\/]+\/[^\/]+$/.test(location.pathname)
      && !!document.querySelector("dl.details"),
    questions: !!document.querySelector("form.questions"),
    slot: !!document.querySelector("button.slot"),
    day: !!document.querySelector("button.day.available"),
    next: document.querySelectorAll("button[name=month]").length > 0,
    details: !!document.querySelector("form input[name=email]")
      && !document.querySelector("form.questions"),
    title: h1 ? h1.textContent.trim() : document.title
  };
}"""

# Required questions only; a choice takes its last option (the demo's disqualifying budget
# is the first). Returns what it answered.
ANSWER = r"""([name, email]) => {
  var answered = [];
  function shown(el) { return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length); }
  document.querySelectorAll("form.questions .question").forEach(function (box) {
    if (!box.querySelector(".req") || !shown(box)) return;
    var choices = box.querySelectorAll("input[type=radio], input[type=checkbox]");
    var el = box.querySelector(
      "input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea");
    if (choices.length) { el = choices[choices.length - 1]; el.checked = true; }
    else if (!el || el.value) return;
    else if (el.tagName === "SELECT") {
      var o = [].filter.call(el.options, function (x) { return x.value; })[0];
      if (o) el.value = o.value;
    } else if (el.type === "email") el.value = email;
    else if (el.type === "number") el.value = el.min || "1";
    else if (el.type === "tel") el.value = "+493012345678";
    else el.value = el.tagName === "TEXTAREA" ? "Privacy self-audit" : name;
    el.dispatchEvent(new Event("change", {bubbles: true}));
    answered.push(el.name + "=" + el.value);
  });
  return answered;
}"""


def _tagged(email: str, phase: str) -> str:
    """A fresh address per phase and run (plus-tag): every phase is a new visitor, and no
    lead of an earlier run or phase is reused."""
    local, _, domain = email.partition("@")
    return f"{local}+{phase.replace('_', '-')}-{secrets.token_hex(3)}@{domain}"


class AuditError(Exception):
    """The audit could not run (no browser, page unreachable): one line for the operator."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class Session:
    """One phase: a fresh context, its observations and the walk through the widget."""

    def __init__(self, context, phase: Phase):
        self.phase = phase
        self.booked_event = False
        self.context = context
        self.context.expose_binding("__rvPrivacyAudit", self._report)
        self.context.add_init_script(WATCH)
        self.context.on("request", lambda request: phase.urls.append(request.url))
        self.page = context.new_page()  # after the binding and script are in place
        self.page.on("websocket", lambda socket: phase.urls.append(socket.url))

    def _report(self, source, kind, detail):
        if kind == "booked":
            self.booked_event = True
            return
        origin = _origin(source["frame"].url)
        self.phase.accesses.append(Access(kind, origin, detail, time.time()))

    def open(self, url: str) -> None:
        try:
            response = self.page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            raise AuditError(f"Cannot open {url}: {_short(exc)}") from None
        if response is not None and response.status >= 400:
            raise AuditError(f"Cannot open {url}: the server answered {response.status}.")
        self.settle()
        self.phase.steps.append("loaded the page")

    def settle(self) -> None:
        # A page that keeps a connection busy never idles: take what is there after 5 s.
        with contextlib.suppress(PlaywrightError):
            self.page.wait_for_load_state("networkidle", timeout=5000)
        self.snapshot()

    def snapshot(self) -> None:
        now = time.time()
        for cookie in self.context.cookies():
            expires = cookie.get("expires", -1)
            self.phase.items.append(
                StoredItem(
                    cookie["name"],
                    "cookie",
                    cookie["domain"].lstrip("."),
                    None if expires is None or expires < 0 else float(expires),
                    now,
                )
            )
        for frame in self.page.frames:
            try:
                found = frame.evaluate(STORAGE)
            except PlaywrightError:
                continue  # detached or navigating meanwhile
            host = urlsplit(found["origin"]).hostname
            if not host:
                continue
            for kind, names in (
                ("localStorage", found["local"]),
                ("sessionStorage", found["session"]),
                ("IndexedDB", found["idb"]),
            ):
                self.phase.items += [StoredItem(n, kind, host, None, now) for n in names]

    def decide(self, yes: bool, selector: str | None) -> None:
        word = "accepted" if yes else "refused"
        if selector:
            try:
                self.page.locator(selector).first.click()
            except PlaywrightError as exc:
                raise AuditError(f"Cannot click {selector!r}: {_short(exc)}") from None
            self.phase.consent = f"{word} with the page's own button {selector!r}"
        elif self.page.evaluate("!!(window.Rendezvous && window.Rendezvous.consent)"):
            self.page.evaluate(
                "([yes, notice]) => window.Rendezvous.consent({attribution: yes, notice: notice})",
                [yes, NOTICE],
            )
            self.phase.consent = (
                f"{word} through Rendezvous.consent({{attribution: {str(yes).lower()}}})"
            )
        else:
            self.phase.consent = (
                "no widget on this page (nothing to tell); the booking page asks itself"
            )
            return
        self.page.wait_for_timeout(500)
        self.settle()

    def widget(self):
        frames = [f for f in self.page.frames if urlsplit(f.url).path.startswith("/book/")]
        children = [f for f in frames if f is not self.page.main_frame]
        return (children or frames or [None])[0]

    def walk(self, book: bool, invitee: tuple[str, str]) -> str:
        """Through the widget up to a picked time, or (book) to a booked meeting.
        Returns "booked", "time picked" or why it stopped."""
        frame = self.widget()
        if frame is None:
            return "no Rendezvous widget or booking page found on the page"
        for _ in range(16):
            try:
                # The calendar swaps in the visitor's time zone by fetch after loading: a click
                # before that lands on buttons about to be replaced.
                with contextlib.suppress(PlaywrightError):
                    frame.wait_for_load_state("networkidle", timeout=5000)
                state = frame.evaluate(STATE)
                if state["booked"]:
                    self.phase.steps.append("booked")
                    return "booked"
                if state["details"] and not book:
                    self.phase.steps.append("reached the details form (not sent)")
                    return "time picked"
                if state["questions"]:
                    answers = frame.evaluate(ANSWER, list(invitee))
                    self._submit(frame, "form.questions button[type=submit]")
                    self.phase.steps.append("answered " + (", ".join(answers) or "no question"))
                elif state["slot"]:
                    self._submit(frame, "button.slot")
                    self.phase.steps.append("picked a time")
                elif state["day"]:
                    self._submit(frame, "button.day.available")
                    self.phase.steps.append("picked a day")
                elif state["next"]:
                    self._submit(frame, "button[name=month] >> nth=-1")
                    self.phase.steps.append("went to the next month")
                elif state["details"]:
                    for field, value in zip(("#name", "#email"), invitee, strict=True):
                        if not frame.locator(field).input_value():
                            frame.locator(field).fill(value)
                    self._submit(frame, "form:has(input[name=email]) button[type=submit]")
                    self.phase.steps.append(f"sent the details of {invitee[1]}")
                else:
                    return f"stopped at a page titled {state['title']!r}"
            except PlaywrightError as exc:
                return f"the widget did not answer: {_short(exc)}"
            self.snapshot()
        return "no booked meeting after 16 steps"

    def explore(self, invitee: tuple[str, str]) -> None:
        """Use the widget up to a picked time, without sending any details."""
        reached = self.walk(book=False, invitee=invitee)
        if reached != "time picked":
            self.phase.steps.append(f"stopped: {reached}")

    def _submit(self, frame, selector: str) -> None:
        try:
            with frame.expect_navigation():
                frame.locator(selector).first.click()
        except PlaywrightError as exc:
            # A navigation the page itself replaced (e.g. a second submit): the next state
            # check sees where the frame ended up; anything else is a real failure.
            if "ERR_ABORTED" not in str(exc):
                raise
            self.phase.steps.append("(a navigation was aborted; checking again)")
            frame.wait_for_load_state()

    def wait_for_booked_event(self) -> bool:
        for _ in range(20):
            if self.booked_event:
                return True
            self.page.wait_for_timeout(100)
        return False

    def close(self) -> None:
        with contextlib.suppress(PlaywrightError):
            self.settle()
        self.context.close()


def _context(playwright, chromium: str, profile: Path, timeout_ms: int):
    """A fresh profile that ALLOWS third-party cookies and storage (an off-the-record context
    blocks them): whatever the widget's frame, or any other, tries to keep is kept and seen."""
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}})
    )
    try:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=ARGS
        )
    except PlaywrightError as exc:
        raise AuditError(f"Cannot start {chromium}: {_short(exc)}") from None
    context.set_default_timeout(timeout_ms)
    return context


def _phase(session: "Session", url: str, accept, refuse, invitee) -> None:
    phase = session.phase
    session.open(url)
    if phase.name == "before_consent":
        phase.consent = "none given"
        session.explore(invitee)
    elif phase.name == "after_refusal":
        session.decide(False, refuse)
        session.explore(invitee)
    else:
        session.decide(True, accept)
        phase.booking = session.walk(book=True, invitee=invitee)
        if phase.booking == "booked" and session.widget() is not session.page.main_frame:
            if session.wait_for_booked_event():
                phase.steps.append("the page received the widget's booked event")
            else:
                phase.steps.append("the page received no booked event")


def run_audit(
    url: str,
    *,
    chromium: str,
    accept: str | None,
    refuse: str | None,
    invitee: tuple[str, str],
    timeout_ms: int = 15000,
) -> list[Phase]:
    """The three phases, each in a new profile; raises AuditError when it cannot run at all."""
    if not Path(chromium).exists():
        raise AuditError(
            f"{chromium} is not installed (apt-get install chromium, or --chromium PATH)."
        )
    name, email = invitee
    phases = []
    with sync_playwright() as playwright:
        for phase_name in ("before_consent", "after_refusal", "after_consent"):
            phase = Phase(phase_name)
            with tempfile.TemporaryDirectory(prefix="rv-privacy-audit-") as profile:
                context = _context(playwright, chromium, Path(profile), timeout_ms)
                session = Session(context, phase)
                try:
                    _phase(session, url, accept, refuse, (name, _tagged(email, phase_name)))
                finally:
                    session.close()
            phases.append(phase)
    return phases
