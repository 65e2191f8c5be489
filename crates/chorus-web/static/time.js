// time.js: tells the server the viewer's time zone, so every page shows times on the viewer's
// clock (the `chorus_tz` cookie, read by the server's local_time module). Loaded on every page
// as a file (the Content-Security-Policy allows no inline script). The first page a browser
// sees is in UTC and says so; the pages after it are in the viewer's zone.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  var have = (document.cookie || "").split(";").map(function (c) { return c.trim(); })
    .filter(function (c) { return c.indexOf("chorus_tz=") === 0; })[0];
  var want = "chorus_tz=" + encodeURIComponent(zone);
  if (have !== want) {
    document.cookie = want + "; path=/; max-age=31536000; SameSite=Lax";
  }
})();
