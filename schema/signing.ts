// Signed URLs and signed requests, shared by the edge (Workers) and the transcoder (Node):
// only Web Crypto and TextEncoder, no runtime-specific APIs.

const enc = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keyCache.set(secret, key);
  }
  return key;
}

export async function hmac(secret: string, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(data)));
}

/** Compares in time independent of where the inputs differ. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function timingSafeEqualText(a: string, b: string): boolean {
  return timingSafeEqual(enc.encode(a), enc.encode(b));
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(s: string): Uint8Array | null {
  // A length of 4n+1 is never valid base64 (atob throws): a forged token, not a server error.
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- object keys -------------------------------------------------------------------------------

/**
 * Whether a key is safe to use as an R2 object key: relative, no traversal, no backslashes, no
 * percent-encoding (keys are built by the code, so a `%` can only come from a crafted request).
 */
export function isSafeKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  if (key.startsWith("/") || key.includes("\\") || key.includes("%") || key.includes("//")) return false;
  if (/[\u0000-\u001f\u007f]/.test(key)) return false;
  return key.split("/").every((part) => part !== ".." && part !== ".");
}

// ---- signed URL tokens -------------------------------------------------------------------------

export type Method = "GET" | "PUT";

/**
 * What a grant was minted for. Each route accepts the one purpose it was made for, so a token lifted
 * from one flow (a viewer's playlist, a part URL) opens nothing in another.
 */
/**
 * How long what a master playlist hands a viewer stays valid (its ad plan, its media tokens): long enough
 * to watch a long film with pauses; a player that outlives it reloads the master.
 */
export const VIEWER_URL_TTL_SECONDS = 6 * 3600;

export const GRANT_PURPOSES = ["viewer-media", "job-source", "job-output", "upload-part"] as const;
export type GrantPurpose = (typeof GRANT_PURPOSES)[number];

/** What a token allows: one method on one exact key, or on every key under a prefix, until `exp`, for one purpose. */
export interface Grant {
  /** The purpose (required: a token without one is refused everywhere). */
  u: GrantPurpose;
  m: Method;
  /** Exact key. */
  k?: string;
  /** Key prefix (ends with "/"). */
  p?: string;
  /** Expiry, epoch seconds. */
  e: number;
  /** Largest body a PUT may send, in bytes. */
  s?: number;
  /** The job a job-source or job-output grant belongs to: the route checks that the job is still live. */
  j?: string;
}

export async function signGrant(secret: string, grant: Grant): Promise<string> {
  if ((grant.k === undefined) === (grant.p === undefined)) throw new Error("a grant names a key or a prefix");
  if (!(GRANT_PURPOSES as readonly string[]).includes(grant.u)) throw new Error("a grant names its purpose");
  const payload = base64url(enc.encode(JSON.stringify(grant)));
  return `${payload}.${base64url(await hmac(secret, `grant.${payload}`))}`;
}

export type GrantCheck = { ok: true; grant: Grant } | { ok: false; reason: string };

/** Checks a token against the request it came with. Every failure is a 403 for the caller. */
export async function verifyGrant(
  secret: string,
  token: string | null | undefined,
  want: { purpose: GrantPurpose; method: Method; key: string; now?: number },
): Promise<GrantCheck> {
  if (!token) return { ok: false, reason: "missing token" };
  const [payload, sig, extra] = token.split(".");
  if (!payload || !sig || extra !== undefined) return { ok: false, reason: "malformed token" };
  const given = fromBase64url(sig);
  if (!given || !timingSafeEqual(given, await hmac(secret, `grant.${payload}`))) {
    return { ok: false, reason: "bad token signature" };
  }
  let grant: Grant;
  try {
    grant = JSON.parse(new TextDecoder().decode(fromBase64url(payload)!)) as Grant;
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  if (typeof grant !== "object" || grant === null) return { ok: false, reason: "malformed token" };
  const now = want.now ?? Math.floor(Date.now() / 1000);
  if (typeof grant.e !== "number" || grant.e < now) return { ok: false, reason: "token expired" };
  // Before method and scope: a token made for another flow is refused as such, whatever it covers.
  if (grant.u !== want.purpose) {
    return { ok: false, reason: `token is for ${typeof grant.u === "string" ? grant.u : "no purpose"}, not ${want.purpose}` };
  }
  if (grant.m !== want.method) return { ok: false, reason: "token does not allow this method" };
  const inScope =
    typeof grant.k === "string" ? grant.k === want.key : typeof grant.p === "string" && grant.k === undefined && want.key.startsWith(grant.p);
  if (!inScope) return { ok: false, reason: "token does not cover this key" };
  return { ok: true, grant };
}

// ---- signed requests (callbacks, bridge deliveries) --------------------------------------------

export const SIGNATURE_HEADER = "x-signature";
export const TIMESTAMP_HEADER = "x-signature-timestamp";
/**
 * A random value per request, signed with it: a receiver that remembers the nonces it saw within
 * MAX_SKEW_MS can refuse a replay (the timestamp alone leaves a 5-minute window).
 */
export const NONCE_HEADER = "x-signature-nonce";
/** Signed requests older (or further in the future) than this are refused: replay protection. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

/** 128 random bits, base64url. */
export function newNonce(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

function requestMessage(ts: string, nonce: string | null, method: string, path: string, body: string): string {
  // Another prefix with a nonce: a signature made without one can never verify as one made with one.
  return nonce === null
    ? `req.${ts}.${method.toUpperCase()}.${path}.${body}`
    : `req2.${ts}.${nonce}.${method.toUpperCase()}.${path}.${body}`;
}

/**
 * Headers for a signed request; `path` is the URL's pathname. Every request gets a fresh nonce
 * unless `nonce` is null (the form older receivers knew; kept for tests of them).
 */
export async function signRequest(
  secret: string,
  method: string,
  path: string,
  body: string,
  now = Date.now(),
  nonce: string | null = newNonce(),
): Promise<Record<string, string>> {
  const ts = String(now);
  const headers: Record<string, string> = {
    [TIMESTAMP_HEADER]: ts,
    [SIGNATURE_HEADER]: hex(await hmac(secret, requestMessage(ts, nonce, method, path, body))),
  };
  if (nonce !== null) headers[NONCE_HEADER] = nonce;
  return headers;
}

export type RequestCheck =
  /** `nonce`: the signed nonce, when the request carried one (for the receiver to remember). */
  { ok: true; nonce?: string } | { ok: false; reason: string };

/** A request without a nonce still verifies (older senders); one with a nonce verifies only with it. */
export async function verifyRequest(
  secret: string,
  req: {
    method: string;
    path: string;
    body: string;
    timestamp: string | null | undefined;
    signature: string | null | undefined;
    nonce?: string | null | undefined;
  },
  now = Date.now(),
): Promise<RequestCheck> {
  if (!req.timestamp || !req.signature) return { ok: false, reason: "missing signature" };
  const ts = Number(req.timestamp);
  if (!Number.isSafeInteger(ts) || Math.abs(now - ts) > MAX_SKEW_MS) return { ok: false, reason: "stale or invalid timestamp" };
  const nonce = req.nonce === undefined || req.nonce === null ? null : req.nonce;
  if (nonce !== null && !NONCE.test(nonce)) return { ok: false, reason: "malformed nonce" };
  const want = hex(await hmac(secret, requestMessage(req.timestamp, nonce, req.method, req.path, req.body)));
  if (!timingSafeEqualText(want, req.signature.toLowerCase())) return { ok: false, reason: "bad signature" };
  return nonce === null ? { ok: true } : { ok: true, nonce };
}
