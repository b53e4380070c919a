-- Search of one- and two-character texts, and celebrity search (hand-written: drizzle-kit cannot model FTS5).
--
-- films_fts (0002, trigram tokenizer) answers any text of three characters or more as a substring, but
-- no trigram exists for one or two characters (most Chinese queries). films_chars holds the same fields
-- as the unigrams and bigrams of their characters, interleaved: "星际穿" is written "星 星际 际 际穿 穿",
-- and its unicode61 tokenizer takes each of those as one token (letters, digits, CJK, punctuation and
-- symbols alike: the categories option). A text of one or two characters is then one token, whose
-- doclist FTS5 walks in rowid order; a longer text t1..tn is the phrase "t1 t1t2 t2 … tn". A space is
-- written "_", so "of" never matches across two words; people are written "/ name / name /" so that an
-- exact name is the phrase of "/ name /" (celebrity search).
--
-- Contentless (content = ''): only rowids are ever read back, and rowid is the films row's rowid;
-- contentless_delete lets the triggers replace and delete entries by rowid.
-- The character spacing is done here in SQL (json_each over a generated array of length(t) zeros gives
-- one row per character), so the triggers keep the table right on every write, whoever writes, in the
-- same statement as the change; triggers cannot use a WITH clause, hence the zeroblob trick.
-- One statement per trigger body and no CASE ... END: wrangler's SQL splitter breaks on those.

CREATE VIRTUAL TABLE films_chars USING fts5(title, introduction, people, tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M* P* S*' tokenchars '_'", content = '', contentless_delete = 1);

CREATE TRIGGER films_chars_insert AFTER INSERT ON films
BEGIN
  INSERT OR REPLACE INTO films_chars (rowid, title, introduction, people) VALUES (new.rowid,
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT new.title AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j),
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT new.introduction AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j),
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT '/ ' || (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(new.actors) UNION ALL SELECT value FROM json_each(new.directors))) || ' /' AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j));
END;

CREATE TRIGGER films_chars_update AFTER UPDATE OF title, introduction, actors, directors ON films
WHEN old.title IS NOT new.title OR old.introduction IS NOT new.introduction OR old.actors IS NOT new.actors OR old.directors IS NOT new.directors
BEGIN
  INSERT OR REPLACE INTO films_chars (rowid, title, introduction, people) VALUES (new.rowid,
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT new.title AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j),
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT new.introduction AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j),
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT '/ ' || (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(new.actors) UNION ALL SELECT value FROM json_each(new.directors))) || ' /' AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j));
END;

CREATE TRIGGER films_chars_delete AFTER DELETE ON films
BEGIN
  DELETE FROM films_chars WHERE rowid = old.rowid;
END;

-- Films that existed before this migration.
INSERT OR REPLACE INTO films_chars (rowid, title, introduction, people)
SELECT f.rowid,
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT f.title AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j),
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT f.introduction AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j),
    (SELECT coalesce(group_concat(iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(j.key + 1 < length(s.t), ' ' || iif(substr(s.t, j.key + 1, 1) = ' ', '_', substr(s.t, j.key + 1, 1)) || iif(substr(s.t, j.key + 2, 1) = ' ', '_', substr(s.t, j.key + 2, 1)), ''), ' '), '') FROM (SELECT '/ ' || (SELECT coalesce(group_concat(value, ' / '), '') FROM (SELECT value FROM json_each(f.actors) UNION ALL SELECT value FROM json_each(f.directors))) || ' /' AS t) AS s, json_each('[' || rtrim(replace(hex(zeroblob(length(s.t))), '00', '0,'), ',') || ']') AS j)
FROM films f;
