// The door-staff scanner: camera → QR text → answer on the whole screen, online or offline.
//
// Online, every scan is POSTed to /checkin/<event>/scan with a random nonce (a retry is never
// counted twice). Without a network (or when a request fails), the scan is decided here the way
// the server decides — invalid → wrong_event → cancelled → not_confirmed → duplicate → ok —
// by decide.js from the event's offline data (public key, confirmed / revoked / waitlisted
// lists) and this device's earlier scans, and queued in IndexedDB; the queue is uploaded to
// /sync when the network returns and each scan is removed only once the server has answered it.
// The answer screen is screen.js's, the camera camera.js's.
import { createStore, get, set, update } from "idb-keyval";
import { cameraOn, startCamera, stopCamera, toggleTorch } from "./camera.js";
import { decide, listsOf } from "./decide.js";
import { call, deviceId, randomId } from "./net.js";
import { $, answers, bumpCounts, clock, hide, note, show, showCounts, showing, t } from "./screen.js";
import { makeVerifier, parseCode, parseTicket, usesNativeCrypto, verifyEngine } from "./ticket.js";

const SAME_TEXT_MS = 3000;
const SYNC_RETRY_MS = 20000;
const DATA_REFRESH_MS = 60000;

const root = document.getElementById("scanner");
const eventId = root ? Number(root.dataset.eventId) : 0;
const store = createStore("canal-checkin", "kv");
const keys = {
  data: `data:${eventId}`,
  queue: `queue:${eventId}`,
  seen: `seen:${eventId}`,
  sync: `synced:${eventId}`,
};

const state = {
  data: null, // the offline data of the event
  verifier: null,
  verifierKey: null,
  seen: {}, // registration id → first time scanned on this device (offline)
  online: navigator.onLine,
  busy: false,
  lastText: "",
  lastTextAt: 0,
  syncing: null,
};

// ---- offline data -------------------------------------------------------------------------

async function useData(data) {
  state.data = data;
  if (state.verifierKey !== data.public_key) {
    state.verifier = await makeVerifier(data.public_key);
    state.verifierKey = data.public_key;
  }
  if (data.counts) showCounts(data.counts);
}

async function loadData() {
  try {
    const data = await call("GET", "/data");
    await set(keys.data, data, store);
    await useData(data);
    setOnline(true);
    return true;
  } catch (error) {
    if (!state.data) {
      const stored = await get(keys.data, store).catch(() => null);
      if (stored) await useData(stored);
    }
    if (!error.status) setOnline(false);
    return false;
  }
}

// ---- deciding -----------------------------------------------------------------------------

/** {valid, eventId, registrationId} of a QR text, checked with this event's public key. */
async function verifyTicket(text) {
  const ticket = parseTicket(text);
  if (!ticket) return { valid: false, eventId: null, registrationId: null };
  const answer = { valid: false, eventId: ticket.eventId, registrationId: ticket.registrationId };
  if (!state.verifier || ticket.eventId !== eventId) return answer;
  answer.valid = await state.verifier(ticket.body, ticket.signature);
  return answer;
}

/** What a scan names, as decide() takes it (null: nothing could be read). */
async function ticketOf(scan) {
  if (scan.qr !== undefined) {
    const check = await verifyTicket(scan.qr);
    return check.registrationId ? { way: "qr", ...check } : null;
  }
  if (scan.code !== undefined) {
    const id = parseCode(scan.code);
    return id ? { way: "code", registrationId: id } : null;
  }
  return scan.registration_id ? { way: "search", registrationId: scan.registration_id } : null;
}

/** The answer the server would give, from the downloaded lists and this device's scans. */
async function decideOffline(scan) {
  const ticket = await ticketOf(scan);
  const answer = decide(state.data, ticket, state.seen, eventId, new Date().toISOString());
  if (answer.result === "ok") {
    state.seen[ticket.registrationId] = answer.checked_in_at;
    await set(keys.seen, state.seen, store).catch(() => {});
    if (answer.registration) {
      bumpCounts(answer.registration.party_size);
    } else {
      bumpCounts(1, true);
    }
  }
  return answer;
}

