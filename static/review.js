// Review queue keyboard shortcuts (progressive enhancement: the page works without this).
// j / k: next / previous item · c: confirm · x: reject · s: skip · space: tick for bulk.
// After c or x the page comes back with the selection on the row that took the decided one's
// place (the next item), not back at the top.
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
  // Where to come back to after a decision: this page, with the position of the decided row.
  function rememberPosition() {
    var back = document.querySelector("#review-form input[name='back']");
    if (!back) { return; }
    var url = new URL(back.value, window.location.href);
    url.searchParams.set("at", String(current));
    back.value = url.pathname + url.search;
  }
  rows.forEach(function (row, i) {
    row.setAttribute("tabindex", "-1");
    row.addEventListener("focusin", function () { current = i; });
  });
  var at = parseInt(new URLSearchParams(window.location.search).get("at") || "0", 10);
  focus(isNaN(at) ? 0 : Math.max(0, Math.min(at, rows.length - 1)));
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    if (t && (t.tagName === "INPUT" && t.type !== "checkbox" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) { return; }
    var row = rows[current];
    var click = function (sel) {
      var b = row.querySelector(sel);
      if (b) { e.preventDefault(); rememberPosition(); b.click(); }
    };
    switch (e.key) {
      case "j": case "s": e.preventDefault(); focus(current + 1); break;
      case "k": e.preventDefault(); focus(current - 1); break;
      case "c": click("button[data-action='confirm']"); break;
      case "x": click("button[data-action='reject']"); break;
      case " ": var box = row.querySelector("input[type='checkbox']"); if (box && t === row) { e.preventDefault(); box.checked = !box.checked; } break;
    }
  });
})();
