// Show times in the visitor's own zone: send the browser's zone when the URL names none (the
// server uses it when it knows the name), and apply a new choice from the list at once.
// Without JavaScript the list, the button and the "More time zones" link still work.
(function () {
  "use strict";
  var form = document.querySelector("form[data-tz-detect]");
  if (!form) return;
  var select = form.querySelector("select[name=tz]");
  var params = new URLSearchParams(window.location.search);
  if (!params.has("tz") && !params.has("tz_detected")) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
    if (zone && zone !== select.value) {
      params.set("tz_detected", zone);
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
  }
  select.addEventListener("change", function () { form.submit(); });
  var button = form.querySelector("button");
  if (button) button.hidden = true;
})();
