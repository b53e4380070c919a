/**
 * Rewrites one film's search entry from its films row (films.actors / films.directors are kept from
 * film_people by triggers). The triggers of migration 0002_fts keep films_fts in sync on every write;
 * this is for an explicit reindex (POST /upload/media/search_engine/{id}). The DELETE by film_id
 * (a scan of films_fts, fine for a rare admin call) also clears an entry left under another rowid.
 * Run both in one batch; a film that does not exist ends with no entry.
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
  ];
}
