// After a step of the booking flow changes, put the keyboard focus where the new step begins:
// the first field marked invalid after a failed submit, else the element the page marks with
// data-focus-step (a heading with tabindex=-1). Screen readers then read the new step at once.
// Inside a widget frame the focus moves only when the frame already has it: a page that embeds
// the widget keeps its own focus while the widget loads.
(function () {
  "use strict";
  var target = document.querySelector("[aria-invalid=true]") ||
    document.querySelector("[data-focus-step]");
  if (!target) return;
  if (window.parent !== window && !document.hasFocus()) return;
  target.focus();
})();
