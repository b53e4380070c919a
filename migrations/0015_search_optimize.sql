-- The search index in one segment per table (hand-written: drizzle-kit cannot model FTS5).
--
-- FTS5 keeps an index as segments, adding one per write and merging them a few at a time (automerge),
-- and every term of a query is looked up in every segment. The seeded 100,000-film catalog left 7 to 19
-- segments per table; merged into one, a 64-character text found nowhere took 5.4 ms of D1's CPU
-- instead of 8.4 (the home list 4.0, the same way), a two-word title 4.8 instead of 6.3.
-- 'optimize' rewrites the index, not the films: the same rows, found the same way. The seeder runs the
-- same statements after loading a catalog. Writes after it add segments again, which FTS5 merges four
-- at a time (automerge); running these statements again merges them all (README, Known limits).

INSERT INTO films_fts (films_fts) VALUES ('optimize');
--> statement-breakpoint
INSERT INTO films_title (films_title) VALUES ('optimize');
--> statement-breakpoint
INSERT INTO films_intro (films_intro) VALUES ('optimize');
--> statement-breakpoint
INSERT INTO films_people (films_people) VALUES ('optimize');
--> statement-breakpoint
INSERT INTO films_chars (films_chars) VALUES ('optimize');
