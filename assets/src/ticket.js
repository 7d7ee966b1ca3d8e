// Ticket QR texts and manual codes, parsed and verified in the browser like events/tickets.py.
//
// QR text: `<base>/c/<payload>`; payload = base64url (no padding) of 73 bytes: version (1),
// event id and registration id (uint32 big-endian), then an Ed25519 signature of those 9 bytes.
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

ed.hashes.sha512 = sha512;

export const VERSION = 1;
const BODY = 9;
const SIZE = BODY + 64;
const MAX_TEXT = 512;
const MAX_ID = 2 ** 31 - 1;
const CODE = /^\s*(\d{1,10})\s*[-\s]?\s*([0-9A-Za-z]{5})\s*$/;

function b64decode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const base = text.replace(/-/g, "+").replace(/_/g, "/");
  let binary;
  try {
    binary = atob(base + "===".slice((base.length + 3) % 4));
  } catch (_error) {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function b64encode(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeKey(text) {
  const bytes = b64decode(text || "");
  return bytes && bytes.length === 32 ? bytes : null;
}

/** {eventId, registrationId, body, signature} of a QR text or bare payload, or null. */
export function parseTicket(text) {
  if (typeof text !== "string" || !text || text.length > MAX_TEXT) return null;
  const trimmed = text.trim();
  const at = trimmed.lastIndexOf("/c/");
  const payload = (at >= 0 ? trimmed.slice(at + 3) : trimmed).split("?")[0].split("#")[0];
  if (!payload || payload.length > 120) return null;
  const data = b64decode(payload);
  if (!data || data.length !== SIZE || b64encode(data) !== payload) return null;
  const view = new DataView(data.buffer);
  if (view.getUint8(0) !== VERSION) return null;
  const eventId = view.getUint32(1);
  const registrationId = view.getUint32(5);
  if (eventId < 1 || eventId > MAX_ID || registrationId < 1 || registrationId > MAX_ID) return null;
  return { eventId, registrationId, body: data.slice(0, BODY), signature: data.slice(BODY) };
}

/** The registration id of a manual code such as `1234-K7MXQ` (the HMAC is the server's). */
export function parseCode(text) {
  const match = CODE.exec(typeof text === "string" ? text : "");
  if (!match) return null;
  const id = Number(match[1]);
  return id >= 1 && id <= MAX_ID ? id : null;
}

let nativeWorks = null; // null: not tried yet

async function nativeKey(raw) {
  if (nativeWorks === false || !(self.crypto && crypto.subtle)) return null;
  try {
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    nativeWorks = true;
    return key;
  } catch (_error) {
    nativeWorks = false;
    return null;
  }
}

/**
 * Whether the @noble/ed25519 fallback is forced (`?verify=noble` on the page, or
 * `window.__forceNoble = true`): read at every verification, for tests and benchmarks. It only
 * swaps one correct implementation for another, slower one.
 */
export function nobleForced() {
  try {
    if (self.__forceNoble === true) return true;
    return new URLSearchParams(self.location.search).get("verify") === "noble";
  } catch (_error) {
    return false;
  }
}

let lastEngine = null; // the engine of the last verification

function nobleVerify(raw, body, signature) {
  lastEngine = "noble";
  try {
    // RFC 8032 strict (not ZIP-215), like WebCrypto and the server's OpenSSL.
    return ed.verify(signature, body, raw, { zip215: false });
  } catch (_error) {
    return false;
  }
}

/** A verifier for one event's public key: (body, signature) → Promise<boolean>. */
export async function makeVerifier(publicKeyText) {
  const raw = decodeKey(publicKeyText);
  if (!raw) return async () => false;
  const key = await nativeKey(raw);
  if (key) {
    return async (body, signature) => {
      if (nobleForced()) return nobleVerify(raw, body, signature);
      lastEngine = "webcrypto";
      try {
        return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, body);
      } catch (_error) {
        return false;
      }
    };
  }
  // @noble/ed25519 where WebCrypto has no Ed25519 (older WebViews, plain-HTTP pages).
  return async (body, signature) => nobleVerify(raw, body, signature);
}

export function usesNativeCrypto() {
  return nativeWorks === true;
}

/** "webcrypto" or "noble": the engine of the last verification, else the one that would run. */
export function verifyEngine() {
  if (lastEngine) return lastEngine;
  return nativeWorks === false || nobleForced() ? "noble" : "webcrypto";
}
