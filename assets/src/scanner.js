// The door-staff scanner: camera → QR text → answer on the whole screen, online or offline.
//
// Online, every scan is POSTed to /checkin/<event>/scan with a random nonce (a retry is never
// counted twice). Without a network (or when a request fails), the scan is decided here the way
// the server decides — invalid → wrong_event → cancelled → not_confirmed → duplicate → ok —
// by decide.js from the event's offline data (public key, confirmed / revoked / waitlisted
// lists) and this device's earlier scans, and queued in IndexedDB; the queue is uploaded to /sync when the network returns and each scan
// is removed only once the server has answered it.
import jsQR from "jsqr";
import { createStore, get, set, update } from "idb-keyval";
import { decide, listsOf } from "./decide.js";
import { makeVerifier, parseCode, parseTicket, usesNativeCrypto, verifyEngine } from "./ticket.js";

const SHOW_MS = 1500;
const SAME_TEXT_MS = 3000;
const FRAME_MS = 120;
const SYNC_RETRY_MS = 20000;
const DATA_REFRESH_MS = 60000;
const DECODE_WIDTH = 480;

const root = document.getElementById("scanner");
const eventId = root ? Number(root.dataset.eventId) : 0;
const strings = JSON.parse((document.getElementById("scanner-strings") || {}).textContent || "{}");
const store = createStore("canal-checkin", "kv");
const keys = {
  data: `data:${eventId}`,
  queue: `queue:${eventId}`,
  seen: `seen:${eventId}`,
  sync: `synced:${eventId}`,
};
const $ = (selector) => document.querySelector(selector);

const state = {
  data: null, // the offline data of the event
  verifier: null,
  verifierKey: null,
  seen: {}, // registration id → first time scanned on this device (offline)
  online: navigator.onLine,
  busy: false,
  showingUntil: 0,
  lastText: "",
  lastTextAt: 0,
  stream: null,
  track: null,
  torch: false,
  syncing: null,
  answers: [], // every answer shown, for tests
};

function t(key, values) {
  let text = strings[key] || key;
  for (const name in values || {}) text = text.replace(`{${name}}`, values[name]);
  return text;
}

function deviceId() {
  let id = "";
  try {
    id = localStorage.getItem("canal-device") || "";
    if (!id) {
      id = `d-${randomId().slice(0, 12)}`;
      localStorage.setItem("canal-device", id);
    }
  } catch (_error) {
    id = id || `d-${randomId().slice(0, 12)}`;
  }
  return id;
}

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : root.dataset.csrf || "";
}

