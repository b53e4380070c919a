// What a job transcodes for: an episode of a film, or a FILM ad. The target fixes where the job's
// source and output live in R2, and which rows its outcome changes.
import { eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import * as keys from "../../schema/keys";
import { films } from "../../schema/tables";

export type EpisodeTarget = { kind: "episode"; filmId: string; route: string; episode: string; state?: string };
/** `expiresAt`: epoch milliseconds. */
/** `origin` "vast": a creative of an ad server (edge/ads/creatives.ts), never picked as one of the site's own ads. */
export type AdTarget = { kind: "ad"; adId: string; expiresAt: number; origin?: "upload" | "vast" };
export type JobTarget = EpisodeTarget | AdTarget;

/** Job states in which the transcoder may still be working on it (and a callback may still arrive). */
export const ACTIVE_STATUSES = ["queued", "running"] as const;

export function sourceKeyFor(target: JobTarget, jobId: string): string {
  return target.kind === "episode"
    ? keys.episodeSourceKey(target.filmId, target.route, target.episode, jobId)
    : keys.adSourceKey(target.adId, jobId);
}

export function outputPrefixFor(target: JobTarget, jobId: string): string {
  return target.kind === "episode"
    ? keys.episodeOutputPrefix(target.filmId, target.route, target.episode, jobId)
    : keys.adOutputPrefix(target.adId, jobId);
}

export async function filmExists(db: DrizzleD1Database, filmId: string): Promise<boolean> {
  return (await db.select({ id: films.id }).from(films).where(eq(films.id, filmId)).get()) !== undefined;
}
