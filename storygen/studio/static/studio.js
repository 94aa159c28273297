/* storygen studio, helper "live": the composer's live rules panel and its segment view.
   Vendored, no build step. Without JavaScript the composer is an ordinary form: the body
   is a text area and the panels show what the saved story looks like. */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var form = live.closest("form");
  var body = document.getElementById("body");
  var panel = document.getElementById("live-panel");
  var announce = document.getElementById("live-announce");
  var DELAY = 250;            // ms after the last keystroke
  var timer = null;
  var sent = 0;               // the newest request; older answers are dropped

  function say(text) {
    if (announce.textContent !== text) { announce.textContent = text; }
  }

  function post(url) {
    var data = new URLSearchParams(new FormData(form));
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {"Content-Type": "application/x-www-form-urlencoded"}});
  }

  function refresh() {
    var mine = ++sent;
    post(live.dataset.live).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null || mine !== sent) { return; }
      var before = panel.querySelector("[data-summary]");
      before = before ? before.textContent : "";
      panel.innerHTML = html;        // server-rendered, every project text escaped there
      panel.setAttribute("data-fresh", String(mine));
      var after = panel.querySelector("[data-summary]");
      // Announce only when the verdict changes, not on every keystroke.
      if (after && after.textContent !== before) { say(after.textContent); }
    }).catch(function () { /* the studio stopped: the page still works as a form */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);

  /* --- segment view ------------------------------------------------------- */
  var sw = live.querySelector(".view-switch");
  var showSegments = document.getElementById("show-segments");
  var showText = document.getElementById("show-text");
  var view = document.getElementById("segment-view");
  var list = document.getElementById("segment-list");
  var textField = body.closest("p") || body;
  var parts = null;

  sw.hidden = false;

  function items() { return Array.prototype.slice.call(list.querySelectorAll("li.seg")); }

  function name(li) {
    var kind = li.querySelector(".seg-kind");
    return kind ? kind.textContent.trim() : "segment";
  }

  function rebuild() {
    // The body again: the same paragraphs in the new order, the blank lines where they were.
    var order = items().map(function (li) { return Number(li.dataset.index); });
    var out = parts.lead;
    order.forEach(function (i, n) {
      if (n) { out += parts.glue[n - 1]; }
      out += parts.raw[i];
    });
    body.value = out + parts.tail;
    later();
  }

  function move(li, step) {
    var all = items();
    var at = all.indexOf(li);
    var to = at + step;
    if (to < 0 || to >= all.length) {
      say(name(li) + " is already " + (step < 0 ? "first." : "last."));
      return;
    }
    if (step < 0) { list.firstElementChild.insertBefore(li, all[to]); }
    else { list.firstElementChild.insertBefore(li, all[to].nextSibling); }
    rebuild();
    say(name(li) + " moved to position " + (to + 1) + " of " + all.length + ".");
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-move]");
    if (!button) { return; }
    var li = button.closest("li.seg");
    move(li, Number(button.dataset.move));
    button.focus();              // focus follows the moved segment
  });

  var dragged = null;
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("li.seg");
    if (dragged) {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.index);
      dragged.classList.add("dragging");
    }
  });
  list.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
  });
  list.addEventListener("dragover", function (event) {
    if (dragged) { event.preventDefault(); }
  });
  list.addEventListener("drop", function (event) {
    var target = event.target.closest("li.seg");
    if (!dragged || !target || target === dragged) { return; }
    event.preventDefault();
    var all = items();
    var from = all.indexOf(dragged);
    var to = all.indexOf(target);
    list.firstElementChild.insertBefore(dragged, from < to ? target.nextSibling : target);
    rebuild();
    say(name(dragged) + " moved to position " + (to + 1) + " of " + all.length + ".");
  });

  showSegments.addEventListener("click", function () {
    post(live.dataset.segments).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null) { return; }
      list.innerHTML = html;      // server-rendered, escaped there
      var ol = list.querySelector("ol");
      parts = ol ? JSON.parse(ol.dataset.parts) : null;
      if (!parts) { return; }
      view.hidden = false;
      textField.hidden = true;
      showSegments.hidden = true;
      showText.hidden = false;
      var first = list.querySelector("button[data-move]");
      (first || showText).focus();
    });
  });

  showText.addEventListener("click", function () {
    view.hidden = true;
    textField.hidden = false;
    showText.hidden = true;
    showSegments.hidden = false;
    body.focus();
  });
}());
