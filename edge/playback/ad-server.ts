// The master playlist's ads from the ad server (AD_SERVER_URL): the decision (edge/ads/decision.ts) bounded
// by AD_DECISION_TIMEOUT_MS, each decided MediaFile mapped to its conditioned creative (edge/ads/creatives.ts),
// unseen ones queued. Answers, per break position, the ads that can play now; every other position falls
// back to the site's own ads (master.ts). Never throws: any failure is logged, counted and means "no ads
// from the server".
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { type Rendition, validRenditions } from "../../schema/jobs";
import { adDecisions, adServerOutcomes } from "../../schema/tables";
import { type CreativeState, type Outcome, type StoredEntry, decide, needsFetch, fireBeacons, ping, queueUnseen, verifyBeacon } from "../ads";
import { config } from "../config";
import type { Env } from "../env";
import { utcDay } from "../lib/days";
import type { EpisodeRef, Playable } from "./episode";
import type { PlaybackRows } from "./rows";

export interface ServedAd {
  adId: string;
  renditions: Rendition[];
  stored: StoredEntry;
}

export interface ServerPlan {
  /** The break positions: AD_BREAKS' (VAST), or the VMAP's. */
  slots: number[];
  /** Ads ready to play, by position, in pod order. */
  served: Map<number, ServedAd[]>;
}

export interface AdServerContext {
  db: DrizzleD1Database;
  waitUntil(p: Promise<unknown>): void;
}

/** `rows`: the film, the creatives and their ads through the answer cache (a warm decision reads no row from D1). */
export async function adServerPlan(env: Env, ctx: AdServerContext, rows: PlaybackRows, ref: EpisodeRef, ep: Playable, times: number[]): Promise<ServerPlan | null> {
  const cfg = config(env);
  if (!cfg.adServerUrl) return null;
  const started = Date.now();
  try {
    const film = await rows.film(ref.id);
    const top = ep.renditions.reduce((a, b) => (b.bandwidth > a.bandwidth ? b : a));
    const decision = await decide({
      template: cfg.adServerUrl,
      macros: {
        CONTENT_ID: ref.id,
        CONTENT_TYPE: film?.type,
        CONTENT_CATEGORY: film?.category,
        CONTENT_LOCATION: film?.location,
        CONTENT_EPISODE: `${ref.route}/${ref.episode}`,
        CONTENT_DURATION: Math.round(ep.duration),
      },
      times,
      duration: ep.duration,
      top: { bandwidth: top.bandwidth, height: top.height },
      allowLoopback: cfg.adServerLoopback,
      signal: AbortSignal.timeout(cfg.adDecisionTimeoutMs),
    });
    if (decision.errorPings.length) ctx.waitUntil(ping(decision.errorPings, cfg.adServerLoopback));
    count(ctx, decision.outcomes.map((o) => o.outcome));
    for (const o of decision.outcomes) if (o.outcome !== "ok" && o.outcome !== "vmap") console.warn(`ad server: ${o.outcome}: ${o.detail}`);

    const slots = decision.positions ?? times;
    const urls = decision.breaks.flatMap((b) => b.ads.map((a) => a.mediaFile.url));
    const states = new Map<string, CreativeState>();
    for (const [u, s] of await Promise.all([...new Set(urls)].map(async (u) => [u, await rows.creative(u)] as const))) if (s) states.set(u, s);
    const unseen = [...new Set(urls)].filter((u) => needsFetch(states.get(u)));
    if (unseen.length) await queueUnseen(env, ctx.db, ctx, unseen, cfg.adServerLoopback);
    const ready = readyRenditions(await rows.adsById([...states.values()].flatMap((s) => (s.ready && s.adId ? [s.adId] : []))));

    const served = new Map<number, ServedAd[]>();
    for (const b of decision.breaks) {
      const list: ServedAd[] = [];
      for (const a of b.ads) {
        const adId = states.get(a.mediaFile.url)?.adId;
        const renditions = adId ? ready.get(adId) : undefined;
        if (!adId || !renditions) continue;
        list.push({ adId, renditions, stored: { adId, mediaUrl: a.mediaFile.url, vastAdId: a.vastAdId, adSystem: a.adSystem, impressions: a.impressions, tracking: a.tracking, errors: a.errors } });
      }
      if (list.length) served.set(b.at, list);
    }
    console.log(`ad server: ${decision.breaks.length} breaks decided, ${served.size} playable, ${unseen.length} creatives new, ${Date.now() - started} ms`);
    return { slots, served };
  } catch (e) {
    console.error(`ad server decision failed, falling back: ${String(e)}`);
    count(ctx, ["error"]);
    return null;
  }
}

/** Stores what the plan's ad-server entries need for their beacons; answers the decision id. */
export async function storeDecision(db: DrizzleD1Database, scope: string, entries: Array<StoredEntry | null>): Promise<string> {
  const id = crypto.randomUUID();
  await db.insert(adDecisions).values({ id, scope, entries, createdAt: Date.now() });
  return id;
}

function readyRenditions(rows: Array<{ id: string; status: string; hlsPrefix: string | null; renditions: unknown }>): Map<string, Rendition[]> {
  const out = new Map<string, Rendition[]>();
  for (const row of rows) {
    const r = validRenditions(row.renditions);
    if (row.status === "ready" && row.hlsPrefix && r.length) out.set(row.id, r);
  }
  return out;
}

function count(ctx: AdServerContext, outcomes: Array<Outcome | "error">) {
  if (outcomes.length === 0) return;
  const day = utcDay();
  const n = new Map<string, number>();
  for (const o of outcomes) n.set(o, (n.get(o) ?? 0) + 1);
  ctx.waitUntil(
    ctx.db
      .batch(
        [...n].map(([outcome, k]) =>
          ctx.db
            .insert(adServerOutcomes)
            .values({ day, outcome, count: k })
            .onConflictDoUpdate({ target: [adServerOutcomes.day, adServerOutcomes.outcome], set: { count: sql`${adServerOutcomes.count} + ${k}` } }),
        ) as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
      )
      .catch((e: unknown) => console.error(`ad server outcomes not counted: ${String(e)}`)),
  );
}

/** A served ad segment's `bcn=`: its events fire (once each) after the answer. Forged or unknown: nothing. */
export async function segmentBeacons(env: Env, db: DrizzleD1Database, token: string): Promise<void> {
  const { signingSecret, adServerLoopback } = config(env);
  if (!signingSecret) return;
  const claim = await verifyBeacon(signingSecret, token);
  if (!claim) return;
  const fired = await fireBeacons(db, claim, adServerLoopback);
  if (fired.length) console.log(`beacons ${fired.join(",")} of ad ${claim.adId} (decision ${claim.decision}, entry ${claim.entry})`);
}