// ---- queue and sync -----------------------------------------------------------------------

async function queueLength() {
  const queue = (await get(keys.queue, store).catch(() => null)) || [];
  return queue.length;
}

async function enqueue(scan) {
  await update(keys.queue, (queue) => [...(queue || []), scan], store);
  await showQueue();
}

async function showQueue() {
  $("[data-queue]").textContent = String(await queueLength());
  const last = await get(keys.sync, store).catch(() => null);
  $("[data-last-sync]").textContent = last ? clock(last) : "—";
}

function sync() {
  if (!state.syncing) {
    state.syncing = doSync().finally(() => {
      state.syncing = null;
    });
  }
  return state.syncing;
}

async function doSync() {
  const queue = (await get(keys.queue, store).catch(() => null)) || [];
  if (queue.length) {
    let answer;
    try {
      answer = await call("POST", "/sync", { device: deviceId(), scans: queue.slice(0, 500) });
    } catch (error) {
      if (!error.status) setOnline(false);
      else if (error.status === 401 || error.status === 403) note(t("need_login"));
      return false;
    }
    setOnline(true);
    const answered = new Set(answer.results.map((r) => r.nonce));
    await update(keys.queue, (q) => (q || []).filter((scan) => !answered.has(scan.nonce)), store);
    await set(keys.sync, new Date().toISOString(), store);
    showCounts(answer.counts);
  }
  const fresh = await loadData();
  if (fresh) {
    state.seen = {};
    const left = (await get(keys.queue, store).catch(() => null)) || [];
    for (const scan of left) {
      const id = scan.registration_id || scan.registration_hint;
      if (id && !state.seen[id]) state.seen[id] = scan.scanned_at;
    }
    await set(keys.seen, state.seen, store).catch(() => {});
    if (!queue.length) await set(keys.sync, new Date().toISOString(), store);
  }
  await showQueue();
  return fresh;
}

// ---- one scan -----------------------------------------------------------------------------

async function submit(way) {
  const scan = { nonce: randomId(), ...way };
  let answer = null;
  if (navigator.onLine) {
    try {
      answer = await call("POST", "/scan", { ...scan, device: deviceId() });
      setOnline(true);
      if (answer.counts) showCounts(answer.counts);
      if (answer.result === "ok" && answer.registration) {
        markSeen(answer.registration.id, answer.checked_in_at);
      }
    } catch (error) {
      if (error.status) {
        answer = { result: "error", detail: error.message };
      } else {
        setOnline(false);
      }
    }
  }
  if (!answer) {
    answer = await decideOffline(scan);
    const queued = { ...scan, scanned_at: new Date().toISOString() };
    const ticket = scan.qr !== undefined ? parseTicket(scan.qr) : null;
    const hint = ticket ? ticket.registrationId : scan.code !== undefined ? parseCode(scan.code) : null;
    if (hint) queued.registration_hint = hint;
    if (answer.result === "ok" || answer.result === "duplicate") {
      const id = answer.registration ? answer.registration.id : ticket && ticket.registrationId;
      if (id && !state.seen[id]) state.seen[id] = queued.scanned_at;
    }
    await enqueue(queued);
  }
  show(answer);
  return answer;
}

function markSeen(id, at) {
  const lists = listsOf(state.data);
  if (lists && lists.confirmed.has(id)) {
    const p = lists.confirmed.get(id);
    if (!p.checked_in_at) p.checked_in_at = at;
  } else {
    state.seen[id] = at;
  }
}

function busy() {
  return state.busy;
}

async function onText(text) {
  const now = Date.now();
  if (state.busy || showing()) return;
  if (text === state.lastText && now - state.lastTextAt < SAME_TEXT_MS) return;
  state.lastText = text;
  state.lastTextAt = now;
  state.busy = true;
  try {
    await submit({ qr: text });
  } finally {
    state.busy = false;
    state.lastTextAt = Date.now();
  }
}

function setOnline(online) {
  // A request that started before the network went away can still succeed afterwards: the
  // browser's own flag has the last word, so such a late answer does not show 在线.
  online = online && navigator.onLine;
  state.online = online;
  const pill = $("[data-net]");
  pill.dataset.net = online ? "online" : "offline";
  pill.textContent = online ? t("online") : t("offline");
}

