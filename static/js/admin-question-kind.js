// Question editor: show the special category warning (GDPR Art. 9) while a free-text kind is
// chosen. Without this script the warning shows for the kind the page was rendered with.
(function () {
  "use strict";
  var warning = document.getElementById("free-text-warning");
  var kind = document.getElementById("kind");
  if (!warning || !kind) return;
  var kinds = (warning.getAttribute("data-free-text-kinds") || "").split(" ");
  function update() { warning.hidden = kinds.indexOf(kind.value) < 0; }
  kind.addEventListener("change", update);
  update();
})();
