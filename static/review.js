// Review queue keyboard shortcuts (progressive enhancement: the page works without this).
// j / k: next / previous item · c: confirm · x: reject · s: skip · space: tick for bulk.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-review-item]"));
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
    if (t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) { return; }
    var row = rows[current];
    var click = function (sel) { var b = row.querySelector(sel); if (b) { e.preventDefault(); b.click(); } };
    switch (e.key) {
      case "j": case "s": e.preventDefault(); focus(current + 1); break;
      case "k": e.preventDefault(); focus(current - 1); break;
      case "c": click("button[data-action='confirm']"); break;
      case "x": click("button[data-action='reject']"); break;
      case " ": var box = row.querySelector("input[type='checkbox']"); if (box && t === row) { e.preventDefault(); box.checked = !box.checked; } break;
    }
  });
})();
