// numbers.js: draws the Numbers pages' charts with uPlot (vendored) from the figures each page
// carries in data attributes (the same figures as its tables and CSV), and sizes the progress
// bars of objectives. Loaded as a file: the Content-Security-Policy allows no inline script
// or style (styles set here through the DOM are allowed).
(function () {
  "use strict";
  var COLORS = ["#0d9488", "#6366f1", "#d97706", "#e11d48", "#64748b"];
  // "1,null,3" → [1, null, 3]: null is a gap (a count not reported), never 0.
  function nums(s) {
    return s ? s.split(",").map(function (v) { return v === "null" || v === "" ? null : Number(v); }) : [];
  }
  function width(el) {
    return Math.max(260, Math.min(el.clientWidth || 800, 1100));
  }
  function draw(el, opts, data) {
    el.textContent = "";
    // Off the chart the legend shows the last point's figures instead of uPlot's "--"; over
    // it, the point under the pointer.
    var last = data[0].length - 1;
    opts.legend = { live: true };
    opts.hooks = { setCursor: [function (u) {
      if (u.cursor.idx == null && last >= 0 && u.setLegend) { u.setLegend({ idx: last }); }
    }] };
    try {
      var plot = new uPlot(opts, data, el);
      if (last >= 0 && plot.setLegend) { plot.setLegend({ idx: last }); }
    } catch (e) {
      el.textContent = "The chart could not be drawn (" + e + "); the tables have the figures.";
    }
  }
  function daily(el) {
    draw(el, {
      width: width(el),
      height: 240,
      scales: { x: { time: true } },
      series: [{}, { label: el.dataset.label + " per day", stroke: COLORS[0], fill: "rgba(13,148,136,0.12)", width: 2 }],
      axes: [{}, { label: el.dataset.label }]
    }, [nums(el.dataset.x), nums(el.dataset.y)]);
  }
  // Several lines over one x axis: data-x, data-labels "a;b", data-ys "1,2;3,4", data-dashed
  // (indexes of dashed series), data-time "true" for days, otherwise data-xlabel names x.
  function lines(el) {
    var labels = (el.dataset.labels || "").split(";");
    var ys = (el.dataset.ys || "").split(";").map(nums);
    var dashed = (el.dataset.dashed || "").split(";");
    var time = el.dataset.time !== "false";
    var series = [{ label: el.dataset.xlabel || "Day" }];
    ys.forEach(function (_, i) {
      var s = { label: labels[i] || "", stroke: COLORS[i % COLORS.length], width: 2 };
      if (dashed.indexOf(String(i)) >= 0) {
        s.dash = [6, 4];
        s.stroke = COLORS[4];
      }
      series.push(s);
    });
    var axes = [{}, {}];
    if (!time) {
      axes[0] = { label: el.dataset.xlabel || "" };
    }
    draw(el, {
      width: width(el),
      height: 240,
      scales: { x: { time: time } },
      series: series,
      axes: axes
    }, [nums(el.dataset.x)].concat(ys));
  }
  function bar(el) {
    var b = el.querySelector(".progress__bar");
    var p = el.querySelector(".progress__pace");
    if (b) b.style.width = Number(el.dataset.progress) + "%";
    if (p) p.style.left = Number(el.dataset.pace) + "%";
  }
  function start() {
    document.querySelectorAll("[data-chart=daily]").forEach(daily);
    document.querySelectorAll("[data-chart=lines]").forEach(lines);
    document.querySelectorAll(".progress[data-progress]").forEach(bar);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
