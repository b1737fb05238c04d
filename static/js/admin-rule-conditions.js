// Rule editor: in each condition row, offer only the chosen question's choices and hide the
// typed value when the question has choices. Without this script both stay visible and work.
(function () {
  "use strict";

  function update(row) {
    var field = row.querySelector("select[name$='-field']");
    var picker = row.querySelector("select.rule-choices");
    var typed = row.querySelector(".typed-value");
    if (!field || !picker) return;
    var key = field.value;
    var hasChoices = false;
    Array.prototype.forEach.call(picker.querySelectorAll("optgroup"), function (group) {
      var mine = group.getAttribute("data-question") === key;
      group.hidden = !mine;
      group.disabled = !mine;
      if (mine) hasChoices = true;
      if (!mine) {
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          option.selected = false;
        });
      }
    });
    picker.parentNode.hidden = !hasChoices;
    if (typed) {
      var input = typed.querySelector("input");
      var keepTyped = input && input.value !== "";
      typed.hidden = hasChoices && !keepTyped;
    }
  }

  document.querySelectorAll(".conditions-table tbody tr").forEach(function (row) {
    update(row);
    var field = row.querySelector("select[name$='-field']");
    if (field) {
      field.addEventListener("change", function () {
        update(row);
      });
    }
  });
})();
