/**
 * Rewrites one film's search entries (films_fts, films_title, films_intro, films_people, films_chars) from its films row (films.actors /
 * films.directors are kept from film_people by triggers). The triggers of migrations 0002_fts,
 * 0008_search_chars, 0009_search_fields and 0010_search_intro keep them in sync on every write; this is for an explicit reindex
 * (POST /upload/media/search_engine/{id}). The DELETE by film_id (a scan of films_fts, fine for a rare
 * admin call) also clears an entry left under another rowid. Run them in one batch; a film that does
 * not exist ends with no entry.
 */
export function reindexFilmStatements(db: D1Database, filmId: string): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM films_fts WHERE film_id = ?").bind(filmId),
    db
      .prepare(
        "INSERT OR REPLACE INTO films_fts (rowid, film_id, title, introduction, people) " +
          "SELECT f.rowid, f.id, f.title, f.introduction, " +
          "(SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(f.actors) UNION ALL SELECT value FROM json_each(f.directors))) " +
          "FROM films f WHERE f.id = ?",
      )
      .bind(filmId),
    db.prepare("INSERT OR REPLACE INTO films_title (rowid, title) SELECT f.rowid, f.title FROM films f WHERE f.id = ?").bind(filmId),
    db.prepare("INSERT OR REPLACE INTO films_intro (rowid, introduction) SELECT f.rowid, f.introduction FROM films f WHERE f.id = ?").bind(filmId),
    db
      .prepare(
        "INSERT OR REPLACE INTO films_people (rowid, people) SELECT f.rowid, " +
          "(SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(f.actors) UNION ALL SELECT value FROM json_each(f.directors))) " +
          "FROM films f WHERE f.id = ?",
      )
      .bind(filmId),
    db.prepare(`INSERT OR REPLACE INTO films_chars (rowid, title, introduction, people) SELECT f.rowid, ${CHARS_ENTRY_SQL} FROM films f WHERE f.id = ?`).bind(filmId),
  ];
}

/** films_chars's entry for the films row f: interleaved unigrams and bigrams of each field, a space as "_", people as "/ name / name /" (what the triggers of migration 0008_search_chars write). */
const CHARS_ENTRY_SQL =
  "(SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT f.title AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j), (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT f.introduction AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j), (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT '/ ' || (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(f.actors) UNION ALL SELECT value FROM json_each(f.directors))) || ' /' AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j)";

/** The search index's FTS5 tables (migrations 0002, 0008–0010). */
export const SEARCH_TABLES = ["films_fts", "films_title", "films_intro", "films_people", "films_chars"] as const;

/**
 * Pages of merge work per table per cron run. FTS5 adds a segment per write and looks every term up in
 * every segment; its automerge only merges segments of one level four at a time, so an index that takes
 * writes drifts away from the one segment migration 0015 left. A negative 'merge' merges across levels,
 * a bounded amount each run, so the index converges back to one segment between bursts of writes.
 */
export const MERGE_PAGES_PER_RUN = 200;

export function mergeSearchIndexStatements(db: D1Database): D1PreparedStatement[] {
  return SEARCH_TABLES.map((t) => db.prepare(`INSERT INTO ${t} (${t}, rank) VALUES ('merge', ?)`).bind(-MERGE_PAGES_PER_RUN));
}
