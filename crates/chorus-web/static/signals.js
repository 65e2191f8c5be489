// signals.js: draws the Signals page's charts from the JSON API with uPlot (vendored).
// Loaded as a file (the Content-Security-Policy allows no inline script). Every figure drawn
// here is also in a table on the page.
(function () {
  "use strict";
  function fail(el, e) {
    el.textContent = "The chart could not be loaded (" + e + "); the table below has the figures.";
  }
  function width(el) {
    return Math.max(320, Math.min(el.clientWidth || 800, 1100));
  }
  function volume(el) {
    fetch(el.dataset.src, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (d) {
        var spikes = d.volume.map(function (v, i) { return d.spike[i] ? v : null; });
        var opts = {
          width: width(el),
          height: 260,
          scales: { x: { time: true } },
          series: [
            {},
            { label: "Posts per hour", stroke: "#0d9488", width: 2 },
            { label: "Baseline (mean of the week before)", stroke: "#7c3aed", dash: [6, 4], width: 1.5 },
            { label: "Spike (\u2265 " + d.spike_factor + "\u00d7 baseline)", stroke: "#dc2626", width: 0,
              points: { show: true, size: 9, fill: "#dc2626" } }
          ],
          axes: [{}, { label: "posts / hour" }]
        };
        // The readout under the chart says what the pointer is on, in the viewer's locale and
        // zone; the legend shows the same figures (uPlot shows "--" where a series has no value,
        // so the spike series formats its gaps as "no spike").
        var readout = document.getElementById("volume-readout");
        var when = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
        var num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
        opts.series[0].value = function (u, v) { return v == null ? "" : when.format(new Date(v * 1000)); };
        opts.series[1].value = function (u, v) { return v == null ? "" : num.format(v); };
        opts.series[2].value = function (u, v) { return v == null ? "" : num.format(v); };
        opts.series[3].value = function (u, v) { return v == null ? "no spike" : num.format(v); };
        opts.legend = { live: true };
        opts.cursor = { show: true, x: true, y: false, points: { show: true } };
        function say(i) {
          if (!readout || i == null || i < 0) { return; }
          readout.textContent = when.format(new Date(d.hours[i] * 1000)) + ": " + num.format(d.volume[i]) +
            " post" + (d.volume[i] === 1 ? "" : "s") + " (baseline " + num.format(d.baseline[i]) + ")" +
            (d.spike[i] ? ", a spike" : "");
        }
        var last = d.hours.length - 1;
        // Off the chart, the legend and the readout show the latest hour instead of "--".
        opts.hooks = { setCursor: [function (u) {
          var i = u.cursor.idx == null ? last : u.cursor.idx;
          say(i);
          if (u.cursor.idx == null && last >= 0 && u.setLegend) { u.setLegend({ idx: last }); }
        }] };
        el.textContent = "";
        var plot = new uPlot(opts, [d.hours, d.volume, d.baseline, spikes], el);
        if (last >= 0) { say(last); if (plot.setLegend) { plot.setLegend({ idx: last }); } }
      })
      .catch(function (e) { fail(el, e); });
  }
  function sov(el) {
    fetch(el.dataset.src, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (d) {
        if (!d.entries.length) { el.textContent = "No us or competitor queries in this market yet."; return; }
        var xs = d.entries.map(function (_, i) { return i; });
        var us = d.entries.map(function (e) { return e.side === "us" ? e.posts : null; });
        var them = d.entries.map(function (e) { return e.side === "us" ? null : e.posts; });
        var names = d.entries.map(function (e) { return e.name; });
        var bars = uPlot.paths.bars({ size: [0.6, 80] });
        var opts = {
          width: width(el),
          height: 240,
          scales: { x: { time: false, range: [-0.5, xs.length - 0.5] } },
          series: [
            {},
            { label: "Us", fill: "#0d9488", stroke: "#0d9488", paths: bars, points: { show: false } },
            { label: "Competitors", fill: "#ea580c", stroke: "#ea580c", paths: bars, points: { show: false } }
          ],
          axes: [
            { values: function (u, splits) { return splits.map(function (s) { return names[s] || ""; }); },
              splits: function () { return xs; } },
            { label: "posts" }
          ]
        };
        el.textContent = "";
        new uPlot(opts, [xs, us, them], el);
      })
      .catch(function (e) { fail(el, e); });
  }
  function start() {
    document.querySelectorAll("[data-chart=volume]").forEach(volume);
    document.querySelectorAll("[data-chart=sov]").forEach(sov);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