async function call(method, path, body) {
  const response = await fetch(`/checkin/${eventId}${path}`, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json", "x-csrftoken": csrfToken() } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  let json = null;
  try {
    json = await response.json();
  } catch (_error) {
    json = null;
  }
  if (!response.ok) {
    const error = new Error((json && json.detail) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

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

async function onText(text) {
  const now = Date.now();
  if (state.busy || now < state.showingUntil) return;
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

// ---- showing ------------------------------------------------------------------------------

function clock(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const today = new Date().toDateString() === at.toDateString();
  return today ? time : `${at.getMonth() + 1}/${at.getDate()} ${time}`;
}

let hideTimer = 0;

function show(answer) {
  state.answers.push(answer);
  const box = $("#answer");
  const result = answer.result;
  const tone = result === "ok" ? "ok" : result === "duplicate" ? "warn" : "bad";
  box.className = `answer ${tone} result-${result}`;
  box.dataset.result = result;
  $("[data-answer-mark]").textContent = tone === "ok" ? "✓" : tone === "warn" ? "!" : "✕";
  $("[data-answer-title]").textContent = result === "error" ? t("error") : t(result);
  const who = answer.registration;
  $("[data-answer-name]").textContent = who
    ? `${who.name}${who.party_size > 1 || tone === "ok" ? ` · ${t("party", { n: who.party_size })}` : ""}`
    : "";
  let detail = "";
  if (result === "duplicate" && answer.checked_in_at) {
    detail = t("first_time", { time: clock(answer.checked_in_at) });
  } else if (result === "wrong_event" && answer.event) {
    detail = t("ticket_for", { title: answer.event.title, time: clock(answer.event.starts_at) });
  } else if (result === "error") {
    detail = answer.detail || "";
  } else if (answer.offline && answer.unknown) {
    detail = t("unknown_person");
  } else if (answer.offline && answer.unverified_code) {
    detail = t("code_offline");
  } else if (answer.offline) {
    detail = t("offline_ok");
  }
  $("[data-answer-detail]").textContent = detail;
  box.hidden = false;
  state.showingUntil = Date.now() + SHOW_MS;
  feedback(tone);
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hide, SHOW_MS);
}

function hide() {
  $("#answer").hidden = true;
  state.showingUntil = 0;
}

let audio = null;

function feedback(tone) {
  try {
    if (navigator.vibrate) navigator.vibrate(tone === "ok" ? 120 : [200, 80, 200]);
  } catch (_error) {
    /* not allowed without a gesture */
  }
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    const notes = tone === "ok" ? [[1320, 0, 0.12]] : tone === "warn" ? [[660, 0, 0.15], [660, 0.2, 0.15]] : [[220, 0, 0.35]];
    for (const [freq, start, length] of notes) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = tone === "bad" ? "square" : "sine";
      osc.frequency.value = freq;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + length);
    }
  } catch (_error) {
    /* no sound */
  }
}

function showCounts(counts) {
  for (const key in counts) {
    const cell = document.querySelector(`[data-count="${key}"]`);
    if (cell) cell.textContent = String(counts[key]);
  }
}

function bumpCounts(people, unknown) {
  const add = (key, n) => {
    const cell = document.querySelector(`[data-count="${key}"]`);
    if (cell) cell.textContent = String(Number(cell.textContent || 0) + n);
  };
  add("checked_in", 1);
  add("checked_in_people", people);
  if (unknown) {
    add("confirmed", 1);
    add("confirmed_people", people);
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

function note(text) {
  $("[data-camera-note]").textContent = text;
}

// ---- camera -------------------------------------------------------------------------------

let detector = null;
const canvas = document.createElement("canvas");
const context2d = canvas.getContext("2d", { willReadFrequently: true });

async function makeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (_error) {
    return null;
  }
}

async function readFrame(video) {
  if (detector) {
    const codes = await detector.detect(video);
    return codes.length ? codes[0].rawValue : null;
  }
  const scale = Math.min(1, DECODE_WIDTH / video.videoWidth);
  const width = Math.round(video.videoWidth * scale);
  const height = Math.round(video.videoHeight * scale);
  if (!width || !height) return null;
  canvas.width = width;
  canvas.height = height;
  context2d.drawImage(video, 0, 0, width, height);
  const image = context2d.getImageData(0, 0, width, height);
  const code = jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
  return code ? code.data : null;
}

async function startCamera() {
  const video = $("#camera-video");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    note(t("camera_denied"));
    return;
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (_error) {
    note(t("camera_denied"));
    return;
  }
  video.srcObject = state.stream;
  await video.play().catch(() => {});
  state.track = state.stream.getVideoTracks()[0];
  const caps = state.track && state.track.getCapabilities ? state.track.getCapabilities() : {};
  $('[data-action="torch"]').hidden = !caps.torch;
  $('[data-action="camera"]').textContent = t("camera_stop");
  root.dataset.camera = "on";
  note(t("camera_on"));
  detector = detector || (await makeDetector());
  loop(video, state.stream);
}

function stopCamera() {
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  state.stream = null;
  state.track = null;
  root.dataset.camera = "off";
  $('[data-action="camera"]').textContent = t("camera_start");
  $('[data-action="torch"]').hidden = true;
  note(t("camera_off"));
}

function loop(video, stream) {
  const tick = async () => {
    if (state.stream !== stream) return;
    if (!document.hidden && video.readyState >= 2 && !state.busy && Date.now() >= state.showingUntil) {
      try {
        const text = await readFrame(video);
        if (text) await onText(text);
      } catch (_error) {
        /* a frame that cannot be read */
      }
    }
    setTimeout(tick, FRAME_MS);
  };
  tick();
}

async function toggleTorch() {
  if (!state.track) return;
  state.torch = !state.torch;
  try {
    await state.track.applyConstraints({ advanced: [{ torch: state.torch }] });
  } catch (_error) {
    state.torch = false;
  }
  $('[data-action="torch"]').textContent = state.torch ? t("torch_on") : t("torch_off");
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
  $('[data-action="camera"]').addEventListener("click", () => (state.stream ? stopCamera() : startCamera()));
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
  startCamera();
}

window.CanalScanner = {
  verifyTicket,
  submit: (text) => submit({ qr: text }),
  submitCode: (code) => submit({ code }),
  sync,
  queueLength,
  answers: () => state.answers.slice(),
  lastAnswer: () => state.answers[state.answers.length - 1] || null,
  nativeCrypto: usesNativeCrypto,
  verifyEngine,
  ready: null,
};
window.CanalScanner.ready = start();
