// The judge's page: keys for scoring on a laptop, and a zoomable view of the drawing.
// Progressive enhancement: without JavaScript the 1–10 radios post as a plain form and the
// picture is a link to the full image, where the phone's own pinch zoom works.
// Keys: 1–9 and 0 (= 10) score the criterion in focus (or the first one without a score) and
// move on to the next; ↑ ↓ move between criteria (← → change the score, as radios do);
// Enter saves; + / − zoom the picture; Esc closes it.
(function () {
  "use strict";
  var form = document.querySelector("[data-score-form]");
  var groups = form ? Array.prototype.slice.call(form.querySelectorAll("[data-criterion]")) : [];
  var save = form ? form.querySelector("[data-save]") : null;
  var locked = groups.length > 0 && groups[0].disabled;

  function radios(group) {
    return Array.prototype.slice.call(group.querySelectorAll("input[type=radio]"));
  }
  function checked(group) {
    return group.querySelector("input[type=radio]:checked");
  }
  function groupOf(node) {
    for (var i = 0; i < groups.length; i++) if (groups[i].contains(node)) return i;
    return -1;
  }
  function firstEmpty() {
    for (var i = 0; i < groups.length; i++) if (!checked(groups[i])) return i;
    return -1;
  }
  function focusGroup(i) {
    var group = groups[i];
    if (!group) return;
    var target = checked(group) || radios(group)[0];
    target.focus({ preventScroll: true });
    group.scrollIntoView({ block: "nearest" });
  }
  function showError(i, text) {
    var slot = groups[i].querySelector("[data-error]");
    groups[i].classList.toggle("invalid", !!text);
    if (!slot) return;
    slot.textContent = text || "";
    slot.hidden = !text;
  }
  function setScore(i, value) {
    var input = groups[i].querySelector('input[type=radio][value="' + value + '"]');
    if (!input || input.disabled) return;
    input.checked = true;
    showError(i, "");
  }

  if (form && !locked) {
    form.addEventListener("change", function (event) {
      var i = groupOf(event.target);
      if (i >= 0) showError(i, "");
    });
    // Say which criterion lacks a score without a round trip (the server says it too).
    form.addEventListener("submit", function (event) {
      var missing = -1;
      groups.forEach(function (group, i) {
        if (!checked(group)) {
          showError(i, form.dataset.missing);
          if (missing < 0) missing = i;
        }
      });
      if (missing >= 0) {
        event.preventDefault();
        focusGroup(missing);
        return;
      }
      if (save) save.disabled = true; // one save per press
    });
    window.addEventListener("pageshow", function () { if (save) save.disabled = false; });
  }

  // A double tap on 确认申报回避 sends one request (the domain checks the assignment before
  // its transaction, so two at once could each hand the entry on).
  var conflict = document.querySelector("[data-conflict]");
  if (conflict) {
    conflict.addEventListener("submit", function () {
      var button = conflict.querySelector("button[type=submit]");
      if (button) setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  // ---- zoom -----------------------------------------------------------------------------
  var link = document.querySelector("[data-zoom]");
  var dialog = document.getElementById("zoom");
  var canZoom = !!(link && dialog && typeof dialog.showModal === "function");
  var stage = canZoom ? dialog.querySelector("[data-zoom-stage]") : null;
  var image = canZoom ? dialog.querySelector("[data-zoom-image]") : null;
  var level = canZoom ? dialog.querySelector("[data-zoom-level]") : null;
  var STEPS = [1, 1.5, 2, 3, 4, 6];
  var step = 0;

  function fitWidth() {
    var ratio = image.naturalWidth && image.naturalHeight ? image.naturalWidth / image.naturalHeight : 1;
    return Math.min(stage.clientWidth, stage.clientHeight * ratio);
  }
  // Zoom to STEPS[next], keeping the point (x, y) of the stage (default: its centre) in place.
  function zoomTo(next, x, y) {
    next = Math.max(0, Math.min(STEPS.length - 1, next));
    var before = image.getBoundingClientRect();
    var box = stage.getBoundingClientRect();
    x = x === undefined ? box.width / 2 : x;
    y = y === undefined ? box.height / 2 : y;
    var fx = before.width ? (box.left + x - before.left) / before.width : 0.5;
    var fy = before.height ? (box.top + y - before.top) / before.height : 0.5;
    step = next;
    stage.classList.toggle("fit", step === 0);
    stage.classList.toggle("max", step === STEPS.length - 1);
    image.style.width = step === 0 ? "" : Math.round(fitWidth() * STEPS[step]) + "px";
    if (level) level.textContent = Math.round(STEPS[step] * 100) + "%";
    if (step > 0) {
      var after = image.getBoundingClientRect();
      stage.scrollLeft += after.left + fx * after.width - (box.left + x);
      stage.scrollTop += after.top + fy * after.height - (box.top + y);
    }
  }
  function openZoom() {
    if (!canZoom) return;
    if (!image.getAttribute("src")) image.src = link.dataset.full;
    dialog.showModal();
    if (image.complete) zoomTo(0);
    else image.addEventListener("load", function () { zoomTo(0); }, { once: true });
  }

  if (canZoom) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openZoom();
    });
    image.addEventListener("click", function (event) {
      var box = stage.getBoundingClientRect();
      zoomTo(step === STEPS.length - 1 ? 0 : step + 1, event.clientX - box.left, event.clientY - box.top);
    });
    dialog.querySelector("[data-zoom-in]").addEventListener("click", function () { zoomTo(step + 1); });
    dialog.querySelector("[data-zoom-out]").addEventListener("click", function () { zoomTo(step - 1); });
    dialog.querySelector("[data-zoom-fit]").addEventListener("click", function () { zoomTo(0); });
    dialog.querySelector("[data-zoom-close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (link.querySelector("img")) link.focus({ preventScroll: true });
    });
    window.addEventListener("resize", function () { if (dialog.open) zoomTo(step); });
  }

  // ---- keys -----------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (canZoom && dialog.open) {
      if (key === "+" || key === "=") { zoomTo(step + 1); event.preventDefault(); }
      else if (key === "-" || key === "_") { zoomTo(step - 1); event.preventDefault(); }
      return; // Esc closes the dialog by itself
    }
    var target = event.target;
    if (target.closest && target.closest("textarea, select, summary, [data-conflict], input:not([type=radio])")) return;
    if ((key === "+" || key === "=") && canZoom) { openZoom(); event.preventDefault(); return; }
    if (!groups.length || locked) return;
    var i = groupOf(target);
    if (/^[0-9]$/.test(key)) {
      if (i < 0) i = firstEmpty();
      if (i < 0) return; // all scored and none in focus: a key changes nothing unseen
      setScore(i, key === "0" ? 10 : Number(key));
      if (i + 1 < groups.length) focusGroup(i + 1);
      else if (save) save.focus();
      event.preventDefault();
    } else if ((key === "ArrowDown" || key === "ArrowUp") && i >= 0) {
      focusGroup(key === "ArrowDown" ? Math.min(i + 1, groups.length - 1) : Math.max(i - 1, 0));
      event.preventDefault();
    } else if (key === "Enter" && (i >= 0 || target === document.body || target === save)) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit(save || undefined);
      else if (save) save.click();
    }
  });
})();
