// The scanner's offline decision, pure: the answer the server would give, from the event's
// downloaded lists and what this device has already let in. The same order of cases as the
// server's (events/door/decision.py): invalid → wrong_event → cancelled → not_confirmed →
// duplicate → ok. Both are run against one table, tests/door/decision_cases.json (node --test
// tests/js/ and pytest tests/door/test_decision.py), so that they cannot drift; where the device
// cannot know what the server knows, the table says so case by case.

const lookups = new WeakMap();

/** {confirmed: Map id → person, revoked: Set, waitlisted: Set} of an event's offline data. */
export function listsOf(data) {
  if (!data) return null;
  let lists = lookups.get(data);
  if (!lists) {
    lists = {
      confirmed: new Map((data.confirmed || []).map((p) => [p.id, p])),
      revoked: new Set(data.revoked || []),
      waitlisted: new Set(data.waitlisted || []),
    };
    lookups.set(data, lists);
  }
  return lists;
}

function person(p) {
  return p ? { id: p.id, name: p.name, party_size: p.party_size } : null;
}

function refused(result) {
  return { result, registration: null, checked_in_at: null };
}

/**
 * The answer to one scan without the network.
 *
 * - data: the event's offline data ({confirmed, revoked, waitlisted}), or null (never loaded).
 * - ticket: what the scan names, or null when nothing could be read:
 *   {way: "qr", eventId, registrationId, valid} (valid: the signature checked with this
 *   event's public key, the only one on the device: false for another event's ticket),
 *   {way: "code", registrationId} (a manual code: its check characters are the server's), or
 *   {way: "search", registrationId} (a person found in the downloaded list).
 * - seen: registration id → the time this device first let them in offline.
 * - eventId: the event scanning; at: the time of this scan (ISO text).
 *
 * {result, registration, checked_in_at}, and for an ok also offline, unknown (in no list: issued
 * after the download) and unverified_code. Nothing is changed: the caller remembers an ok.
 */
export function decide(data, ticket, seen, eventId, at = new Date().toISOString()) {
  if (!ticket || !ticket.registrationId) return refused("invalid");
  if (ticket.way === "qr") {
    if (ticket.eventId !== eventId) return refused("wrong_event");
    if (!ticket.valid) return refused("invalid");
  }
  const lists = listsOf(data);
  if (!lists) return refused("invalid");
  const id = ticket.registrationId;
  if (lists.revoked.has(id)) return refused("cancelled");
  if (lists.waitlisted.has(id)) return refused("not_confirmed");
  const found = lists.confirmed.get(id);
  const unverifiedCode = ticket.way === "code";
  if (!found && unverifiedCode) return refused("invalid");
  const earlier = (found && found.checked_in_at) || (seen || {})[id];
  if (earlier) return { result: "duplicate", registration: person(found), checked_in_at: earlier };
  return {
    result: "ok",
    registration: person(found),
    checked_in_at: at,
    offline: true,
    unknown: !found,
    unverified_code: unverifiedCode,
  };
}
