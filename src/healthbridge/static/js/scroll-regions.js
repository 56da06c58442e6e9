// HealthBridge: a table wider than its column scrolls sideways inside itself (app.css); this
// makes such a table reachable by keyboard (WCAG 2.1.1), so that the arrow keys scroll it on a
// phone or a zoomed screen. Re-checked when the window resizes and after each htmx swap.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scrolls", "");
      } else if (!scrolls && table.hasAttribute("data-scrolls")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scrolls");
      }
    });
  }
  var pending = 0;
  function later() {
    window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(mark);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
  window.addEventListener("resize", later);
  document.addEventListener("htmx:afterSettle", mark);
})();
