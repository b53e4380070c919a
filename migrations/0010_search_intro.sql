-- The introduction in a one-field trigram table too (hand-written: drizzle-kit cannot model FTS5).
--
-- Same reason as films_title and films_people (0006_search_fields): "introduction : X" in films_fts
-- walked every film holding X's trigrams in any field, e.g. every film with a name among its people
-- before the ones with it in their introduction (30 ms for a name, 93 ms for a 64-character text at
-- 100,000 films). films_fts stays for the exclusions, which look at one film at a time.
-- Contentless, rowid = the films row's rowid, kept by triggers on every write like films_fts (0002).

CREATE VIRTUAL TABLE films_intro USING fts5(introduction, tokenize = 'trigram', content = '', contentless_delete = 1);

CREATE TRIGGER films_fields_insert_intro AFTER INSERT ON films
BEGIN
  INSERT OR REPLACE INTO films_intro (rowid, introduction) VALUES (new.rowid, new.introduction);
END;

CREATE TRIGGER films_fields_update_intro AFTER UPDATE OF introduction ON films WHEN old.introduction IS NOT new.introduction
BEGIN
  INSERT OR REPLACE INTO films_intro (rowid, introduction) VALUES (new.rowid, new.introduction);
END;

CREATE TRIGGER films_fields_delete_intro AFTER DELETE ON films
BEGIN
  DELETE FROM films_intro WHERE rowid = old.rowid;
END;

-- Films that existed before this migration.
INSERT OR REPLACE INTO films_intro (rowid, introduction) SELECT rowid, introduction FROM films;
