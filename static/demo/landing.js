// The demo page's own consent banner, wired to the widget as an operator would wire theirs.
(function () {
  "use strict";
  window.Rendezvous = window.Rendezvous || [];
  var names = ["ready", "qualified", "disqualified", "slot_selected", "booking_submitted",
    "booked", "consent_changed"];

  function log(name, detail) {
    var item = document.createElement("li");
    item.textContent = name + " " + JSON.stringify(detail || {});
    document.getElementById("events").appendChild(item);
  }

  function decide(yes) {
    var notice = document.getElementById("notice").textContent;
    window.Rendezvous.push(["consent", {attribution: yes, notice: notice, language: "en"}]);
    document.getElementById("banner").hidden = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    names.forEach(function (name) {
      document.addEventListener("rendezvous:" + name, function (event) { log(name, event.detail); });
    });
    document.getElementById("accept").addEventListener("click", function () { decide(true); });
    document.getElementById("refuse").addEventListener("click", function () { decide(false); });
    document.getElementById("withdraw").addEventListener("click", function () { decide(false); });
  });
})();
