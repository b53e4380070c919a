-- Full-text search over films (hand-written: drizzle-kit cannot model FTS5 tables or triggers).
--
-- films_fts holds, per film, its title, introduction and people (actors then directors, " / "-joined),
-- indexed with the trigram tokenizer so Chinese text (no spaces between words), prefixes and typos all
-- match on substrings. Its rowid is the films row's rowid, so the triggers find a film's entry by
-- primary key; queries join back through film_id, never through rowid.
--
-- Triggers (one statement per body, no CASE ... END: wrangler's SQL splitter breaks on those):
--   film_people rows  ->  films.actors / films.directors (JSON arrays, by position)
--   films rows        ->  films_fts
-- so whoever writes films and film_people keeps the search index right without knowing it exists.

CREATE VIRTUAL TABLE films_fts USING fts5(film_id UNINDEXED, title, introduction, people, tokenize = 'trigram');

CREATE TRIGGER films_fts_insert AFTER INSERT ON films
BEGIN
  INSERT OR REPLACE INTO films_fts (rowid, film_id, title, introduction, people)
  VALUES (new.rowid, new.id, new.title, new.introduction,
    (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(new.actors) UNION ALL SELECT value FROM json_each(new.directors))));
END;

CREATE TRIGGER films_fts_update AFTER UPDATE OF title, introduction, actors, directors ON films
WHEN old.title IS NOT new.title OR old.introduction IS NOT new.introduction OR old.actors IS NOT new.actors OR old.directors IS NOT new.directors
BEGIN
  INSERT OR REPLACE INTO films_fts (rowid, film_id, title, introduction, people)
  VALUES (new.rowid, new.id, new.title, new.introduction,
    (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(new.actors) UNION ALL SELECT value FROM json_each(new.directors))));
END;

CREATE TRIGGER films_fts_delete AFTER DELETE ON films
BEGIN
  DELETE FROM films_fts WHERE rowid = old.rowid;
END;

CREATE TRIGGER film_people_insert_actor AFTER INSERT ON film_people WHEN new.role = 'actor'
BEGIN
  UPDATE films SET actors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = new.film_id AND role = 'actor' ORDER BY position)) WHERE id = new.film_id;
END;

CREATE TRIGGER film_people_insert_director AFTER INSERT ON film_people WHEN new.role = 'director'
BEGIN
  UPDATE films SET directors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = new.film_id AND role = 'director' ORDER BY position)) WHERE id = new.film_id;
END;

CREATE TRIGGER film_people_delete_actor AFTER DELETE ON film_people WHEN old.role = 'actor'
BEGIN
  UPDATE films SET actors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = old.film_id AND role = 'actor' ORDER BY position)) WHERE id = old.film_id;
END;

CREATE TRIGGER film_people_delete_director AFTER DELETE ON film_people WHEN old.role = 'director'
BEGIN
  UPDATE films SET directors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = old.film_id AND role = 'director' ORDER BY position)) WHERE id = old.film_id;
END;

-- An update may move a person between films or roles: refresh both lists of the old film, then of the new one.
CREATE TRIGGER film_people_update_old AFTER UPDATE ON film_people
BEGIN
  UPDATE films SET
    actors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = old.film_id AND role = 'actor' ORDER BY position)),
    directors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = old.film_id AND role = 'director' ORDER BY position))
  WHERE id = old.film_id;
END;

CREATE TRIGGER film_people_update_new AFTER UPDATE ON film_people WHEN new.film_id IS NOT old.film_id
BEGIN
  UPDATE films SET
    actors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = new.film_id AND role = 'actor' ORDER BY position)),
    directors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = new.film_id AND role = 'director' ORDER BY position))
  WHERE id = new.film_id;
END;

-- Films that existed before this migration.
UPDATE films SET
  actors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = films.id AND role = 'actor' ORDER BY position)),
  directors = (SELECT json_group_array(name) FROM (SELECT name FROM film_people WHERE film_id = films.id AND role = 'director' ORDER BY position));

INSERT OR REPLACE INTO films_fts (rowid, film_id, title, introduction, people)
SELECT f.rowid, f.id, f.title, f.introduction,
  (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(f.actors) UNION ALL SELECT value FROM json_each(f.directors)))
FROM films f;