// ---- manual entry -------------------------------------------------------------------------

async function onCode(event) {
  event.preventDefault();
  const input = event.target.elements.code;
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  // A pasted ticket link or payload is a QR text; anything else is a manual code.
  await submit(parseTicket(text) || text.includes("/c/") ? { qr: text } : { code: text });
}

async function onSearch(event) {
  event.preventDefault();
  const form = event.target;
  const last4 = form.elements.last4.value.trim();
  const name = form.elements.name.value.trim();
  const error = $("[data-search-error]");
  const list = $("[data-people]");
  error.hidden = true;
  list.textContent = "";
  let people;
  try {
    const query = new URLSearchParams({ last4, name });
    people = await call("GET", `/search?${query}`);
  } catch (failure) {
    if (failure.status) {
      error.textContent = failure.message;
      error.hidden = false;
      return;
    }
    setOnline(false);
    error.textContent = t("search_offline");
    error.hidden = false;
    people = state.data
      ? state.data.confirmed
          .filter((p) => p.phone_last4 === last4)
          .map((p) => ({ ...p, status: "confirmed", phone: `*${p.phone_last4}` }))
      : [];
  }
  if (!people.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = t("nobody");
    list.append(li);
    return;
  }
  for (const p of people) {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${p.name} · ${p.phone || ""} · ${t("party", { n: p.party_size })} · ${
      p.checked_in_at ? t("checked_in") : t(`status_${p.status}`)
    }`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button primary small";
    button.textContent = t("check_in");
    button.addEventListener("click", async () => {
      list.textContent = "";
      form.reset();
      await submit({ registration_id: p.id });
    });
    li.append(label, button);
    list.append(li);
  }
}

// ---- start --------------------------------------------------------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/checkin/sw.js", { scope: "/checkin/" });
    // Keep this page and its assets for a reload without the network.
    const cache = await caches.open("canal-checkin-v1");
    const assets = Array.from(
      document.querySelectorAll('link[rel="stylesheet"], script[src]'),
      (el) => el.href || el.src,
    );
    // The page and the event list (the installed app starts there), never a login redirect.
    const keep = async (url) => {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok && !response.redirected) await cache.put(url, response);
    };
    await Promise.all([location.pathname, "/checkin/"].map((url) => keep(url).catch(() => {})));
    await Promise.all(assets.map((url) => cache.match(url).then((hit) => hit || cache.add(url)).catch(() => {})));
  } catch (_error) {
    /* no offline reload, scanning still works */
  }
}

async function start() {
  if (!root) return;
  setOnline(navigator.onLine);
  state.seen = (await get(keys.seen, store).catch(() => null)) || {};
  await loadData();
  await showQueue();
  $('[data-form="code"]').addEventListener("submit", onCode);
  $('[data-form="search"]').addEventListener("submit", onSearch);
  $('[data-action="camera"]').addEventListener("click", () => (cameraOn() ? stopCamera() : startCamera(onText, busy)));
  $('[data-action="torch"]').addEventListener("click", toggleTorch);
  $('[data-action="sync"]').addEventListener("click", () => sync());
  $("#answer").addEventListener("click", hide);
  window.addEventListener("online", () => {
    setOnline(true);
    sync();
  });
  window.addEventListener("offline", () => setOnline(false));
  setInterval(() => {
    if (navigator.onLine) sync();
  }, SYNC_RETRY_MS);
  setInterval(() => {
    if (navigator.onLine && !state.syncing) loadData();
  }, DATA_REFRESH_MS);
  if (navigator.onLine) sync();
  registerWorker();
  root.dataset.ready = "1";
  startCamera(onText, busy);
}

window.CanalScanner = {
  verifyTicket,
  submit: (text) => submit({ qr: text }),
  submitCode: (code) => submit({ code }),
  sync,
  queueLength,
  answers,
  lastAnswer: () => answers().pop() || null,
  nativeCrypto: usesNativeCrypto,
  verifyEngine,
  ready: null,
};
window.CanalScanner.ready = start();
