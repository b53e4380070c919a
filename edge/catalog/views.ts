import { eq, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { filmViews, films } from "../../schema/tables";
import { utcDay } from "../rollup/days";

/**
 * Counts one view of an existing film: the total, today's and the week's counters on the films row
 * (which the rankings read through their indexes) and the film's row for the day in film_views (which
 * the roll-up reads when a day leaves the week). One batch, so counters and history never disagree.
 */
export async function countView(db: DrizzleD1Database, filmId: string, now: number): Promise<void> {
  const day = utcDay(now);
  await db.batch([
    db
      .update(films)
      .set({
        totalViews: sql`${films.totalViews} + 1`,
        // A counter left from an earlier day restarts here even if the roll-up has not run yet.
        todayViews: sql`iif(${films.viewsDay} = ${day}, ${films.todayViews} + 1, 1)`,
        viewsDay: day,
        weekViews: sql`${films.weekViews} + 1`,
      })
      .where(eq(films.id, filmId)),
    db
      .insert(filmViews)
      .values({ filmId, day, views: 1 })
      .onConflictDoUpdate({ target: [filmViews.filmId, filmViews.day], set: { views: sql`${filmViews.views} + 1` } }),
  ]);
}
