// Hide questions whose condition on an earlier answer is not met. Without JavaScript every question
// shows with a note, and the server ignores answers to hidden ones.
(function () {
  "use strict";
  var form = document.querySelector("form.questions");
  if (!form) return;
  function answerOf(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (el.value !== "") values.push(el.value);
    });
    return values;
  }
  function matches(values, operator, expected) {
    var wanted = Array.isArray(expected) ? expected.map(String) : [String(expected)];
    var lower = values.map(function (v) { return v.toLowerCase(); });
    var first = values.length ? Number(values[0]) : NaN;
    switch (operator) {
      case "is_empty": return values.length === 0;
      case "is_not_empty": return values.length > 0;
      case "not_equals": return lower.indexOf(String(expected).toLowerCase()) === -1;
      case "one_of": return wanted.some(function (w) { return lower.indexOf(w.toLowerCase()) !== -1; });
      case "contains": return lower.some(function (v) { return v.indexOf(String(expected).toLowerCase()) !== -1; });
      case "greater_than": return first > Number(expected);
      case "less_than": return first < Number(expected);
      default:
        if (expected === true) expected = "yes";
        if (expected === false) expected = "no";
        return lower.indexOf(String(expected).toLowerCase()) !== -1;
    }
  }
  var conditional = form.querySelectorAll("[data-show-if-question]");
  function update() {
    conditional.forEach(function (box) {
      var expected;
      try { expected = JSON.parse(box.getAttribute("data-show-if-value")); } catch (e) { expected = ""; }
      var show = matches(answerOf(box.getAttribute("data-show-if-question")),
                         box.getAttribute("data-show-if-operator"), expected);
      box.hidden = !show;
      box.querySelectorAll(".conditional-note").forEach(function (n) { n.hidden = true; });
    });
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
