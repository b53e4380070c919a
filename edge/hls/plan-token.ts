// The ad plan of one viewer, carried in every variant URI of their master playlist. The edge picks the
// ads once (for the master) and signs the choice, so every variant playlist the player fetches later shows
// the same ads at the same places (RFC 8216 §6.2.4: variants must be content-aligned), without any state
// kept between requests. Signed with the service's HMAC: a viewer can neither drop nor swap ads.

import { base64url, fromBase64url, hmac, timingSafeEqual } from "../../schema/signing";
import { POST_ROLL } from "./ad-breaks";

export interface AdPlan {
  /** The episode the plan was made for: `${filmId}/${route}/${episode}`. */
  scope: string;
  /** One ad per break: [ad id, seconds from the start or POST_ROLL], in playback order. */
  breaks: Array<[adId: string, at: number]>;
  /** Expiry, epoch seconds. */
  exp: number;
  /**
   * Random per master playlist: two viewers given the same ads in the same step still hold different
   * plans, so their impressions count apart (edge/playback/impression-token.ts).
   */
  nonce?: string;
  /**
   * The ad server's decision (edge/ads): its id, and which entries of `breaks` came from it (their beacons
   * are stored under the id, never carried here).
   */
  decision?: { id: string; entries: number[] };
}

interface Wire {
  v: 1;
  s: string;
  b: Array<[string, number]>;
  e: number;
  n?: string;
  d?: string;
  t?: number[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function signPlan(secret: string, plan: AdPlan): Promise<string> {
  const wire: Wire = {
    v: 1,
    s: plan.scope,
    b: plan.breaks,
    e: plan.exp,
    ...(plan.nonce !== undefined ? { n: plan.nonce } : {}),
    ...(plan.decision ? { d: plan.decision.id, t: plan.decision.entries } : {}),
  };
  const payload = base64url(enc.encode(JSON.stringify(wire)));
  return `${payload}.${base64url(await hmac(secret, `adplan.${payload}`))}`;
}

export type PlanCheck = { ok: true; plan: AdPlan } | { ok: false; reason: string };

/** Every failure is a 403 for the caller: the plan is a credential. */
export async function verifyPlan(secret: string, token: string, want: { scope: string; now?: number }): Promise<PlanCheck> {
  const [payload, sig, extra] = token.split(".");
  if (!payload || !sig || extra !== undefined) return { ok: false, reason: "malformed ad plan" };
  const given = fromBase64url(sig);
  if (!given || !timingSafeEqual(given, await hmac(secret, `adplan.${payload}`))) return { ok: false, reason: "bad ad plan signature" };
  let wire: Wire;
  try {
    wire = JSON.parse(dec.decode(fromBase64url(payload)!)) as Wire;
  } catch {
    return { ok: false, reason: "malformed ad plan" };
  }
  if (wire.v !== 1 || typeof wire.s !== "string" || typeof wire.e !== "number" || !Array.isArray(wire.b)) {
    return { ok: false, reason: "malformed ad plan" };
  }
  const wellFormed = wire.b.every(
    (b) => Array.isArray(b) && b.length === 2 && typeof b[0] === "string" && typeof b[1] === "number" && (b[1] >= 0 || b[1] === POST_ROLL),
  );
  if (!wellFormed) return { ok: false, reason: "malformed ad plan" };
  const decided = wire.d !== undefined || wire.t !== undefined;
  if (decided && !(typeof wire.d === "string" && Array.isArray(wire.t) && wire.t.every((i) => Number.isInteger(i) && i >= 0 && i < wire.b.length))) {
    return { ok: false, reason: "malformed ad plan" };
  }
  const now = want.now ?? Math.floor(Date.now() / 1000);
  if (wire.e < now) return { ok: false, reason: "ad plan expired" };
  if (wire.s !== want.scope) return { ok: false, reason: "ad plan is for another episode" };
  return { ok: true, plan: { scope: wire.s, breaks: wire.b, exp: wire.e, ...(decided ? { decision: { id: wire.d!, entries: wire.t! } } : {}) } };
}

/**
 * Assigns ads to break times: a different ad per break while there are enough, then round again. `ads` is
 * already in random order (the query shuffles), so the assignment itself can be deterministic.
 */
export function assignAds(adIds: readonly string[], times: readonly number[]): Array<[string, number]> {
  if (adIds.length === 0) return [];
  return times.map((t, i) => [adIds[i % adIds.length]!, t]);
}
