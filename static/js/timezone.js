// Show times in the visitor's own zone without loading the page again: when the URL names no
// zone, fetch only the month-and-day part for the browser's zone (?fragment=times), swap it in
// and put the zone in the address with history.replaceState. A choice from the list applies at
// once, and a filter box narrows the long list. Without JavaScript the plain list, its button
// and the "More time zones" link still work, and the page shows the host's zone.
(function () {
  "use strict";
  var form = document.querySelector("form[data-tz-detect]");
  if (!form) return;
  var select = form.querySelector("select[name=tz]");
  var filter = document.getElementById("tz-filter");

  function chooseZone(zone, label) {
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
    if (!option) {
      option = document.createElement("option");
      option.value = zone;
      option.textContent = label ? label + " · " + zone.replace(/_/g, " ") : zone;
      select.insertBefore(option, select.firstChild);
    }
    select.value = zone;
  }

  // Links that name the zone shown ("More time zones", the clock toggle, the meeting lengths)
  // follow the new one.
  function relinkZone(zone) {
    document.querySelectorAll("a.more-zones, .clock-toggle a, .duration-choice a").forEach(function (link) {
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("tz", zone);
      link.href = url.pathname + url.search;
    });
  }

  function showTimesFor(detected) {
    var params = new URLSearchParams(window.location.search);
    params.set("tz_detected", detected);
    var address = window.location.pathname + "?" + params.toString();
    params.set("fragment", "times");
    fetch(window.location.pathname + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var fresh = holder.content.querySelector(".picker");
        var old = document.querySelector(".picker");
        if (!fresh || !old) return;
        old.replaceWith(fresh);
        var zone = fresh.getAttribute("data-tz");  // the server's name for it (aliases folded)
        chooseZone(zone, fresh.getAttribute("data-tz-label"));
        relinkZone(zone);
        window.history.replaceState(window.history.state, "", address);
      })
      .catch(function () { /* the host's zone stays: the page works as it is */ });
  }

  var params = new URLSearchParams(window.location.search);
  if (!params.has("tz") && !params.has("tz_detected")) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
    if (zone && zone !== select.value) showTimesFor(zone);
  }

  if (filter) {
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var words = filter.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (option) {
        var text = (option.textContent + " " + option.value).toLowerCase();
        option.hidden = words !== "" && !option.selected && text.indexOf(words) === -1;
      });
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();  // Enter picks the first match instead of sending the form as it is
      var first = Array.prototype.find.call(select.options, function (o) { return !o.hidden && !o.selected; });
      if (first) { select.value = first.value; form.submit(); }
    });
  }
  select.addEventListener("change", function () { form.submit(); });
  var button = form.querySelector("button");
  if (button) button.hidden = true;
})();
