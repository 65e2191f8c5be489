// stories.js: the Stories section's small scripts (no inline scripts: the CSP forbids them).
//
// 1. The viewer's time zone. Pages show times in each market's zone with the viewer's beside
//    them; the server learns the viewer's zone from the `chorus_tz` cookie, which this script
//    sets from the browser (Intl). If the page was drawn for another zone, it reloads once.
// 2. Calendar drag and drop. Dragging a movable post onto another day (month view) or hour
//    (week view) posts the new wall-clock time of the post's market to its reschedule address;
//    the server resolves it in the market's zone and refuses times that do not exist.
// 3. The week opens at the working day: its scrolling region is scrolled to the hour the server
//    names in data-start-hour (08:00, or the hour of an earlier post), below the day names, and
//    on a narrow screen sideways to today or the first day with a post.
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].trim().split("=");
      if (kv[0] === name) return decodeURIComponent(kv.slice(1).join("="));
    }
    return "";
  }

  function syncZone() {
    var zone = browserZone();
    if (!zone) return;
    if (cookie("chorus_tz") !== zone) {
      document.cookie = "chorus_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
    var marker = document.querySelector("[data-viewer-tz]");
    if (!marker || new URLSearchParams(location.search).has("tz")) return;
    if (marker.getAttribute("data-viewer-tz") !== zone) {
      var key = "chorus_tz_reloaded:" + location.pathname;
      if (!sessionStorage.getItem(key)) {
        sessionStorage.setItem(key, "1");
        location.reload();
      }
    }
  }

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function say(text, bad) {
    var s = document.getElementById("cal-status");
    if (!s) return;
    s.textContent = text;
    s.className = "cal-status" + (bad ? " cal-status--error" : " cal-status--ok");
  }

  function setupCalendar() {
    var dragging = null;
    document.querySelectorAll(".cal-entry--movable").forEach(function (el) {
      el.addEventListener("dragstart", function (ev) {
        dragging = el;
        el.classList.add("cal-entry--dragging");
        ev.dataTransfer.effectAllowed = "move";
        ev.dataTransfer.setData("text/plain", el.getAttribute("data-variant"));
      });
      el.addEventListener("dragend", function () {
        el.classList.remove("cal-entry--dragging");
        dragging = null;
      });
    });
    document.querySelectorAll(".cal-slot").forEach(function (slot) {
      slot.addEventListener("dragover", function (ev) {
        if (!dragging || slot.classList.contains("cal-slot--gap")) return;
        ev.preventDefault();
        slot.classList.add("cal-slot--over");
      });
      slot.addEventListener("dragleave", function () {
        slot.classList.remove("cal-slot--over");
      });
      slot.addEventListener("drop", function (ev) {
        slot.classList.remove("cal-slot--over");
        if (!dragging) return;
        ev.preventDefault();
        var clock = dragging.getAttribute("data-clock") || "09:00:00";
        var hour = slot.getAttribute("data-hour");
        var local = slot.getAttribute("data-date") + "T" + (hour ? hour + clock.slice(2) : clock);
        move(dragging.getAttribute("data-move"), local);
      });
    });
  }

  function move(url, local) {
    say("Moving…", false);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "X-CSRF-Token": csrf()
      },
      body: "local=" + encodeURIComponent(local)
    })
      .then(function (r) {
        return r.json().then(function (body) {
          return { ok: r.ok, body: body };
        });
      })
      .then(function (res) {
        if (res.ok && res.body.ok) {
          say("Moved to " + res.body.market_time + (res.body.note ? ". " + res.body.note : "."), false);
          setTimeout(function () { location.reload(); }, res.body.note ? 2500 : 600);
        } else {
          say("Not moved: " + (res.body.message || "the server refused"), true);
        }
      })
      .catch(function () {
        say("Not moved: the server could not be reached.", true);
      });
  }

  function openWeekAtWorkingDay() {
    var week = document.querySelector(".cal--week[data-start-hour]");
    if (!week) return;
    var row = document.getElementById("cal-h" + week.getAttribute("data-start-hour"));
    var head = week.querySelector(".cal-week__label");
    if (!row) return;
    week.scrollTop = row.offsetTop - (head ? head.offsetHeight : 0);
    // On a narrow screen, bring today (or the first day with a post) into view sideways.
    var entry = week.querySelector(".cal-entry");
    var day = week.querySelector(".cal-slot[data-today]") || (entry && entry.closest(".cal-slot"));
    if (day && day.offsetLeft + day.offsetWidth > week.clientWidth) {
      week.scrollLeft = day.offsetLeft - row.offsetWidth;
    }
  }

  function start() {
    syncZone();
    openWeekAtWorkingDay();
    setupCalendar();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
