// The photo upload's decisions (assets/src/upload_rules.js): the compression options chosen from a
// photo's size, "send the compressed copy or the original", and the texts. Run: node --test tests/js/
//
// upload_rules.js is an ES module in a package without "type": "module" and imports nothing: it
// is loaded from its text (as tests/js/decide.test.mjs loads decide.js), so this file can stay
// CommonJS and Node prints no module-type warning.
const assert = require("node:assert/strict");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { before, test } = require("node:test");

let rules;
before(async () => {
  const source = readFileSync(join(__dirname, "../../assets/src/upload_rules.js"), "utf8");
  rules = await import(`data:text/javascript,${encodeURIComponent(source)}`);
});

const MIB = 1024 * 1024;
const LIMITS = { maxBytes: 20 * MIB, minSide: 600 };

/**
 * The sides browser-image-compression 2.0.2 can end at with `options`, written out from its code
 * (dist/browser-image-compression.mjs, compress + handleMaxWidthOrHeight): the maxWidthOrHeight
 * step, then while over maxSizeMB up to maxIteration shrinks to 0.95 (canvas sides are whole
 * pixels, truncated), none when alwaysKeepResolution. The last pair is the smallest it can send.
 */
function librarySides(width, height, options) {
  let w = width;
  let h = height;
  const m = options.maxWidthOrHeight;
  if (w > m || h > m) {
    if (w > h) [w, h] = [m, Math.trunc((h / w) * m)];
    else [w, h] = [Math.trunc((w / h) * m), m];
  }
  const sides = [[w, h]];
  const rounds = options.alwaysKeepResolution ? 0 : options.maxIteration || 10;
  for (let i = 0; i < rounds; i++) {
    [w, h] = [Math.trunc(w * 0.95), Math.trunc(h * 0.95)];
    sides.push([w, h]);
  }
  return sides;
}

test("a 4000 x 3000 phone photo is compressed to a JPEG of 2400 px, on the main thread", () => {
  const plan = rules.compressionPlan({ width: 4000, height: 3000 }, { size: 5 * MIB, type: "image/jpeg" }, LIMITS);
  assert.equal(plan.action, "compress");
  const o = plan.options;
  assert.equal(o.maxWidthOrHeight, 2400);
  assert.equal(o.maxSizeMB, 3);
  assert.equal(o.fileType, "image/jpeg");
  assert.equal(o.useWebWorker, false, "the worker would load the library from a CDN");
  assert.equal(o.libURL, undefined);
  assert.deepEqual(librarySides(4000, 3000, o)[0], [2400, 1800]);
  // 1800 shrunk ten times is 1074: all ten shrinks are allowed.
  assert.equal(o.maxIteration, 10);
  assert.equal(o.alwaysKeepResolution, false);
});

test("a portrait photo keeps its orientation's sides: 3000 x 4000 becomes 1800 x 2400", () => {
  const plan = rules.compressionPlan({ width: 3000, height: 4000 }, { size: 4 * MIB, type: "image/heic" }, LIMITS);
  assert.equal(plan.action, "compress");
  assert.deepEqual(librarySides(3000, 4000, plan.options)[0], [1800, 2400]);
});

test("the shorter side never ends under data-min-side, whatever the library shrinks", () => {
  let checked = 0;
  for (const minSide of [600, 800]) {
    for (let shorter = minSide; shorter <= 3000; shorter += 37) {
      for (const ratio of [1, 1.1, 4 / 3, 1.5, 16 / 9, 2.5, 4, 7, 12.3]) {
        const longer = Math.round(shorter * ratio);
        for (const [width, height] of [[longer, shorter], [shorter, longer]]) {
          const plan = rules.compressionPlan({ width, height }, { size: 8 * MIB, type: "image/png" }, { ...LIMITS, minSide });
          assert.equal(plan.action, "compress", `${width}x${height}`);
          const o = plan.options;
          const sides = librarySides(width, height, o);
          const [w, h] = sides[sides.length - 1];
          assert.ok(Math.min(w, h) >= minSide, `${width}x${height} can end at ${w}x${h} (min ${minSide})`);
          // Never enlarged, and no larger than 2400 unless the shorter side needs it.
          assert.ok(o.maxWidthOrHeight <= Math.max(width, height));
          const [w0, h0] = sides[0];
          if (Math.max(w0, h0) > 2400) assert.ok(Math.min(w0, h0) < minSide + 2, `${width}x${height}: ${w0}x${h0}`);
          assert.notEqual(o.maxIteration, 0, "0 means 10 to the library");
          checked += 1;
        }
      }
    }
  }
  assert.ok(checked > 1000);
});

