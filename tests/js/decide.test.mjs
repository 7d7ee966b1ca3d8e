// The scanner's offline decision (assets/src/decide.js) against the shared table of cases,
// tests/door/decision_cases.json (the server's decision runs the same table in pytest).
// Run: node --test tests/js/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

// decide.js is an ES module in a package without "type": "module" (setting it would change how
// esbuild bundles jsqr's CommonJS default export), and it imports nothing: it is loaded from its
// text, which every Node from 18 on takes as an ES module, without a warning.
const source = readFileSync(new URL("../../assets/src/decide.js", import.meta.url), "utf8");
const { decide } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const TABLE = JSON.parse(
  readFileSync(new URL("../door/decision_cases.json", import.meta.url), "utf8"),
);
const THIS = 11;
const OTHER = 22;
const ID = 7;
const EARLIER = "2026-11-28T09:30:00+08:00";
const NOW = "2026-11-28T10:00:00.000Z";

/** The device's view of a case: its lists, what it has let in, and what the scan names. */
function deviceView(c) {
  const data = { confirmed: [], revoked: [], waitlisted: [] };
  // The lists are this event's: a registration of the other event (or moved there) is in none.
  const here = c.event === "this" && !["moved", "missing"].includes(c.registration);
  if (c.downloaded && here) {
    if (c.registration === "confirmed") {
      const checked = c.checked_in === "yes" ? EARLIER : null;
      data.confirmed.push({ id: ID, name: "张*", party_size: 2, checked_in_at: checked });
    } else if (c.registration === "cancelled") {
      data.revoked.push(ID);
    } else {
      data.waitlisted.push(ID);
    }
  }
  const seen = c.checked_in === "on_this_device" ? { [ID]: EARLIER } : {};
  let ticket = null;
  if (c.ticket !== "garbage") {
    if (c.way === "qr") {
      // What the scanner's verifyTicket gives: only this event's key is on the device.
      const eventId = c.event === "this" ? THIS : OTHER;
      const valid = eventId === THIS && c.ticket === "genuine";
      ticket = { way: "qr", eventId, registrationId: ID, valid };
    } else {
      // A code's check characters cannot be checked offline: forged or not, it names ID.
      ticket = { way: c.way, registrationId: ID };
    }
  }
  return { data, ticket, seen };
}

test("the table has every result and every way in", () => {
  const results = new Set(TABLE.cases.map((c) => c.result));
  assert.deepEqual([...results].sort(), [
    "cancelled",
    "duplicate",
    "invalid",
    "not_confirmed",
    "ok",
    "wrong_event",
  ]);
  assert.deepEqual([...new Set(TABLE.cases.map((c) => c.way))].sort(), ["code", "qr", "search"]);
});

for (const c of TABLE.cases) {
  test(`offline: ${c.case}`, () => {
    const { data, ticket, seen } = deviceView(c);
    const before = JSON.stringify({ data, seen });
    const answer = decide(data, ticket, seen, THIS, NOW);
    assert.equal(answer.result, c.offline ?? c.result, c.offline_why || "");
    assert.equal(JSON.stringify({ data, seen }), before, "decide changes nothing");
    if (answer.result === "ok") {
      assert.equal(answer.checked_in_at, NOW);
      assert.equal(answer.unknown, answer.registration === null);
      assert.equal(answer.unverified_code, c.way === "code");
    } else if (answer.result === "duplicate") {
      assert.equal(answer.checked_in_at, EARLIER);
    } else {
      assert.equal(answer.registration, null);
    }
  });
}

test("offline: nothing downloaded yet answers invalid, except another event's QR", () => {
  const mine = { way: "qr", eventId: THIS, registrationId: ID, valid: true };
  assert.equal(decide(null, mine, {}, THIS, NOW).result, "invalid");
  const theirs = { way: "qr", eventId: OTHER, registrationId: ID, valid: false };
  assert.equal(decide(null, theirs, {}, THIS, NOW).result, "wrong_event");
});
