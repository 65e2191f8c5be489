// numbers.js: draws the Numbers page's daily chart with uPlot (vendored) from the figures the
// page carries in data attributes (the same figures as its tables and CSV). Loaded as a file:
// the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  function nums(s) {
    return s ? s.split(",").map(Number) : [];
  }
  function daily(el) {
    var xs = nums(el.dataset.x);
    var ys = nums(el.dataset.y);
    var w = Math.max(280, Math.min(el.clientWidth || 800, 1100));
    var opts = {
      width: w,
      height: 240,
      scales: { x: { time: true } },
      series: [{}, { label: el.dataset.label + " per day", stroke: "#0d9488", fill: "rgba(13,148,136,0.12)", width: 2 }],
      axes: [{}, { label: el.dataset.label }]
    };
    el.textContent = "";
    try {
      new uPlot(opts, [xs, ys], el);
    } catch (e) {
      el.textContent = "The chart could not be drawn (" + e + "); the tables below have the figures.";
    }
  }
  function start() {
    document.querySelectorAll("[data-chart=daily]").forEach(daily);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
