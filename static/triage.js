// Support triage keyboard shortcuts (progressive enhancement: every decision is a plain form).
// j / k: next / previous item · c: confirm theme · r: reviewed · t / l / e: choose a theme,
// a launch or a PM, then Enter to apply it.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-triage-item]"));
  if (!rows.length) { return; }
  var current = 0;
  function focus(i) {
    if (i < 0 || i >= rows.length) { return; }
    rows[current].classList.remove("is-current");
    current = i;
    rows[current].classList.add("is-current");
    rows[current].focus();
  }
  rows.forEach(function (row, i) {
    row.setAttribute("tabindex", "-1");
    row.addEventListener("focusin", function () { current = i; });
  });
  focus(0);
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    if (t && t.tagName === "SELECT") {
      if (e.key === "Enter" && t.value) {
        var b = t.form.querySelector("button[value='" + t.getAttribute("data-submit") + "']");
        if (b) { e.preventDefault(); b.click(); }
      } else if (e.key === "Escape") {
        e.preventDefault(); focus(current);
      }
      return;
    }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) { return; }
    var row = rows[current];
    switch (e.key) {
      case "j": e.preventDefault(); focus(current + 1); break;
      case "k": e.preventDefault(); focus(current - 1); break;
      case "c": case "r":
        var btn = row.querySelector("button[data-key='" + e.key + "']");
        if (btn) { e.preventDefault(); btn.click(); }
        break;
      case "t": case "l": case "e":
        var sel = row.querySelector("select[data-key='" + e.key + "']");
        if (sel) { e.preventDefault(); sel.focus(); }
        break;
    }
  });
})();
