// Calls to the Recipients API, from the page's own origin, with the secret key the person signed in
// with. The key lives in sessionStorage only (gone when the tab closes) and travels only in the
// Authorization header: never in a URL, never in localStorage, never logged.
import { parse } from "./json.js";

const KEY_ITEM = "recipients.console.key";

export function signedInKey() {
  return sessionStorage.getItem(KEY_ITEM);
}

export function signIn(key) {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function signOut() {
  sessionStorage.removeItem(KEY_ITEM);
}

// Why a key cannot be used, or null: the console lists users, which only a secret key may do.
export function keyProblem(key) {
  if (!key) return "Enter a secret key.";
  if (key.startsWith("pk_")) return "That is a public key (pk_): it cannot list users. Use a secret key (sk_).";
  if (!key.startsWith("sk_")) return "A secret key starts with sk_.";
  if (/\s/.test(key)) return "A key has no spaces.";
  return null;
}

export class ApiError extends Error {
  constructor(status, body) {
    const message = (body && typeof body.message === "string" && body.message) || `the API answered ${status}`;
    super(message);
    this.status = status;
    this.body = body;
  }
}

// A path under the API for path segments, each percent-encoded (ids may hold any character).
export function path(...segments) {
  return ["v1", ...segments.map((segment) => encodeURIComponent(segment))].join("/");
}

// Relative to the page (…/console), so a stage prefix in the URL is kept.
function url(target, query) {
  const address = new URL(target, document.baseURI);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== null && value !== undefined && value !== "") address.searchParams.set(name, value);
  }
  return address;
}

// The parsed JSON answer (numbers kept exactly: json.js), or null for 204; ApiError for any other status.
export async function call(method, target, { query, body, key = signedInKey() } = {}) {
  const headers = { Authorization: `Bearer ${key}`, Accept: "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = body; // JSON text, built by the caller
    if (method === "POST" && globalThis.crypto?.randomUUID) headers["Idempotency-Key"] = crypto.randomUUID();
  }
  const response = await fetch(url(target, query), init);
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = parse(text);
    } catch {
      parsed = { message: `the API answered ${response.status} with a body that is not JSON` };
    }
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const get = (target, query) => call("GET", target, { query });
export const remove = (target) => call("DELETE", target);
