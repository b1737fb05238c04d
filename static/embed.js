/* Rendezvous widget; see docs/embedding.md */
(function (w, d) {
  "use strict";
  var V = 1, DAY = 864e5, NAME = "rv_attr";
  var APP = new URL(d.currentScript.src).origin;
  var IDS = ["gclid", "wbraid", "gbraid", "fbclid", "msclkid"], KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].concat(IDS);
  var EVENTS = /^(qualified|disqualified|slot_selected|booking_submitted|booked)$/;
  var frames = [], handlers = {}, logs = [], consent = null, ads = false, bare = {}, cm = {}, data = null, days = 0, meta, dialog, opener, end, loc;

  function emit(name, detail, target) {
    (handlers[name] || []).forEach(function (fn) { try { fn(detail); } catch (e) {} });
    (target || d).dispatchEvent(new CustomEvent("rendezvous:" + name, {detail: detail, bubbles: true}));
  }
  function send(f, m) { m.rv = V; f.el.contentWindow.postMessage(m, APP); }

  function read() {
    var m = d.cookie.match(/(^|; )rv_attr=([^;]*)/);
    try { return m && JSON.parse(decodeURIComponent(m[2])); } catch (e) { return null; }
  }
  function save() {
    if (!consent || !data || !data.c || !days) return;
    data.e = Math.min(data.e || 1e15, Date.now() + days * DAY);
    d.cookie = NAME + "=" + encodeURIComponent(JSON.stringify(data)) + "; expires=" +
      new Date(data.e).toUTCString() + "; path=/; SameSite=Lax" + (location.protocol == "https:" ? "; Secure" : "");
  }
  function visit() {
    var p = new URLSearchParams(location.search), t = {at: Date.now(), path: location.pathname}, r;
    KEYS.forEach(function (k) { if (p.get(k) && (ads || IDS.indexOf(k) < 0)) t[k] = p.get(k).slice(0, 200); });
    try { r = new URL(d.referrer).hostname; } catch (e) {}
    if (r && r != location.hostname) t.referrer = r;
    return t;
  }
  function grant() {
    var t = visit(), a = new Uint8Array(16);
    data = read();
    if (!data || !data.v) {
      crypto.getRandomValues(a);
      data = {v: Array.from(a, function (b) { return (b + 256).toString(16).slice(1); }).join(""), ab: {}};
    }
    data.f = data.f || t;
    if (!data.l || t.referrer || KEYS.some(function (k) { return t[k]; })) data.l = t;
    if (!ads) IDS.forEach(function (k) { delete data.f[k]; delete data.l[k]; });
    // The consent id names a record with or without ads: another choice needs a new record.
    if (data.a !== ads) { data.c = 0; data.a = ads; }
  }
  // Views counted before consent: credited to this visit's campaign once consent is logged.
  function credit() {
    frames.forEach(function (f) {
      var n = bare[f.slug];
      if (f.ready && n && consent && data && data.c) { send(f, {type: "credit", consent: data.c, first: data.f, last: data.l, views: n}); delete bare[f.slug]; }
    });
  }

  function init(f) {
    if (f.ready) send(f, {type: "init", consent: consent, attribution: consent && data && data.c ?
      {visitor: data.v, consent: data.c, first: data.f, last: data.l} : null});
  }
  function flush() {
    var f = frames.filter(function (x) { return x.ready; })[0];
    while (f && logs.length) send(f, logs.shift());
  }
  function setConsent(o, source) {
    var yes = !!(o && o.attribution), ad = yes && !!o.ads, was = consent;
    if (yes === was && ad === ads) return;
    consent = yes;
    meta = {type: "consent", source: source, notice: (o && o.notice) || "rendezvous:" + source,
      language: (o && o.language) || d.documentElement.lang || "und", purposes: ad || !yes ? ["attribution", "ads"] : ["attribution"]};
    ads = ad;
    var c = was && data && data.c;
    if (yes) grant();
    else { data = null; d.cookie = NAME + "=; Max-Age=0; path=/; SameSite=Lax"; }
    if (!yes || !data.c) { meta.decision = yes ? "granted" : c ? "withdrawn" : "refused"; meta.ends = c; logs.push(meta); }
    save(); flush(); frames.forEach(init); credit();
    emit("consent_changed", {attribution: yes, ads: ad, source: source});
  }

  // The close button's label in the widget's language.
  var CLOSE = {de: "Schließen", fr: "Fermer", es: "Cerrar", it: "Chiudi", nl: "Sluiten", pl: "Zamknij"};
  function frame(box, slug, popup) {
    var el = d.createElement("iframe"), q = "?embed=1&entry=1", a = consent && data && data.ab[slug];
    if (a && Date.now() - a[1] < 30 * DAY) q += "&ab=" + a[0];
    var t = consent && data ? "&ft=" + encodeURIComponent(JSON.stringify(data.f)) + "&lt=" + encodeURIComponent(JSON.stringify(data.l)) : "";
    if (t && t.length < 3e3) q += t; else bare[slug] = (bare[slug] || 0) + 1;
    if (t = box.getAttribute("data-locale") || loc) q += "&lang=" + encodeURIComponent(t);
    el.src = APP + "/book/" + encodeURIComponent(slug) + q;
    el.title = box.getAttribute("data-rendezvous-title") || "Booking";
    el.referrerPolicy = "no-referrer";
    el.style.cssText = "display:block;width:100%;height:600px;border:0";
    var f = {el: el, box: box, slug: slug, seen: {}, popup: popup};
    frames.push(f);
    return el;
  }
  function guard(to) {
    var s = d.createElement("span");
    s.tabIndex = 0;
    s.onfocus = function () { to().focus(); };
    return dialog.appendChild(s);
  }
  function popup(btn) {
    opener = btn;
    if (!dialog) {
      dialog = d.createElement("dialog");
      dialog.style.cssText = "width:min(760px,94vw);padding:0;border:0;border-radius:8px";
      guard(function () { return dialog.querySelector("iframe"); });
      var x = dialog.appendChild(d.createElement("button"));
      x.type = "button"; x.textContent = "\u00d7"; x.setAttribute("aria-label", CLOSE[(btn.getAttribute("data-locale") || loc || d.documentElement.lang || "").slice(0, 2)] || "Close");
      x.style.cssText = "float:inline-end;font-size:1.5rem;margin:4px;min-width:44px;min-height:44px";
      x.onclick = function () { dialog.close(); };
      end = guard(function () { return x; });
      dialog.addEventListener("close", function () {
        frames = frames.filter(function (f) { if (f.popup) f.el.remove(); return !f.popup; });
        opener.focus();
      });
      d.body.appendChild(dialog);
    }
    dialog.setAttribute("aria-label", btn.getAttribute("data-rendezvous-title") || btn.textContent);
    dialog.insertBefore(frame(btn, btn.getAttribute("data-rendezvous-popup"), 1), end);
    dialog.showModal();
  }

  w.addEventListener("message", function (e) {
    var m = e.data, f = frames.filter(function (x) { return x.el.contentWindow === e.source; })[0];
    if (e.origin !== APP || !f || !m || m.rv !== V) return;
    if (m.type == "hello") {
      days = Math.min(+m.days || 0, 395);
      if (!f.ready) { f.ready = 1; emit("ready", {slug: f.slug}, f.box); }
      if (consent && data && m.ab && !(data.ab[f.slug] && data.ab[f.slug][0] == m.ab)) data.ab[f.slug] = [m.ab, Date.now()];
      save(); init(f); flush(); credit();
    } else if (m.type == "resize") f.el.style.height = Math.min(m.height, 1e4) + "px";
    else if (m.type == "event" && EVENTS.test(m.name) && !f.seen[m.key]) {
      f.seen[m.key] = 1; emit(m.name, m.detail, f.box);
    } else if (m.type == "consent_logged" && consent && data && m.decision == "granted") {
      data.c = m.consent; save(); frames.forEach(init); credit();
    } else if (m.type == "choice") setConsent(m, "prompt");
    else if (m.type == "escape" && f.popup) dialog.close();
  });

  var api = {
    on: function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    consent: function (o) { setConsent(o, "api"); },
    locale: function (l) { loc = l; },
    push: function (c) { c && api[c[0]] && api[c[0]].apply(api, c.slice(1)); }
  };
  var queue = w.Rendezvous;
  w.Rendezvous = api;
  if (queue && queue.forEach) queue.forEach(api.push);

  if (typeof w.__tcfapi == "function") w.__tcfapi("addEventListener", 2, function (tc, ok) {
    if (!ok || !tc || (tc.eventStatus != "tcloaded" && tc.eventStatus != "useractioncomplete")) return;
    var p = (tc.purpose && tc.purpose.consents) || {}, v = (tc.vendor && tc.vendor.consents) || {};
    setConsent({attribution: !!(p[1] && p[7]), ads: !!v[755],
      notice: "tcf:" + tc.cmpId + ":" + tc.cmpVersion + ":" + tc.tcfPolicyVersion}, "tcf");
  });
  var dl = w.dataLayer;
  function mode(a) {
    if (!a || a[0] != "consent" || a[1] != "update" || !a[2]) return;
    ["analytics_storage", "ad_user_data"].forEach(function (k) { if (a[2][k]) cm[k] = a[2][k]; });
    if (cm.analytics_storage) setConsent({attribution: cm.analytics_storage == "granted",
      ads: cm.ad_user_data == "granted", notice: "consent-mode"}, "consent_mode");
  }
  if (dl && dl.push) {
    dl.forEach(mode);
    var push = dl.push;
    dl.push = function () { var r = push.apply(dl, arguments); [].forEach.call(arguments, mode); return r; };
  }

  function start() {
    d.querySelectorAll("[data-rendezvous]").forEach(function (box) {
      if (!box.querySelector("iframe")) box.appendChild(frame(box, box.getAttribute("data-rendezvous")));
    });
    d.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("[data-rendezvous-popup]");
      if (b) { e.preventDefault(); popup(b); }
    });
  }
  if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", start); else start();
})(window, document);
