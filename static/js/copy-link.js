// Copy buttons next to read-only link fields. Without JavaScript the buttons stay hidden and the
// link can still be selected and copied by hand.
(function () {
  "use strict";
  var status = document.querySelector("[data-copy-status]");

  function say(text) {
    if (status) status.textContent = text;
  }

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) return;
    var label = button.textContent;
    var copied = button.getAttribute("data-copied-label") || label;
    button.hidden = false;
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      function done(ok) {
        if (!ok) { input.focus(); input.select(); return; }
        button.textContent = copied;
        say(copied + ": " + input.value);
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(
          function () { done(true); },
          function () { done(fallbackCopy(input)); }
        );
      } else {
        done(fallbackCopy(input));
      }
    });
  });
})();