test("a long narrow drawing is not shrunk below the minimum: 6000 x 1000 goes as 3600 x 600", () => {
  const plan = rules.compressionPlan({ width: 6000, height: 1000 }, { size: 6 * MIB, type: "image/jpeg" }, LIMITS);
  assert.equal(plan.options.maxWidthOrHeight, 3600);
  assert.deepEqual(librarySides(6000, 1000, plan.options)[0], [3600, 600]);
  assert.equal(plan.options.alwaysKeepResolution, true, "no shrink is left: only the quality may drop");
  // 624 / 4498 * ceil(4498 * 600 / 624) is 599.99…, truncated to 599 by the canvas: one more pixel.
  const rounded = rules.compressionPlan({ width: 4498, height: 624 }, { size: 6 * MIB, type: "image/png" }, LIMITS);
  assert.deepEqual(librarySides(4498, 624, rounded.options)[0], [4326, 600]);
});

test("a photo just above the minimum may lose quality but not pixels", () => {
  const plan = rules.compressionPlan({ width: 1600, height: 620 }, { size: 4 * MIB, type: "image/png" }, LIMITS);
  assert.equal(plan.action, "compress");
  assert.equal(plan.options.alwaysKeepResolution, true);
  const few = rules.compressionPlan({ width: 1000, height: 700 }, { size: 4 * MIB, type: "image/png" }, LIMITS);
  // 700 → 665 → 631 → 599: two shrinks.
  assert.equal(few.options.maxIteration, 2);
  assert.equal(few.options.alwaysKeepResolution, false);
});

test("a photo under the minimum is never enlarged: the original goes and the server explains", () => {
  const plan = rules.compressionPlan({ width: 800, height: 599 }, { size: 9 * MIB, type: "image/png" }, LIMITS);
  assert.deepEqual(plan, { action: "original", reason: "small" });
  const portrait = rules.compressionPlan({ width: 500, height: 4000 }, { size: 2 * MIB, type: "image/jpeg" }, LIMITS);
  assert.equal(portrait.action, "original");
});

test("a JPEG already within 2400 px and 3 MB is sent as it is; larger or other types are not", () => {
  const fits = rules.compressionPlan({ width: 2400, height: 1800 }, { size: 3 * MIB, type: "image/jpeg" }, LIMITS);
  assert.deepEqual(fits, { action: "original", reason: "fits" });
  const heavy = { size: 3 * MIB + 1, type: "image/jpeg" };
  assert.equal(rules.compressionPlan({ width: 2400, height: 1800 }, heavy, LIMITS).action, "compress");
  const wide = { size: MIB, type: "image/jpeg" };
  assert.equal(rules.compressionPlan({ width: 2401, height: 1800 }, wide, LIMITS).action, "compress");
  const png = { size: MIB, type: "image/png" };
  assert.equal(rules.compressionPlan({ width: 2000, height: 1500 }, png, LIMITS).action, "compress");
});

test("the compressed copy is sent, named by the caller, with the sizes before and after", () => {
  const original = { size: 5.4 * MIB, type: "image/jpeg" };
  const choice = rules.chooseUpload(original, { kind: "compressed", file: { size: 1.2 * MIB }, shorter: 1800 }, LIMITS);
  assert.equal(choice.send, "compressed");
  assert.equal(rules.say(...choice.note), "照片已压缩：5.4 MB → 1.2 MB");
});

test("when re-encoding made the file no smaller, the original goes instead", () => {
  const heic = { size: 2 * MIB, type: "image/heic" };
  const bigger = { kind: "compressed", file: { size: 2.5 * MIB }, shorter: 1800 };
  assert.deepEqual(rules.chooseUpload(heic, bigger, LIMITS), { send: "original", note: [] });
  // An original of no known type is not one the server is sure to take: the JPEG goes.
  const unknown = { size: 2 * MIB, type: "" };
  assert.equal(rules.chooseUpload(unknown, bigger, LIMITS).send, "compressed");
});

test("a failed compression sends the original with a note, never blocking the upload", () => {
  const heic = { size: 4 * MIB, type: "image/heic" };
  const choice = rules.chooseUpload(heic, { kind: "failed" }, LIMITS);
  assert.equal(choice.send, "original");
  assert.match(rules.say(...choice.note), /将上传原图/);
  // Exactly at the limit is still sent.
  assert.equal(rules.chooseUpload({ size: 20 * MIB, type: "" }, { kind: "failed" }, LIMITS).send, "original");
});

