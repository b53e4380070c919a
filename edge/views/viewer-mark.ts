/**
 * Who viewed a film, without keeping who: an HMAC (keyed by the signing secret) of the UTC day, the
 * film and the viewer's address and user agent. The day in the input rotates the mark daily, so marks
 * of different days cannot be linked, and without the secret a mark cannot be tested against a guess.
 * Pure (Web Crypto only).
 */
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(`view-marks:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  return key;
}

export interface Viewer {
  /** The client's address (CF-Connecting-IP); "" when unknown. */
  address: string;
  userAgent: string;
}

export async function viewerMark(secret: string, day: string, filmId: string, viewer: Viewer): Promise<string> {
  const input = encoder.encode(JSON.stringify([day, filmId, viewer.address, viewer.userAgent]));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), input)).slice(0, 16);
  return btoa(String.fromCharCode(...mac)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
