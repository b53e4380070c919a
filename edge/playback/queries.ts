// The D1 reads of playback (through the answer cache: rows.ts).

import { and, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { ads, adImpressionMarks, adImpressions, episodes } from "../../schema/tables";

export function episodeQuery(db: DrizzleD1Database, filmId: string, route: string, episode: string) {
  return db
    .select({ status: episodes.status, hlsPrefix: episodes.hlsPrefix, duration: episodes.duration, renditions: episodes.renditions, captions: episodes.captions })
    .from(episodes)
    .where(and(eq(episodes.filmId, filmId), eq(episodes.route, route), eq(episodes.episode, episode)))
    .limit(1);
}

/** More FILM ads than a site runs at once: the master's random picks are made among these. */
const MAX_FILM_AD_CANDIDATES = 200;

/** The FILM ads that can be stitched now (ready, unexpired, transcoded), for random picks. */
export function filmAdCandidatesQuery(db: DrizzleD1Database, now: number) {
  return db
    .select({ id: ads.id, hlsPrefix: ads.hlsPrefix, renditions: ads.renditions, expiresAt: ads.expiresAt })
    .from(ads)
    .where(and(eq(ads.type, "FILM"), eq(ads.origin, "upload"), eq(ads.status, "ready"), gt(ads.expiresAt, now), isNotNull(ads.hlsPrefix), isNotNull(ads.renditions)))
    .limit(MAX_FILM_AD_CANDIDATES);
}

export function adsByIdQuery(db: DrizzleD1Database, ids: string[]) {
  return db
    .select({ id: ads.id, type: ads.type, status: ads.status, hlsPrefix: ads.hlsPrefix, renditions: ads.renditions })
    .from(ads)
    .where(inArray(ads.id, ids));
}

/**
 * Marks (plan, break) as counted: true when this call made the mark (the impression is new), false when
 * an earlier fetch of the same break already counted it.
 */
export async function markImpression(db: DrizzleD1Database, mark: { plan: string; brk: number; adId: string; expiresAt: number }): Promise<boolean> {
  const made = await db.insert(adImpressionMarks).values(mark).onConflictDoNothing().returning({ plan: adImpressionMarks.plan });
  return made.length > 0;
}

/** One more impression of an ad today; nothing when the ad is gone (no orphan rows, no FK error). */
export function countImpression(db: DrizzleD1Database, adId: string, day: string) {
  return db.run(sql`
    INSERT INTO ${adImpressions} (ad_id, day, count)
    SELECT ${adId}, ${day}, 1 WHERE EXISTS (SELECT 1 FROM ${ads} WHERE ${ads.id} = ${adId})
    ON CONFLICT (ad_id, day) DO UPDATE SET count = count + 1`);
}
