// Tickets remembered on this device (localStorage), so 我的报名 lists them before any phone check.
// An entry: {token, id, event, title, time, status, statusText}. Text is only ever set with
// textContent, never as HTML.
(function () {
  var KEY = "ce_tickets";
  var MAX = 30;

  function load() {
    try {
      var list = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (t) { return t && typeof t.token === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }
  function save(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, MAX))); } catch (e) { /* private mode */ }
  }

  // The ticket page: remember (or refresh) this ticket.
  var memo = document.querySelector("[data-remember-ticket]");
  if (memo) {
    var d = memo.dataset;
    var list = load().filter(function (t) { return t.token !== d.token; });
    list.unshift({
      token: d.token, id: Number(d.id), event: Number(d.event), title: d.title,
      time: d.time, status: d.status, statusText: d.statusText
    });
    save(list);
  }

  // The scan page: a link to the full ticket when this device holds it.
  var own = document.querySelector("[data-ticket-id]");
  if (own) {
    var id = Number(own.dataset.ticketId);
    var event = Number(own.dataset.event);
    var mine = load().filter(function (t) { return t.id === id && t.event === event; })[0];
    if (mine) {
      own.querySelector("a").href = "/t/" + encodeURIComponent(mine.token);
      own.hidden = false;
    }
  }

  // 我的报名: the remembered tickets not already listed from the server.
  var box = document.querySelector("[data-local-tickets]");
  if (box) {
    var shown = {};
    document.querySelectorAll(".my-item[data-token]").forEach(function (li) { shown[li.dataset.token] = true; });
    var items = load().filter(function (t) { return !shown[t.token]; });
    var ul = box.querySelector("[data-local-list]");
    var template = box.querySelector("template[data-local-item]");
    items.forEach(function (t) {
      var li = template.content.firstElementChild.cloneNode(true);
      li.querySelector("a").href = "/t/" + encodeURIComponent(t.token);
      li.querySelector(".title").textContent = t.title || "";
      li.querySelector(".meta").textContent = [t.time, t.statusText].filter(Boolean).join(" · ");
      ul.appendChild(li);
    });
    if (items.length) box.hidden = false;
    var clear = box.querySelector("[data-local-clear]");
    clear.addEventListener("click", function () {
      if (!window.confirm(clear.dataset.confirm)) return;
      save([]);
      box.hidden = true;
    });
  }

  // A form sent back with errors: move to the summary so the first thing read is what to fix.
  var summary = document.getElementById("error-summary") || document.getElementById("refusal");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();
