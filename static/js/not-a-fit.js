// Take a visitor who is not a fit on to the page the rule names, after the delay it sets, unless
// they choose to stay (WCAG 2.2.1: a time limit the user can turn off). Without JavaScript the
// link alone is shown, and nothing moves by itself.
(function () {
  "use strict";
  var box = document.querySelector("[data-redirect]");
  if (!box) return;
  var note = box.querySelector(".countdown");
  var stay = box.querySelector("button.stay");
  var link = box.querySelector("a");
  var timer = window.setTimeout(function () {
    window.location.assign(box.getAttribute("data-redirect"));
  }, 1000 * Number(box.getAttribute("data-seconds")));
  note.hidden = false;
  stay.hidden = false;
  stay.addEventListener("click", function () {
    window.clearTimeout(timer);
    note.hidden = true;
    stay.hidden = true;
    link.focus();
  });
})();
