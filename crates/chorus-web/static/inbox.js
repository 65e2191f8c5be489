// inbox.js: the inbox's panes and keyboard (no inline scripts: the CSP forbids them).
//
// 1. At desktop widths a click on a conversation in the list loads it into the pane beside the
//    list with htmx (GET /conversations/ID/pane) and puts `c=ID` in the address, so a reload
//    shows the same one; on a narrow screen the link opens the conversation's own page.
// 2. Keys, never while typing in a field: j/k select the next/previous conversation, o or
//    Enter opens its full page, e marks it done (it leaves the open list, the counts are
//    redrawn and the next one is selected), a assigns it to the viewer, A focuses the assignee
//    menu, / opens the filters, ? shows the list of shortcuts.
// 3. Menus in a conversation's fields save when they change (htmx); with JavaScript on, their
//    Save buttons are hidden (`htmx-on` on <html>).
(function () {
  "use strict";

  document.documentElement.classList.add("htmx-on");

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function wide() {
    return window.matchMedia("(min-width: 64em)").matches;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll(".inbox-row"));
  }

  // The selected conversation's id, kept across redraws of the list.
  var selectedId = null;

  function current() {
    return document.querySelector(".inbox-row.is-selected");
  }

  // After htmx redraws the list, the selection is drawn again on the same conversation.
  document.addEventListener("htmx:afterSettle", function () {
    if (!selectedId) return;
    var row = document.getElementById("row-" + selectedId);
    if (row && !row.classList.contains("is-selected")) mark(row);
  });

  function mark(row) {
    selectedId = row ? row.getAttribute("data-id") : null;
    rows().forEach(function (r) {
      r.classList.toggle("is-selected", r === row);
      var link = r.querySelector(".inbox-row__link");
      if (link) {
        if (r === row) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      }
    });
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  // Shows `row`'s conversation: in the pane when wide, else on its own page.
  function open(row) {
    if (!row) return;
    var link = row.querySelector(".inbox-row__link");
    if (!link) return;
    mark(row);
    if (!wide() || !window.htmx || !document.getElementById("pane")) {
      window.location.href = link.getAttribute("href");
      return;
    }
    window.htmx.ajax("GET", link.getAttribute("data-pane"), { target: "#pane", swap: "innerHTML" }).then(function () {
      var url = link.getAttribute("data-select");
      if (url) window.history.replaceState(null, "", url);
    });
  }

  function move(by) {
    var all = rows();
    if (!all.length) return;
    var i = all.indexOf(current());
    var next = i < 0 ? all[0] : all[Math.max(0, Math.min(all.length - 1, i + by))];
    if (next !== current() || i < 0) open(next);
  }

  function post(id, values, target) {
    values.csrf = csrf();
    return window.htmx.ajax("POST", "/conversations/" + id + "/change", {
      target: target,
      swap: "outerHTML",
      values: values,
      headers: { "X-CSRF-Token": csrf() }
    });
  }

  // Marks the selected conversation done, redraws the list and counts, selects the next one.
  function close() {
    var row = current();
    if (!row || !window.htmx) return;
    var id = row.getAttribute("data-id");
    var all = rows();
    var i = all.indexOf(row);
    var after = all[i + 1] || all[i - 1];
    var nextId = after ? after.getAttribute("data-id") : null;
    var field = document.getElementById("field-status-" + id);
    var target = field ? "#field-status-" + id : "#row-state-" + id;
    post(id, { field: "status", status: "done" }, target).then(function () {
      var url = new URL(window.location.href);
      url.searchParams.delete("c");
      return window.htmx.ajax("GET", url.pathname + url.search, { target: "#inbox-main", select: "#inbox-main", swap: "outerHTML" });
    }).then(function () {
      var next = nextId ? document.getElementById("row-" + nextId) : null;
      if (!next) next = rows()[0];
      if (next) open(next);
      else {
        var pane = document.getElementById("pane");
        if (pane) pane.innerHTML = '<div class="pane-empty"><p class="pane-empty__title">Nothing more to do here.</p></div>';
      }
    });
  }

  function assignToMe() {
    var row = current();
    if (!row || !window.htmx) return;
    var id = row.getAttribute("data-id");
    var field = document.getElementById("field-assignee-" + id);
    post(id, { field: "assignee", assignee: "me" }, field ? "#field-assignee-" + id : "#row-state-" + id);
  }

  function chooseAssignee() {
    var row = current();
    if (!row) return;
    var menu = document.getElementById("assignee-" + row.getAttribute("data-id"));
    if (menu) menu.focus();
  }

  function showKeys() {
    var d = document.getElementById("inbox-keys");
    if (d && typeof d.showModal === "function" && !d.open) d.showModal();
  }

  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("keydown", function (e) {
    if (!document.querySelector(".inbox-layout")) return;
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (typing(e.target)) return;
    var d = document.getElementById("inbox-keys");
    if (d && d.open) return;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
      case "Enter": {
        if (e.key === "Enter" && e.target.closest && e.target.closest("a, button, summary")) return;
        var row = current();
        if (!row) return;
        window.location.href = row.querySelector(".inbox-row__link").getAttribute("href");
        break;
      }
      case "e": close(); break;
      case "a": assignToMe(); break;
      case "A": chooseAssignee(); break;
      case "/": {
        var f = document.querySelector(".inbox-filters");
        if (!f) return;
        f.open = true;
        var first = f.querySelector("select, input");
        if (first) first.focus();
        break;
      }
      case "?": showKeys(); break;
      default: return;
    }
    e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    var opener = e.target.closest && e.target.closest("[data-inbox-keys]");
    if (opener) {
      showKeys();
      return;
    }
    var link = e.target.closest && e.target.closest(".inbox-row__link");
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    if (!wide() || !window.htmx) return;
    e.preventDefault();
    open(link.closest(".inbox-row"));
  });
})();
