// Inside the widget's iframe: talk to the host page (embed.js) with versioned messages.
// Messages go only to the allowlisted origins (the browser drops any other target) and are
// accepted only from the parent window with an allowlisted origin. No cookies, no storage:
// the consented attribution the host sends lives in hidden form fields of this page only.
(function () {
  "use strict";
  var V = 1;
  var box = document.getElementById("rv-embed");
  if (!box || window.parent === window) return;
  var origins = JSON.parse(box.getAttribute("data-origins") || "[]");
  var slug = box.getAttribute("data-slug");
  var parentOrigin = null;
  var prompt = document.getElementById("rv-prompt");

  function post(message) {
    message.rv = V;
    var targets = parentOrigin ? [parentOrigin] : origins;
    targets.forEach(function (origin) { window.parent.postMessage(message, origin); });
  }

  function fillForms(attribution) {
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      var input = form.querySelector("input[name=attribution]");
      if (!attribution) { if (input) input.remove(); return; }
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "attribution";
        form.appendChild(input);
      }
      input.value = JSON.stringify(attribution);
    });
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body), credentials: "omit"
    });
  }

  // Views this visit counted before consent: the host sends the touches once consent is
  // logged, and the server credits that many of its anonymous views (no new identifier).
  function creditViews(data) {
    postJson("/embed/view-credit", {
      slug: slug, consent: data.consent, first: data.first, last: data.last,
      views: data.views, ab: box.getAttribute("data-ab") || ""
    });
  }

  function logConsent(data) {
    var body = {
      slug: slug, origin: parentOrigin, decision: data.decision, source: data.source,
      notice: data.notice, language: data.language, purposes: data.purposes || ["attribution"],
      // a withdrawal names the grant it ends (JSON.stringify leaves out an undefined)
      ends: data.decision === "withdrawn" && data.ends || undefined
    };
    postJson("/embed/consent", body).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) {
        if (result) post({type: "consent_logged", consent: result.consent, decision: result.decision});
      });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || origins.indexOf(event.origin) < 0) return;
    var data = event.data;
    if (!data || data.rv !== V) return;
    parentOrigin = event.origin;
    if (data.type === "init") {
      fillForms(data.attribution);
      if (prompt) prompt.hidden = data.consent !== null;
    } else if (data.type === "credit") {
      creditViews(data);
    } else if (data.type === "consent") {
      logConsent(data);
      if (prompt) prompt.hidden = true;
    }
  });

  if (prompt) {
    prompt.addEventListener("click", function (event) {
      var choice = event.target.getAttribute("data-choice");
      if (!choice) return;
      prompt.hidden = true;
      post({
        type: "choice", attribution: choice === "yes",
        notice: prompt.getAttribute("data-notice"), language: document.documentElement.lang
      });
    });
  }

  var step = box.getAttribute("data-event");
  if (step) {
    step = JSON.parse(step);
    post({type: "event", name: step.name, key: step.key, detail: step.detail});
    if (step.name === "slot_selected") {
      document.querySelectorAll("form[method=post]").forEach(function (form) {
        form.addEventListener("submit", function () {
          post({type: "event", name: "booking_submitted", key: "submit:" + step.key, detail: step.detail});
        });
      });
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") post({type: "escape"});
  });

  function size() {
    post({type: "resize", height: Math.ceil(document.body.getBoundingClientRect().height) + 8});
  }
  if (window.ResizeObserver) new ResizeObserver(size).observe(document.body);
  post({type: "hello", days: +box.getAttribute("data-days"), ab: box.getAttribute("data-ab")});
  size();
})();
