import { and, gt, gte, inArray, lt, ne, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { adDecisions, adImpressionMarks, filmViews, films, meta, viewMarks } from "../../schema/tables";
import { DECISION_RETENTION_MS } from "../ads/beacons";
import { WEEK_DAYS, addDays, utcDay, weekStart } from "../lib/days";
import { DEFAULT_VIEW_HISTORY_DAYS } from "../config";
import { pruneNonces } from "../lib/request-nonces";

/** meta row holding the last day the roll-up ran for. */
export const ROLLUP_META_KEY = "views_rollup_day";

export interface RollupResult {
  today: string;
  previous: string | null;
  todayCountersZeroed: number;
  weekRecomputed: number;
  /** film_views rows older than the history kept, deleted by this run. */
  historyPruned: number;
}

/** film_views rows deleted per run at most, so a first run over years of history stays a small batch. */
export const HISTORY_PRUNE_BATCH = 5000;

/**
 * The scheduled roll-up of view counters (cron in wrangler.toml). Each view already added itself to
 * today's, the week's and the total counters; what a view cannot do is notice that days went by. So:
 *  - a film's today_views from an earlier day drops to 0 (only films with a non-zero counter are read,
 *    through the today_views index);
 *  - the films that had views on days that left the seven-day window since the last run get their
 *    week_views recomputed from film_views (only those films' rows in the window are read).
 * Idempotent: a second run on the same day finds nothing to do. One batch, so the counters and the
 * bookkeeping move together. Per-day counts older than `historyDays` go (after the week is recomputed
 * from them, so a run after a long pause still counts every day it needs).
 */
export async function rollupViews(db: DrizzleD1Database, now: number, historyDays = DEFAULT_VIEW_HISTORY_DAYS): Promise<RollupResult> {
  const today = utcDay(now);
  const start = weekStart(today);
  const row = await db.select({ value: meta.value }).from(meta).where(sql`${meta.key} = ${ROLLUP_META_KEY}`).get();
  const previous = row?.value ?? null;
  // Days in [lostFrom, start) were inside the window at the last run and are outside it now. With no
  // record of a last run, every earlier day may still be counted.
  const lostFrom = previous === null ? "" : weekStart(previous);

  const zeroToday = db
    .update(films)
    .set({ todayViews: 0 })
    .where(and(gt(films.todayViews, 0), ne(films.viewsDay, today)));
  const lostFilms = db
    .selectDistinct({ id: filmViews.filmId })
    .from(filmViews)
    .where(and(gte(filmViews.day, lostFrom), lt(filmViews.day, start)));
  const recomputeWeek = db
    .update(films)
    .set({
      weekViews: sql`(SELECT coalesce(sum(fv.views), 0) FROM film_views fv WHERE fv.film_id = ${films.id} AND fv.day >= ${start} AND fv.day <= ${today})`,
    })
    .where(inArray(films.id, lostFilms));
  const remember = db
    .insert(meta)
    .values({ key: ROLLUP_META_KEY, value: today })
    .onConflictDoUpdate({ target: meta.key, set: { value: today }, setWhere: sql`${meta.value} < ${today}` });

  // Viewer marks only matter on their own day (one view per viewer per film per UTC day).
  const pruneMarks = db.delete(viewMarks).where(lt(viewMarks.day, today));

  // An impression mark only matters while its plan can still be played.
  const pruneImpressionMarks = db.delete(adImpressionMarks).where(lt(adImpressionMarks.expiresAt, now));
  // An ad-server decision is needed while its plan can still play (edge/ads/beacons.ts); the beacons it fired stay counted.
  const pruneDecisions = db.delete(adDecisions).where(lt(adDecisions.createdAt, now - DECISION_RETENTION_MS));

  const oldest = addDays(today, -Math.max(historyDays, WEEK_DAYS + 1));
  const pruneHistory = db.delete(filmViews).where(
    inArray(
      sql`rowid`,
      db.select({ rowid: sql`rowid` }).from(filmViews).where(lt(filmViews.day, oldest)).limit(HISTORY_PRUNE_BATCH),
    ),
  );

  const [zeroed, recomputed, , , , , , pruned] = await db.batch([
    zeroToday,
    recomputeWeek,
    remember,
    pruneMarks,
    pruneImpressionMarks,
    pruneDecisions,
    pruneNonces(db, now),
    pruneHistory,
  ]);
  return {
    today,
    previous,
    todayCountersZeroed: zeroed.meta.changes ?? 0,
    weekRecomputed: recomputed.meta.changes ?? 0,
    historyPruned: pruned.meta.changes ?? 0,
  };
}
