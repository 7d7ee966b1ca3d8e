// The photo upload of a contest entry (the submission page and the entry page's 更换照片), as a
// progressive enhancement of a plain multipart form marked `data-upload`: without JavaScript
// the form posts the original file. With it, a chosen photo is previewed, compressed in the
// browser (a JPEG of at most 2400 px on its longest side, about 3 MB, its EXIF orientation
// applied, never under data-min-side on its shorter side) and sent with the form's other fields
// by XMLHttpRequest, with a progress bar. A photo this browser cannot decode or compress (HEIC
// in Chrome, a damaged file) goes as it is. The decisions are in upload_rules.js (tested by
// node --test); this file is the DOM and the requests.
//
// browser-image-compression runs on the main thread (useWebWorker: false): its worker would
// load the library's code from a CDN (libURL), and nothing here may come from another host.
import imageCompression from "browser-image-compression";
import { afterResponse, chooseUpload, compressionPlan, limitsOf, percent, say } from "./upload_rules.js";

const COMPRESSED_NAME = "drawing.jpg";
const STATUS_EVERY_MS = 400; // the live region is read aloud: not every percent

function pageTexts() {
  try {
    return JSON.parse((document.getElementById("upload-strings") || {}).textContent || "{}");
  } catch (_error) {
    return {};
  }
}

/** {width, height} as this browser decodes `file` (shown in `img` on the way), or null. */
function measure(file, url, img, signal) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (size) => {
      if (settled) return;
      settled = true;
      img.onload = img.onerror = null;
      resolve(size);
    };
    signal.addEventListener("abort", () => done(null));
    img.onload = () => done(img.naturalWidth && img.naturalHeight ? { width: img.naturalWidth, height: img.naturalHeight } : null);
    // Some browsers decode in createImageBitmap what an <img> will not show.
    img.onerror = () => bitmapSize(file).then(done);
    img.src = url;
  });
}

/** {width, height} of an image blob by createImageBitmap, or null where it cannot tell. */
async function bitmapSize(blob) {
  if (typeof createImageBitmap !== "function") return null;
  try {
    const bitmap = await createImageBitmap(blob);
    const size = { width: bitmap.width, height: bitmap.height };
    if (bitmap.close) bitmap.close();
    return size;
  } catch (_error) {
    return null;
  }
}

function setUp(form, texts) {
  const input = form.querySelector('input[type="file"][name="image"]');
  if (!input) return;
  const box = input.closest("[data-upload-box]") || form;
  const preview = box.querySelector("[data-upload-preview]");
  const bar = box.querySelector("[data-upload-progress]");
  const status = box.querySelector("[data-upload-status]");
  const button = form.querySelector("[data-upload-submit]");
  const limits = limitsOf(form.dataset);
  if (bar && !bar.hasAttribute("aria-label")) bar.setAttribute("aria-label", say("progressLabel", {}, texts));

  let chosen = null; // {file, url, controller, ready: Promise<what to send | null>}
  let sending = false;

  const show = (text) => {
    if (status) status.textContent = text;
  };
  const showKey = ([key, values] = []) => show(key ? say(key, values, texts) : "");
  const lock = (locked) => {
    sending = locked;
    if (button) button.disabled = locked;
    input.disabled = locked;
  };

  function choose(file) {
    if (chosen) {
      chosen.controller.abort();
      URL.revokeObjectURL(chosen.url);
    }
    chosen = null;
    show("");
    if (preview) {
      preview.hidden = true;
      preview.removeAttribute("src");
    }
    if (!file) return;
    const entry = { file, url: URL.createObjectURL(file), controller: new AbortController() };
    entry.ready = prepare(entry);
    chosen = entry;
  }

  async function prepare(entry) {
    const { file, controller } = entry;
    const signal = controller.signal;
    const size = await measure(file, entry.url, preview || new Image(), signal);
    if (signal.aborted) return null;
    if (size && preview) preview.hidden = false;
    let outcome = { kind: "failed" };
    if (size) {
      const plan = compressionPlan(size, file, limits);
      if (plan.action === "compress") {
        show(say("compressing", {}, texts));
        try {
          const compressed = await imageCompression(file, { ...plan.options, signal });
          const got = await bitmapSize(compressed); // checked, not trusted: see chooseUpload
          const shorter = got ? Math.min(got.width, got.height) : undefined;
          outcome = { kind: "compressed", file: compressed, shorter };
        } catch (_error) {
          if (signal.aborted) return null;
        }
      } else {
        outcome = { kind: "skipped" };
      }
    }
    if (signal.aborted) return null;
    const choice = chooseUpload(file, outcome, limits);
    showKey(choice.refuse || choice.note);
    if (choice.send === "compressed") return { ...choice, file: outcome.file, name: COMPRESSED_NAME };
    return { ...choice, file, name: file.name };
  }

  function send(data) {
    const action = new URL(form.getAttribute("action") || "", document.baseURI).href;
    const xhr = new XMLHttpRequest();
    let shownAt = 0;
    xhr.open("POST", action);
    // The same token as the form's field, read by the CSRF check without parsing the body.
    const token = data.get("_csrf_token");
    if (typeof token === "string" && token) xhr.setRequestHeader("X-CSRFToken", token);
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
    show(say("uploading", { percent: 0 }, texts));
    xhr.upload.onprogress = (event) => {
      const done = percent(event.loaded, event.lengthComputable ? event.total : 0);
      if (bar) bar.value = done;
      const now = Date.now();
      if (now - shownAt >= STATUS_EVERY_MS || done === 100) {
        shownAt = now;
        show(say("uploading", { percent: done }, texts));
      }
    };
    xhr.upload.onload = () => {
      if (bar) bar.value = 100;
      show(say("saving", {}, texts));
    };
    xhr.onload = () => {
      if (afterResponse(xhr.responseURL, action) === "go") {
        window.location.assign(xhr.responseURL);
        return;
      }
      // The server's page with its messages (422, 409, …), as if the form had posted.
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = xhr.onabort = xhr.ontimeout = () => {
      if (bar) bar.hidden = true;
      show(say("network", {}, texts));
      lock(false);
    };
    xhr.send(data);
  }

  input.addEventListener("change", () => choose(input.files && input.files[0]));

  form.addEventListener("submit", async (event) => {
    const file = input.files && input.files[0];
    if (!file) return; // nothing chosen: the plain form posts and the server says what is missing
    event.preventDefault();
    if (sending) return;
    if (!chosen || chosen.file !== file) choose(file);
    const data = new FormData(form); // every field, the CSRF token included, before the lock
    lock(true); // the file input too: the choice cannot change while it is being prepared
    const choice = await chosen.ready;
    if (!choice || choice.refuse) {
      if (choice) showKey(choice.refuse);
      lock(false);
      return;
    }
    data.set("image", choice.file, choice.name);
    send(data);
  });

  // Back to this page from the entry's (the back-forward cache keeps it as it was left).
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    if (bar) bar.hidden = true;
    show("");
    lock(false);
  });

  if (input.files && input.files[0]) choose(input.files[0]); // a photo kept by the browser
}

function start() {
  const needed = [window.FormData, window.XMLHttpRequest, window.AbortController, window.URL];
  if (needed.some((thing) => typeof thing !== "function")) return; // the plain form then
  const texts = pageTexts();
  for (const form of document.querySelectorAll("form[data-upload]")) setUp(form, texts);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
