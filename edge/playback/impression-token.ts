// What identifies one ad impression: this viewer's plan, the break, the ad. The stitched variant puts a
// short signed token (`imp`) on the URI of each ad's first segment only; the media route counts a fetch
// that carries a valid one once per (plan, break), however often the player asks (ranges, retries,
// every rendition of the same break).
import { base64url, fromBase64url, hmac, timingSafeEqual } from "../../schema/signing";

export interface Impression {
  /** The viewer's plan: the start of its signature (each master playlist signs a new plan). */
  plan: string;
  /** The break's position in the plan. */
  brk: number;
  /** Expiry, epoch seconds (the plan's). */
  exp: number;
}

const PLAN_ID = /^[A-Za-z0-9_-]{16}$/;
// 128 bits of the HMAC: forging one is out of reach and the URI stays short.
const SIG_BYTES = 16;

const message = (i: Impression, adId: string) => `imp.${i.plan}.${i.brk}.${adId}.${i.exp}`;

/** The plan id of a signed plan token (`payload.signature`): null when it has no signature part. */
export function planIdOf(planToken: string): string | null {
  const id = planToken.split(".")[1]?.slice(0, 16) ?? "";
  return PLAN_ID.test(id) ? id : null;
}

/** `plan.brk.exp.sig`: URL-safe as it is. */
export async function signImpression(secret: string, i: Impression, adId: string): Promise<string> {
  const sig = (await hmac(secret, message(i, adId))).subarray(0, SIG_BYTES);
  return `${i.plan}.${i.brk}.${i.exp}.${base64url(sig)}`;
}

export type ImpressionCheck = { ok: true; impression: Impression } | { ok: false; reason: string };

/** Checks an `imp` token against the ad whose segment it came with. */
export async function verifyImpression(secret: string, token: string, adId: string, now = Math.floor(Date.now() / 1000)): Promise<ImpressionCheck> {
  const m = /^([A-Za-z0-9_-]{16})\.(\d{1,3})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return { ok: false, reason: "malformed impression token" };
  const i: Impression = { plan: m[1]!, brk: Number(m[2]), exp: Number(m[3]) };
  const given = fromBase64url(m[4]!);
  const want = (await hmac(secret, message(i, adId))).subarray(0, SIG_BYTES);
  if (!given || !timingSafeEqual(given, want)) return { ok: false, reason: "bad impression token signature" };
  if (i.exp < now) return { ok: false, reason: "impression token expired" };
  return { ok: true, impression: i };
}
