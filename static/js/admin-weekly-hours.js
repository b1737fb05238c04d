// Weekly hours editor: add and remove interval rows, copy Monday to Tuesday-Friday. Without
// JavaScript the page offers a fixed number of empty rows per day and these buttons stay hidden.
(function () {
  "use strict";
  var form = document.querySelector("form[data-hours-editor]");
  if (!form) return;
  var maxRows = parseInt(form.getAttribute("data-max-rows"), 10) || 12;
  var days = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-day-key]"));
  var status = form.querySelector("[data-hours-status]");
  var firstRow = form.querySelector(".interval-row");
  if (!days.length || !firstRow) return;

  // A blank row to copy from, whichever day it goes into (renumbering fixes names and labels).
  var blank = firstRow.cloneNode(true);
  blank.querySelectorAll("input").forEach(function (input) {
    input.value = "";
    input.removeAttribute("aria-invalid");
  });

  function list(day) { return day.querySelector(".interval-rows"); }
  function rows(day) { return Array.prototype.slice.call(list(day).children); }
  function fill(template, n) { return template.split("{n}").join(String(n)); }

  function renumber(day) {
    var key = day.getAttribute("data-day-key");
    rows(day).forEach(function (row, index) {
      var n = index + 1;
      ["start", "end"].forEach(function (part) {
        var input = row.querySelector("input[name$='-" + part + "']");
        var label = row.querySelector("label[for='" + input.id + "']");
        input.id = input.name = key + "-" + n + "-" + part;
        label.htmlFor = input.id;
        label.querySelector(".sr-only").textContent = fill(day.getAttribute("data-label-" + part), n);
      });
      var remove = row.querySelector("[data-remove-interval]");
      remove.querySelector(".sr-only").textContent = " " + fill(day.getAttribute("data-label-row"), n);
      remove.hidden = false;
    });
    day.querySelector("[data-add-interval]").disabled = rows(day).length >= maxRows;
  }

  function addRow(day, start, end) {
    var row = blank.cloneNode(true);
    row.querySelector("input[name$='-start']").value = start || "";
    row.querySelector("input[name$='-end']").value = end || "";
    list(day).appendChild(row);
    renumber(day);
    return row;
  }

  function removeRow(day, row) {
    var all = rows(day);
    var index = all.indexOf(row);
    row.remove();
    renumber(day);
    var rest = rows(day);
    // Keep the keyboard where it was: the next row, else the one before, else "Add interval".
    var target = rest[index] || rest[index - 1];
    if (target) {
      target.querySelector("[data-remove-interval]").focus();
    } else {
      day.querySelector("[data-add-interval]").focus();
    }
  }

  days.forEach(function (day) {
    var add = day.querySelector("[data-add-interval]");
    add.hidden = false;
    add.addEventListener("click", function () {
      if (rows(day).length >= maxRows) return;
      addRow(day).querySelector("input").focus();
    });
    list(day).addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-interval]");
      if (button) removeRow(day, button.closest(".interval-row"));
    });
    renumber(day);
  });

  var copy = form.querySelector("[data-copy-monday]");
  if (copy) {
    copy.closest(".copy-monday").hidden = false;
    copy.addEventListener("click", function () {
      var pairs = rows(days[0]).map(function (row) {
        return [
          row.querySelector("input[name$='-start']").value,
          row.querySelector("input[name$='-end']").value,
        ];
      });
      days.slice(1, 5).forEach(function (day) {
        rows(day).forEach(function (row) { row.remove(); });
        pairs.forEach(function (pair) { addRow(day, pair[0], pair[1]); });
        renumber(day);
      });
      if (status) status.textContent = status.getAttribute("data-copied");
    });
  }
})();
