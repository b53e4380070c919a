// Server-side beacons (I/O: D1 and the ad server's tracking hosts).
//
// Contract:
// - The stitched variant puts a signed `bcn` on each ad segment that fires something: (decision id, plan
//   entry, ad id, events). Signed with SIGNING_SECRET, so a viewer cannot fire what the plan did not
//   place; it names no URL: the URLs stay in the decision's D1 row.
// - When the media route serves such a segment, each of its events is inserted into ad_beacons, keyed by
//   (decision, entry, event): only the insert that creates the row pings, so a replay, a retry or a second
//   rendition of the same segment fires nothing again (at most once per viewer plan, break and ad).
// - Pings are GETs, [CACHEBUSTING] and [TIMESTAMP] filled in, retried on network errors and 5xx until
//   PING_WINDOW_MS has passed (in waitUntil); what was sent and answered 2xx is written to the row.
// - Only URLs fetchableUrl accepts are pinged.
import { and, eq, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { base64url, fromBase64url, hmac, timingSafeEqual } from "../../schema/signing";
import { adBeacons, adDecisions } from "../../schema/tables";
import { utcDay } from "../lib/days";
import { expandMacros } from "./macros";
import { BEACON_EVENTS, type BeaconEvent, beaconsBySegment } from "./placement";
import { RefusedUrl, fetchChecked } from "./fetch";
import { fetchableUrl } from "./urls";
import type { EventUrls } from "./vast";

/** What a decision keeps per plan entry from the ad server (stored in ad_decisions.entries). */
export interface StoredEntry {
  adId: string;
  mediaUrl: string;
  vastAdId: string | null;
  adSystem: string;
  impressions: string[];
  tracking: EventUrls;
  errors: string[];
}

export interface BeaconClaim {
  decision: string;
  entry: number;
  adId: string;
  events: BeaconEvent[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function signBeacon(secret: string, c: BeaconClaim): Promise<string> {
  const payload = base64url(enc.encode(JSON.stringify([c.decision, c.entry, c.adId, c.events])));
  return `${payload}.${base64url(await hmac(secret, `adbeacon.${payload}`))}`;
}

export async function verifyBeacon(secret: string, token: string): Promise<BeaconClaim | null> {
  const [payload, sig, extra] = token.split(".");
  if (!payload || !sig || extra !== undefined) return null;
  const given = fromBase64url(sig);
  if (!given || !timingSafeEqual(given, await hmac(secret, `adbeacon.${payload}`))) return null;
  try {
    const [decision, entry, adId, events] = JSON.parse(dec.decode(fromBase64url(payload)!)) as [unknown, unknown, unknown, unknown];
    if (typeof decision !== "string" || !Number.isInteger(entry) || typeof adId !== "string" || !Array.isArray(events)) return null;
    if (!events.every((e) => (BEACON_EVENTS as readonly unknown[]).includes(e))) return null;
    return { decision, entry: entry as number, adId, events: events as BeaconEvent[] };
  } catch {
    return null;
  }
}

/**
 * How long a decision's row is kept (the roll-up prunes older ones): a plan lives 6 hours, and a player may
 * fetch the segments of a playlist it loaded a while after that; after this its beacons no longer fire.
 */
export const DECISION_RETENTION_MS = 24 * 3600 * 1000;

/** How long one event's pings are retried. */
export const PING_WINDOW_MS = 15_000;

/** GETs each URL until it answers below 500 or the window closes; answers how many got a 2xx. */
export async function ping(urls: string[], allowLoopback: boolean, windowMs = PING_WINDOW_MS): Promise<{ sent: number; ok: number }> {
  const deadline = Date.now() + windowMs;
  const results = await Promise.all(
    urls.map(async (raw) => {
      const url = expandMacros(raw, {});
      if (!fetchableUrl(url, allowLoopback)) return false;
      for (let attempt = 0; ; attempt++) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        try {
          const res = await fetchChecked(url, { signal: AbortSignal.timeout(Math.min(left, 5000)) }, allowLoopback);
          await res.body?.cancel();
          if (res.status < 500) return res.ok;
        } catch (e) {
          // network error or timeout: retried while the window lasts; a refused redirect is not retried
          if (e instanceof RefusedUrl) return false;
        }
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, Math.max(0, deadline - Date.now()))));
      }
    }),
  );
  return { sent: urls.length, ok: results.filter(Boolean).length };
}

/** Fires the claim's events that have not fired for this decision entry yet. */
export async function fireBeacons(db: DrizzleD1Database, claim: BeaconClaim, allowLoopback: boolean): Promise<BeaconEvent[]> {
  const row = await db.select({ entries: adDecisions.entries }).from(adDecisions).where(eq(adDecisions.id, claim.decision)).get();
  const entry = (row?.entries as Array<StoredEntry | null> | undefined)?.[claim.entry];
  if (!entry || entry.adId !== claim.adId) return [];
  const now = Date.now();
  const day = utcDay();
  const fired: BeaconEvent[] = [];
  // Events in their playback order: one segment can carry impression, start and firstQuartile.
  for (const event of BEACON_EVENTS.filter((e) => claim.events.includes(e))) {
    const won = await db
      .insert(adBeacons)
      .values({ decisionId: claim.decision, entry: claim.entry, event, adId: claim.adId, day, createdAt: now })
      .onConflictDoNothing()
      .returning({ event: adBeacons.event });
    if (won.length > 0) fired.push(event);
  }
  // Claimed first, pinged after: a slow tracking host cannot delay the claim of the next event.
  for (const event of fired) {
    const urls = event === "impression" ? entry.impressions : entry.tracking[event];
    const { sent, ok } = await ping(urls, allowLoopback);
    await db
      .update(adBeacons)
      .set({ sent, ok })
      .where(and(eq(adBeacons.decisionId, claim.decision), eq(adBeacons.entry, claim.entry), eq(adBeacons.event, sql`${event}`)));
  }
  return fired;
}

/** The `bcn=` query of each segment of one ad-server ad of a plan ("" for segments that fire nothing). */
export async function beaconQueries(secret: string, decision: string, entry: number, adId: string, durations: number[]): Promise<(i: number) => string> {
  const events = beaconsBySegment(durations);
  const tokens = await Promise.all(events.map((ev) => (ev.length ? signBeacon(secret, { decision, entry, adId, events: ev }) : Promise.resolve(""))));
  return (i) => (tokens[i] ? `bcn=${tokens[i]}` : "");
}
