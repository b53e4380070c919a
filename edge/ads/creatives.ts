// Ad-server creatives conditioned into the ad ladder (I/O: D1, R2, the ad server's media host, the jobs).
//
// Contract:
// - A creative is its MediaFile URL; its row in `creatives` is keyed by the URL's SHA-256.
// - An unseen URL is claimed by inserting its row (the insert that wins does the work, so it is queued
//   once however many viewers ask at the same time), fetched by the edge (https only, redirects checked,
//   at most MAX_UPLOAD_BYTES, streamed into R2 under a new ad's source key) and registered as the
//   transcode of an ad (origin "vast"), exactly like an uploaded FILM ad: the transcoder reads the source
//   from the edge's own origin as always. Nothing from the ad server becomes a key or a path.
// - Ready when its ad is ready; until then (and for good if the fetch failed) the break falls back.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { adSourceKey } from "../../schema/keys";
import { ads, creatives } from "../../schema/tables";
import { config } from "../config";
import type { Env } from "../env";
import { registerJob } from "../jobs";
import { R2StreamWriter } from "../lib/multipart-r2";
import { fetchChecked } from "./fetch";
import { fetchableUrl, urlHash } from "./urls";

/** How long the edge gives an ad server's media host to deliver a creative. */
const CREATIVE_FETCH_MS = 120_000;
/** Creatives are kept as long as ads are: they may come back in any later decision. */
const CREATIVE_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;


export interface CreativeState {
  hash: string;
  /** The fetch's state; a "fetching" older than FETCH_STALE_MS was abandoned (its isolate went away). */
  status: "fetching" | "queued" | "failed";
  updatedAt: number;
  /** The ad row once queued. */
  adId: string | null;
  ready: boolean;
}

/** The state of each URL's creative (absent: never seen). One D1 query. */
export async function creativeStates(db: DrizzleD1Database, urls: string[]): Promise<Map<string, CreativeState>> {
  const hashes = new Map<string, string>();
  for (const u of new Set(urls)) hashes.set(await urlHash(u), u);
  if (hashes.size === 0) return new Map();
  const rows = await db
    .select({ hash: creatives.urlHash, status: creatives.status, updatedAt: creatives.updatedAt, adId: creatives.adId, adStatus: ads.status, hlsPrefix: ads.hlsPrefix })
    .from(creatives)
    .leftJoin(ads, eq(ads.id, creatives.adId))
    .where(inArray(creatives.urlHash, [...hashes.keys()]));
  const out = new Map<string, CreativeState>();
  for (const r of rows) out.set(hashes.get(r.hash)!, { hash: r.hash, status: r.status, updatedAt: r.updatedAt, adId: r.adId, ready: r.adStatus === "ready" && r.hlsPrefix !== null });
  return out;
}

type Ctx = { waitUntil(p: Promise<unknown>): void };

/**
 * A fetch still "fetching" after this was abandoned: a Worker's waitUntil does not outlive its isolate
 * (about 30 s after the answer in production), so a large creative on a slow host may never finish. The
 * next decision that names it claims it again.
 */
export const FETCH_STALE_MS = 10 * 60 * 1000;

/** Whether a creative needs a (new) fetch: never seen, or its fetch abandoned. */
export const needsFetch = (s: CreativeState | null | undefined, now = Date.now()) => !s || (s.status === "fetching" && s.updatedAt < now - FETCH_STALE_MS);

/** Claims each URL not seen before (or abandoned) and conditions it in the background. Returns the URLs claimed. */
export async function queueUnseen(env: Env, db: DrizzleD1Database, ctx: Ctx, urls: string[], allowLoopback: boolean): Promise<string[]> {
  const claimed: string[] = [];
  for (const url of new Set(urls)) {
    if (!fetchableUrl(url, allowLoopback)) continue;
    const now = Date.now();
    const won = await db
      .insert(creatives)
      .values({ urlHash: await urlHash(url), url, status: "fetching", createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: creatives.urlHash,
        set: { updatedAt: now },
        setWhere: and(eq(creatives.status, "fetching"), lt(creatives.updatedAt, now - FETCH_STALE_MS)),
      })
      .returning({ hash: creatives.urlHash });
    if (won.length === 0) continue;
    claimed.push(url);
    ctx.waitUntil(
      conditionCreative(env, db, ctx, url, won[0]!.hash, allowLoopback).catch(async (e: unknown) => {
        console.error(`creative ${url.slice(0, 200)} not conditioned: ${String(e)}`);
        await db
          .update(creatives)
          .set({ status: "failed", error: String(e).slice(0, 2000), updatedAt: Date.now() })
          .where(and(eq(creatives.urlHash, won[0]!.hash), eq(creatives.status, "fetching")))
          .catch(() => {});
      }),
    );
  }
  return claimed;
}

async function conditionCreative(env: Env, db: DrizzleD1Database, ctx: Ctx, url: string, hash: string, allowLoopback: boolean): Promise<void> {
  const max = config(env).maxUploadBytes;
  const res = await fetchChecked(url, { signal: AbortSignal.timeout(CREATIVE_FETCH_MS) }, allowLoopback);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`the media host answered ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length"));
  if (declared > max) {
    await res.body.cancel();
    throw new Error(`creative of ${declared} bytes, over MAX_UPLOAD_BYTES (${max})`);
  }
  const adId = crypto.randomUUID();
  const jobId = crypto.randomUUID();
  const writer = new R2StreamWriter(env.MEDIA, adSourceKey(adId, jobId), { contentType: "application/octet-stream" });
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (writer.size + value.length > max) {
        await reader.cancel();
        throw new Error(`creative over MAX_UPLOAD_BYTES (${max})`);
      }
      await writer.write(value);
    }
    if (writer.size === 0) throw new Error("the media host sent no bytes");
    await writer.finish();
  } catch (e) {
    await writer.discard();
    throw e;
  }
  const size = writer.size;
  await registerJob(env, db, ctx, { kind: "ad", adId, expiresAt: Date.now() + CREATIVE_LIFETIME_MS, origin: "vast" }, jobId, [
    db.update(creatives).set({ adId, status: "queued", bytes: size, updatedAt: sql`${Date.now()}` }).where(eq(creatives.urlHash, hash)),
  ]);
}
