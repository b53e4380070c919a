import type { ViewMessage } from "./messages";

/** D1 allows 100 bound parameters per statement; a mark row binds 4. */
const MARKS_PER_INSERT = 25;

export interface RecordedViews {
  /** Views that counted: marks not seen before today (a viewer's repeat views and redeliveries do not). */
  counted: number;
}

/**
 * Adds a batch of views to the counters in one D1 batch (one transaction): the marks first, then the
 * films' counters and film_views from exactly the marks this run inserted (tagged with `batchId`). A
 * mark already present — the same viewer again today, or a message delivered twice — inserts nothing,
 * so it counts nothing; a batch that fails applies nothing and is retried whole.
 * The counters move as a single view did before: total, week, today (restarted when the film's
 * counter day is older), and the film's row of the day that the roll-up reads.
 */
export async function recordViews(db: D1Database, views: readonly ViewMessage[], batchId: string): Promise<RecordedViews> {
  if (views.length === 0) return { counted: 0 };
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < views.length; i += MARKS_PER_INSERT) {
    const chunk = views.slice(i, i + MARKS_PER_INSERT);
    statements.push(
      db
        .prepare(`INSERT OR IGNORE INTO view_marks (day, mark, film_id, batch) VALUES ${chunk.map(() => "(?, ?, ?, ?)").join(", ")}`)
        .bind(...chunk.flatMap((v) => [v.day, v.mark, v.filmId, batchId])),
    );
  }
  // A late message of an earlier day adds to the total and the week, never restarts today's counter.
  for (const day of new Set(views.map((v) => v.day))) {
    statements.push(
      db
        .prepare(
          `UPDATE films SET
             total_views = total_views + v.n,
             week_views = week_views + v.n,
             today_views = CASE WHEN films.views_day = ?2 THEN films.today_views + v.n
                                WHEN films.views_day IS NULL OR films.views_day < ?2 THEN v.n
                                ELSE films.today_views END,
             views_day = max(coalesce(films.views_day, ''), ?2)
           FROM (SELECT film_id, count(*) AS n FROM view_marks WHERE batch = ?1 AND day = ?2 GROUP BY film_id) AS v
           WHERE films.id = v.film_id`,
        )
        .bind(batchId, day),
    );
  }
  statements.push(
    db
      .prepare(
        `INSERT INTO film_views (film_id, day, views)
           SELECT film_id, day, count(*) FROM view_marks
           WHERE batch = ?1 AND film_id IN (SELECT id FROM films)
           GROUP BY film_id, day
         ON CONFLICT (film_id, day) DO UPDATE SET views = views + excluded.views`,
      )
      .bind(batchId),
  );
  const results = await db.batch(statements);
  const counted = results.slice(0, Math.ceil(views.length / MARKS_PER_INSERT)).reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  return { counted };
}
