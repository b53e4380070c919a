// The D1 rows playback needs — the episode, the FILM ads that can be planned, the ads of a plan — through
// the versioned answer cache (edge/lib/answer-cache.ts), so a warm master or variant request makes no D1
// query. Admin writes (an episode uploaded, re-transcoded or deleted, an ad added) bump the catalog
// version, so a changed episode stops being served with new plans within CATALOG_VERSION_CHECK_SECONDS;
// an ad's expiry is checked on every pick, not when it was cached.
import { eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { films } from "../../schema/tables";
import { type CreativeState, creativeStates } from "../ads/creatives";
import { urlHash } from "../ads/urls";
import { type CacheScope, cachedValue } from "../lib/answer-cache";
import { type EpisodeRef, planScope } from "./episode";
import { adsByIdQuery, episodeQuery, filmAdCandidatesQuery } from "./queries";

type EpisodeRow = Awaited<ReturnType<typeof episodeQuery>>[number];
type AdRow = Awaited<ReturnType<typeof adsByIdQuery>>[number];
type CandidateRow = Awaited<ReturnType<typeof filmAdCandidatesQuery>>[number];

export class PlaybackRows {
  /** D1 round trips this request made (values that were not cached). */
  queries = 0;

  constructor(
    private readonly scope: CacheScope,
    private readonly db: DrizzleD1Database,
  ) {}

  private async value<T>(name: string, load: () => Promise<T>): Promise<T> {
    const { value, state } = await cachedValue(this.scope, name, load);
    if (state === "MISS") this.queries++;
    return value;
  }

  episode(ref: EpisodeRef): Promise<EpisodeRow | null> {
    return this.value(`episode:${planScope(ref)}`, async () => (await episodeQuery(this.db, ref.id, ref.route, ref.episode))[0] ?? null);
  }

  /** FILM ads that can be stitched now (ready, transcoded, unexpired at `now`). */
  async filmAds(now: number): Promise<CandidateRow[]> {
    const all = await this.value("film-ads", () => filmAdCandidatesQuery(this.db, Date.now()));
    return all.filter((a) => a.expiresAt > now);
  }

  /** The film's targeting fields, for the ad server's macros. */
  film(id: string): Promise<{ type: string; category: string; location: string } | null> {
    return this.value(`film-targeting:${id}`, async () => (await this.db.select({ type: films.type, category: films.category, location: films.location }).from(films).where(eq(films.id, id)).limit(1))[0] ?? null);
  }

  /**
   * An ad server's creative by MediaFile URL. A creative turning ready completes a job, which bumps the
   * catalog version, so a cached "not ready" lasts no longer than a catalog answer would.
   */
  async creative(url: string): Promise<CreativeState | null> {
    return this.value(`creative:${await urlHash(url)}`, async () => (await creativeStates(this.db, [url])).get(url) ?? null);
  }

  /** The ads a signed plan names, as stored (a plan outlives the ads' readiness checks: the caller checks). */
  async adsById(ids: string[]): Promise<AdRow[]> {
    const rows = await Promise.all(ids.map((id) => this.value(`ad:${id}`, async () => (await adsByIdQuery(this.db, [id]))[0] ?? null)));
    return rows.filter((r): r is AdRow => r !== null);
  }
}

/** `n` distinct picks at random (fewer when there are fewer). */
export function pickRandom<T>(items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!);
  return out;
}
