// The pure decisions of the photo upload (assets/src/upload.js): how to compress a chosen photo,
// whether to send the compressed copy or the original, and the texts the guardian reads. No DOM
// and no imports, so that node --test can load it (tests/js/upload.test.js).

export const MAX_SIDE = 2400; // longest side of the copy sent (the server stores no more)
export const TARGET_MB = 3; // about this much at most (browser-image-compression's maxSizeMB)
export const QUALITY = 0.9; // the first JPEG quality tried (the server re-encodes at 88)
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MIN_SIDE = 600;
// browser-image-compression, while a result is over maxSizeMB, shrinks the canvas to 0.95 of its
// width and height (truncated to whole pixels) and the quality by 0.95, up to maxIteration times
// (10 when not given; 0 also means 10).
const SHRINK = 0.95;
const MAX_ITERATIONS = 10;
// What the server takes besides JPEG (it decodes each; this only says whether sending the
// original is an option when re-encoding made the file larger).
const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"];
const MIB = 1024 * 1024;

// The texts, Chinese first. A page may give its own (translated) ones as JSON in
// <script type="application/json" id="upload-strings">, with the same keys and {placeholders}.
export const TEXTS = {
  compressing: "正在压缩照片…",
  uploading: "正在上传 {percent}%",
  saving: "上传完成，正在保存…",
  compressed: "照片已压缩：{before} → {after}",
  original: "这张照片无法在本机压缩，将上传原图",
  tooBig: "照片超过 {mb} MB，请换一张",
  progressLabel: "上传进度",
  network: "网络出错，作品还没有提交。请检查网络后再点一次提交。",
};

/** The text `key` with its {placeholders} filled, from `texts` (a page's) or TEXTS. */
export function say(key, values = {}, texts = {}) {
  let text = typeof texts[key] === "string" ? texts[key] : TEXTS[key] || key;
  for (const name of Object.keys(values)) text = text.split(`{${name}}`).join(String(values[name]));
  return text;
}

/** "1.2 MB" (one decimal below 10 MB, whole megabytes above). */
export function megabytes(bytes) {
  const mb = bytes / MIB;
  if (mb >= 10) return `${Math.round(mb)} MB`;
  return `${Math.max(mb, 0.1).toFixed(1)} MB`;
}

/** The form's limits from its data-max-bytes and data-min-side (the defaults if absent or bad). */
export function limitsOf(dataset) {
  const whole = (value, fallback) => {
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  return {
    maxBytes: whole(dataset.maxBytes, DEFAULT_MAX_BYTES),
    minSide: whole(dataset.minSide, DEFAULT_MIN_SIDE),
  };
}

/** [width, height] after the library's maxWidthOrHeight step (it never enlarges). */
export function scaledSize(width, height, maxWidthOrHeight) {
  if (width <= maxWidthOrHeight && height <= maxWidthOrHeight) return [width, height];
  if (width > height) return [maxWidthOrHeight, Math.trunc((height / width) * maxWidthOrHeight)];
  return [Math.trunc((width / height) * maxWidthOrHeight), maxWidthOrHeight];
}

/** How many 0.95 shrinks keep a shorter side of `side` pixels at least `minSide` (≤ 10). */
export function shrinksAllowed(side, minSide) {
  let n = 0;
  while (n < MAX_ITERATIONS && Math.trunc(side * SHRINK) >= minSide) {
    side = Math.trunc(side * SHRINK);
    n += 1;
  }
  return n;
}

/**
 * What to do with a chosen photo of `width` × `height` pixels (as the browser decoded it):
 * {action: "compress", options} for browser-image-compression, or {action: "original", reason}
 * to send it as it is: "small" (its shorter side is under minSide: never enlarged, the server
 * says why it is refused) or "fits" (a JPEG already within the size and side wanted).
 */
export function compressionPlan({ width, height }, { size, type }, { minSide }) {
  const shorter = Math.min(width, height);
  const longer = Math.max(width, height);
  if (shorter < minSide) return { action: "original", reason: "small" };
  if (type === "image/jpeg" && longer <= MAX_SIDE && size <= TARGET_MB * MIB) {
    return { action: "original", reason: "fits" };
  }
  // A long narrow picture keeps its shorter side: the longest side may then exceed MAX_SIDE.
  const keepShorter = Math.ceil((longer * minSide) / shorter);
  let maxWidthOrHeight = Math.min(longer, Math.max(MAX_SIDE, keepShorter));
  while (Math.min(...scaledSize(width, height, maxWidthOrHeight)) < minSide) maxWidthOrHeight += 1;
  const side = Math.min(...scaledSize(width, height, maxWidthOrHeight));
  const shrinks = shrinksAllowed(side, minSide);
  return {
    action: "compress",
    options: {
      maxSizeMB: TARGET_MB,
      maxWidthOrHeight,
      // No shrink allowed: the library may then lower only the quality, never the size.
      maxIteration: shrinks || MAX_ITERATIONS,
      alwaysKeepResolution: shrinks === 0,
      fileType: "image/jpeg",
      initialQuality: QUALITY,
      // The worker would fetch the library's code from a CDN (its libURL); the main thread
      // runs the same code from this bundle.
      useWebWorker: false,
    },
  };
}

/**
 * What to send for `original` (a File-like {size, type}) after `outcome`: {kind: "compressed",
 * file, shorter} (shorter: the copy's shorter side as decoded, if it could be), {kind: "failed"}
 * (not decodable here, or the library threw) or {kind: "skipped"}. Returns {send: "compressed" |
 * "original", note} or {refuse}, where note and refuse are [key, values] of a text to show
 * (note [] for none); refused when nothing within maxBytes can be sent.
 */
export function chooseUpload(original, outcome, { maxBytes, minSide }) {
  const tooBig = { refuse: ["tooBig", { mb: Math.round(maxBytes / MIB) }] };
  const file = outcome.kind === "compressed" ? outcome.file : null;
  // A copy smaller than the server takes (it should not happen: compressionPlan) is not sent.
  const usable = file && !(outcome.shorter < minSide);
  if (usable) {
    // Re-encoding made it no smaller (a HEIC, a flat PNG): the original is as good to send.
    const originalIsBetter =
      original.size <= file.size &&
      original.size <= maxBytes &&
      ACCEPTED_TYPES.includes(original.type);
    if (originalIsBetter) return { send: "original", note: [] };
    if (file.size > maxBytes) return tooBig;
    const sizes = { before: megabytes(original.size), after: megabytes(file.size) };
    return { send: "compressed", note: ["compressed", sizes] };
  }
  if (original.size > maxBytes) return tooBig;
  return { send: "original", note: outcome.kind === "failed" ? ["original", {}] : [] };
}

/** Whole percent of an upload (0 while the total is unknown). */
export function percent(loaded, total) {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.floor((loaded / total) * 100)));
}

/**
 * After the POST: "go" to the page the server redirected to (303, followed by the request) or
 * "show" the answer in place (a 422/409 page with its messages, at the action's own address).
 */
export function afterResponse(responseURL, actionURL) {
  if (!responseURL) return "show";
  return stripHash(responseURL) === stripHash(actionURL) ? "show" : "go";
}

function stripHash(url) {
  const at = url.indexOf("#");
  return at < 0 ? url : url.slice(0, at);
}
