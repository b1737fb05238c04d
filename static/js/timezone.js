// Show times in the visitor's own zone: pick it from the browser when the URL names none,
// and apply a new choice from the list at once. Without JavaScript the list and button still work.
(function () {
  "use strict";
  var form = document.querySelector("form[data-tz-detect]");
  if (!form) return;
  var select = form.querySelector("select[name=tz]");
  var params = new URLSearchParams(window.location.search);
  if (!params.has("tz")) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
    if (zone && zone !== select.value && select.querySelector('option[value="' + zone + '"]')) {
      params.set("tz", zone);
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
  }
  select.addEventListener("change", function () { form.submit(); });
  var button = form.querySelector("button");
  if (button) button.hidden = true;
})();
