// The scanner's screen: the answer over the whole screen (with a sound and a vibration), the
// counters, the camera's note, and the page's strings (`t`).
const SHOW_MS = 1500;

const strings = JSON.parse((document.getElementById("scanner-strings") || {}).textContent || "{}");

export const $ = (selector) => document.querySelector(selector);

export function t(key, values) {
  let text = strings[key] || key;
  for (const name in values || {}) text = text.replace(`{${name}}`, values[name]);
  return text;
}

export function clock(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const today = new Date().toDateString() === at.toDateString();
  return today ? time : `${at.getMonth() + 1}/${at.getDate()} ${time}`;
}

let hideTimer = 0;
let showingUntil = 0;
const shown = []; // every answer shown, for tests

export function show(answer) {
  shown.push(answer);
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
  showingUntil = Date.now() + SHOW_MS;
  feedback(tone);
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hide, SHOW_MS);
}

export function hide() {
  $("#answer").hidden = true;
  showingUntil = 0;
}

/** Whether an answer is on the screen (the camera waits meanwhile). */
export function showing() {
  return Date.now() < showingUntil;
}

export function answers() {
  return shown.slice();
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

export function showCounts(counts) {
  for (const key in counts) {
    const cell = document.querySelector(`[data-count="${key}"]`);
    if (cell) cell.textContent = String(counts[key]);
  }
}

export function bumpCounts(people, unknown) {
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

export function note(text) {
  $("[data-camera-note]").textContent = text;
}