test("over data-max-bytes with nothing smaller to send, the guardian is told at once", () => {
  const huge = { size: 20 * MIB + 1, type: "image/heic" };
  const failed = rules.chooseUpload(huge, { kind: "failed" }, LIMITS);
  assert.equal(failed.send, undefined);
  assert.equal(rules.say(...failed.refuse), "照片超过 20 MB，请换一张");
  assert.ok(rules.chooseUpload(huge, { kind: "skipped" }, LIMITS).refuse);
  const stillHuge = { kind: "compressed", file: { size: 21 * MIB }, shorter: 2000 };
  assert.ok(rules.chooseUpload(huge, stillHuge, LIMITS).refuse);
  // Compressed below the limit: sent.
  const fine = { kind: "compressed", file: { size: 2 * MIB }, shorter: 1800 };
  assert.equal(rules.chooseUpload(huge, fine, LIMITS).send, "compressed");
});

test("a compressed copy under the minimum side is not sent: the original goes", () => {
  const original = { size: 6 * MIB, type: "image/jpeg" };
  const small = { kind: "compressed", file: { size: MIB }, shorter: 599 };
  assert.deepEqual(rules.chooseUpload(original, small, LIMITS), { send: "original", note: [] });
  const unknownSide = { kind: "compressed", file: { size: MIB } };
  assert.equal(rules.chooseUpload(original, unknownSide, LIMITS).send, "compressed");
});

test("a skipped compression (too small, or fits) sends the original without a note", () => {
  const choice = rules.chooseUpload({ size: MIB, type: "image/jpeg" }, { kind: "skipped" }, LIMITS);
  assert.deepEqual(choice, { send: "original", note: [] });
});

test("the status texts, and a page's own texts with the same placeholders", () => {
  assert.equal(rules.say("compressing"), "正在压缩照片…");
  assert.equal(rules.say("uploading", { percent: 63 }), "正在上传 63%");
  assert.equal(rules.say("saving"), "上传完成，正在保存…");
  assert.match(rules.say("network"), /网络/);
  assert.equal(rules.say("uploading", { percent: 7 }, { uploading: "Uploading {percent}%" }), "Uploading 7%");
  assert.equal(rules.say("saving", {}, { saving: 42 }), "上传完成，正在保存…", "only strings replace");
});

test("upload percent: whole, floored, clamped, 0 while the total is unknown", () => {
  assert.equal(rules.percent(630, 1000), 63);
  assert.equal(rules.percent(999, 1000), 99);
  assert.equal(rules.percent(1000, 1000), 100);
  assert.equal(rules.percent(1200, 1000), 100);
  assert.equal(rules.percent(10, 0), 0);
  assert.equal(rules.percent(10, undefined), 0);
});

test("after the POST: a followed redirect is gone to, the form's own address is shown in place", () => {
  const action = "https://h.example/events/12/entry";
  assert.equal(rules.afterResponse("https://h.example/e/tok123", action), "go");
  assert.equal(rules.afterResponse(action, action), "show");
  assert.equal(rules.afterResponse(`${action}#top`, action), "show");
  assert.equal(rules.afterResponse("", action), "show");
});

test("the form's limits come from its data attributes, with defaults for missing or bad ones", () => {
  assert.deepEqual(rules.limitsOf({ maxBytes: "10485760", minSide: "800" }), { maxBytes: 10 * MIB, minSide: 800 });
  assert.deepEqual(rules.limitsOf({}), { maxBytes: 20 * MIB, minSide: 600 });
  assert.deepEqual(rules.limitsOf({ maxBytes: "lots", minSide: "-1" }), { maxBytes: 20 * MIB, minSide: 600 });
  assert.equal(rules.say(...rules.chooseUpload({ size: 11 * MIB }, { kind: "failed" }, rules.limitsOf({ maxBytes: "10485760" })).refuse), "照片超过 10 MB，请换一张");
});

test("sizes are shown in MB, one decimal under 10", () => {
  assert.equal(rules.megabytes(1.25 * MIB), "1.3 MB");
  assert.equal(rules.megabytes(12.6 * MIB), "13 MB");
  assert.equal(rules.megabytes(1000), "0.1 MB");
});
