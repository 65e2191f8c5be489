// composer.js: images in the composer before the first save (no inline scripts: the CSP
// forbids them). Without this script the file picker's files go with the form when it is saved.
//
// Each file chosen in the picker, or dropped anywhere on the composer, is posted on its own to
// the drop zone's data-stage-url (multipart, the CSRF token as a header). The answer is a list
// item holding the staged image's id (a hidden `staged` input the save sends) and its alt-text
// field; it goes into #staged-list. A refused file answers 422 with the reason, shown in
// #images-status. The picker is emptied once its files are staged, so the save does not send
// them again. Each change fires `staged` on the body, which re-runs the live checks (htmx).
(function () {
  "use strict";

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function say(zone, html) {
    var s = document.getElementById("images-status");
    if (s) s.innerHTML = html;
    zone.classList.toggle("field--error", html.indexOf("field__error") >= 0);
  }

  function changed() {
    document.body.dispatchEvent(new CustomEvent("staged", { bubbles: true }));
  }

  function escapeText(t) {
    var d = document.createElement("div");
    d.textContent = t;
    return d.innerHTML;
  }

  function upload(zone, file) {
    var body = new FormData();
    body.append("file", file, file.name);
    return fetch(zone.getAttribute("data-stage-url"), {
      method: "POST",
      body: body,
      headers: { "X-CSRF-Token": csrf() },
      credentials: "same-origin",
    }).then(function (r) {
      return r.text().then(function (html) {
        if (r.ok) {
          var list = document.getElementById("staged-list");
          list.insertAdjacentHTML("beforeend", html);
          wire(list);
          return "";
        }
        if (html.indexOf("field__error") >= 0 && html.length < 2000) return html;
        return '<p class="field__error">' + escapeText(file.name) + " was not added (" + r.status + ").</p>";
      });
    }, function () {
      return '<p class="field__error">' + escapeText(file.name) + " was not added: the server could not be reached.</p>";
    });
  }

  function stage(zone, files) {
    var input = document.getElementById("file");
    var queue = Array.prototype.slice.call(files);
    if (!queue.length) return;
    say(zone, '<p class="small muted">Adding ' + queue.length + " image" + (queue.length === 1 ? "" : "s") + "…</p>");
    var errors = "";
    var next = function () {
      var f = queue.shift();
      if (!f) {
        if (input) input.value = "";
        say(zone, errors || '<p class="small muted">Added: the image goes out with the post when you save.</p>');
        changed();
        return;
      }
      upload(zone, f).then(function (err) {
        errors += err;
        next();
      });
    };
    next();
  }

  function wire(root) {
    var buttons = root.querySelectorAll("[data-unstage]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      if (b.getAttribute("data-wired")) continue;
      b.setAttribute("data-wired", "1");
      b.hidden = false;
      b.addEventListener("click", function (e) {
        var item = e.currentTarget.closest("[data-staged]");
        if (item) item.remove();
        changed();
      });
    }
  }

  function init() {
    var zone = document.querySelector("[data-stage-url]");
    if (!zone) return;
    var input = document.getElementById("file");
    var composer = zone.closest(".composer") || zone;
    if (input) {
      input.addEventListener("change", function () {
        stage(zone, input.files);
      });
    }
    var depth = 0;
    composer.addEventListener("dragenter", function (e) {
      if (!e.dataTransfer || Array.prototype.indexOf.call(e.dataTransfer.types, "Files") < 0) return;
      depth++;
      zone.classList.add("dropzone--active");
    });
    composer.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("dropzone--active");
    });
    composer.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
      }
    });
    composer.addEventListener("drop", function (e) {
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      depth = 0;
      zone.classList.remove("dropzone--active");
      stage(zone, e.dataTransfer.files);
    });
    wire(document.getElementById("staged-list") || zone);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
