-- Per-field trigram tables beside films_fts (hand-written: drizzle-kit cannot model FTS5).
--
-- FTS5 intersects a phrase's trigrams over whole rows and applies a column filter afterwards, so
-- "title : X" in films_fts walks every film holding X's trigrams in any field: at 100,000 films a
-- name's title arm read its way through every film with that name among the people (15-40 ms for a
-- name, 100-200 ms for a 64-character text that matched nothing). films_title and films_people hold
-- one field each, so their doclists are that field's; the search walks them for the title and
-- people arms and keeps films_fts for the introduction and for excluding films found by earlier arms.
-- Contentless, rowid = the films row's rowid, kept by triggers on every write like films_fts (0002).

CREATE VIRTUAL TABLE films_title USING fts5(title, tokenize = 'trigram', content = '', contentless_delete = 1);

CREATE VIRTUAL TABLE films_people USING fts5(people, tokenize = 'trigram', content = '', contentless_delete = 1);

CREATE TRIGGER films_fields_insert_title AFTER INSERT ON films
BEGIN
  INSERT OR REPLACE INTO films_title (rowid, title) VALUES (new.rowid, new.title);
END;

CREATE TRIGGER films_fields_insert_people AFTER INSERT ON films
BEGIN
  INSERT OR REPLACE INTO films_people (rowid, people) VALUES (new.rowid, (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(new.actors) UNION ALL SELECT value FROM json_each(new.directors))));
END;

CREATE TRIGGER films_fields_update_title AFTER UPDATE OF title ON films WHEN old.title IS NOT new.title
BEGIN
  INSERT OR REPLACE INTO films_title (rowid, title) VALUES (new.rowid, new.title);
END;

CREATE TRIGGER films_fields_update_people AFTER UPDATE OF actors, directors ON films WHEN old.actors IS NOT new.actors OR old.directors IS NOT new.directors
BEGIN
  INSERT OR REPLACE INTO films_people (rowid, people) VALUES (new.rowid, (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(new.actors) UNION ALL SELECT value FROM json_each(new.directors))));
END;

CREATE TRIGGER films_fields_delete_title AFTER DELETE ON films
BEGIN
  DELETE FROM films_title WHERE rowid = old.rowid;
END;

CREATE TRIGGER films_fields_delete_people AFTER DELETE ON films
BEGIN
  DELETE FROM films_people WHERE rowid = old.rowid;
END;

-- Films that existed before this migration.
INSERT OR REPLACE INTO films_title (rowid, title) SELECT rowid, title FROM films;

INSERT OR REPLACE INTO films_people (rowid, people) SELECT f.rowid, (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(f.actors) UNION ALL SELECT value FROM json_each(f.directors))) FROM films f;
