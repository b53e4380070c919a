// Turns whatever a user typed into a search plan for the films_fts table (trigram tokenizer). Pure.
//
// The FTS5 query language has operators (AND OR NOT NEAR, column filters "title:", "*", "^",
// parentheses); user text must never reach it as syntax. So the MATCH expression is made only of
// double-quoted strings, each one trigram of the user's words, joined by OR:
//  - a quoted string is always a literal to FTS5 (inner quotes are doubled), whatever it contains;
//  - OR-ed trigrams make a prefix match ("inter" → all of "interstellar"'s first trigrams) and a typo
//    (which spoils at most three trigrams) still match, and bm25 ranks films sharing more (and rarer)
//    trigrams first.
// Words shorter than a trigram (1–2 Chinese characters are whole words) produce no trigram: if no
// word is long enough, the plan is a plain substring search over titles and people instead.

/** Characters of the query used at most (longer input is cut, not refused). */
export const MAX_QUERY_CHARS = 64;
/** Trigrams OR-ed at most: bounds the cost of a long query. */
export const MAX_TRIGRAMS = 24;
/** Words of a short (substring) query used at most. */
export const MAX_SUBSTRING_TERMS = 4;
/** bm25 weights of films_fts's columns: film_id (not indexed), title, introduction, people. */
export const BM25_WEIGHTS = [0, 3, 2, 1] as const;

export type SearchPlan =
  | { kind: "empty" }
  | { kind: "match"; match: string; trigrams: string[]; phrases: string[] }
  | { kind: "substring"; terms: string[] };

// Unpaired UTF-16 surrogates cannot be encoded as UTF-8 (the D1 wire): drop them, keep pairs.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Controls, format characters (zero-width joiners, BOM, bidi marks) and separators become spaces.
const NOT_TEXT = /[\p{Cc}\p{Cf}\p{Z}\s]+/gu;

/** The words of a query, normalized: NFKC (full-width → ASCII), lower case, at most MAX_QUERY_CHARS. */
export function normalizeQuery(raw: string): string[] {
  const text = raw.replace(LONE_SURROGATE, " ").normalize("NFKC").toLowerCase().replace(NOT_TEXT, " ").trim();
  const chars = Array.from(text).slice(0, MAX_QUERY_CHARS).join("").trim();
  return chars ? chars.split(" ") : [];
}

/** Distinct trigrams (by code point) of each word of at least three characters, in order. */
export function trigramsOf(words: string[]): string[] {
  const seen = new Set<string>();
  for (const word of words) {
    const cps = Array.from(word);
    for (let i = 0; i + 3 <= cps.length; i++) seen.add(cps.slice(i, i + 3).join(""));
  }
  return [...seen];
}

/** Texts shorter than this have no half-phrases (a half of 3 characters matches too much). */
export const MIN_CHARS_FOR_HALVES = 8;

/**
 * The text, and for a long text its two halves: one typo spoils at most one half, so a field that
 * contains a half verbatim almost certainly holds the intended word.
 */
export function phrasesOf(text: string): string[] {
  const cps = Array.from(text);
  if (cps.length < MIN_CHARS_FOR_HALVES) return [text];
  const mid = Math.ceil(cps.length / 2);
  return [text, cps.slice(0, mid).join("").trim(), cps.slice(cps.length - mid).join("").trim()];
}

/** A string literal of the FTS5 query language. */
export function ftsString(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

export function planSearch(raw: string): SearchPlan {
  const words = normalizeQuery(raw);
  if (words.length === 0) return { kind: "empty" };
  const trigrams = trigramsOf(words).slice(0, MAX_TRIGRAMS);
  if (trigrams.length > 0) return { kind: "match", match: trigrams.map(ftsString).join(" OR "), trigrams, phrases: phrasesOf(words.join(" ")) };
  return { kind: "substring", terms: [...new Set(words)].slice(0, MAX_SUBSTRING_TERMS) };
}

/** Columns of films (alias f) a SearchFilm is made of. */
export const SEARCH_COLUMNS =
  "f.id, f.state, f.title, f.poster_key, f.auto_poster_key, f.category, f.actors, f.directors, f.location, f.language, f.release_year, f.updated_at, f.introduction";

export interface BuiltSearch {
  sql: string;
  params: (string | number)[];
}

/** SQL of a non-empty plan: a page of films, best first. */
export function buildSearchQuery(plan: Exclude<SearchPlan, { kind: "empty" }>, page: { offset: number; limit: number }): BuiltSearch {
  if (plan.kind === "match") {
    // Relevance, in two keys:
    //  1. the field holding the text (or, for a long text, half of it) verbatim: title, then
    //     introduction, then people, then none (a quoted trigram phrase is a substring match, answered
    //     from the index);
    //  2. then bm25 weighted title 3, introduction 2, people 1, as the weighted SUM of each column's
    //     bm25 rather than FTS5's own column weights: those multiply term counts inside bm25's
    //     saturation, which squashes 3:2 to almost 1:1.
    // Key 1 exists because FTS5's bm25 normalizes by the length of the whole row: on its own, a title
    // hit in a film with a long cast can lose to an introduction hit in a film with none.
    const [, wTitle, wIntro, wPeople] = BM25_WEIGHTS;
    const rank =
      `${wTitle} * bm25(films_fts, 0, 1, 0, 0) + ${wIntro} * bm25(films_fts, 0, 0, 1, 0) + ` +
      `${wPeople} * bm25(films_fts, 0, 0, 0, 1)`;
    const phrases = `(${plan.phrases.map(ftsString).join(" OR ")})`;
    // ?2, ?3, ?4: the phrases restricted to title, introduction, people.
    const inField = (n: number) => `WHEN rowid IN (SELECT rowid FROM films_fts WHERE films_fts MATCH ?${n}) THEN`;
    return {
      sql:
        `SELECT ${SEARCH_COLUMNS} FROM (SELECT film_id, rowid AS rid, ${rank} AS score, ` +
        `CASE ${inField(2)} 3 ${inField(3)} 2 ${inField(4)} 1 ELSE 0 END AS exact ` +
        "FROM films_fts WHERE films_fts MATCH ?1 ORDER BY exact DESC, score, rid LIMIT ?5 OFFSET ?6) AS hit " +
        "JOIN films f ON f.id = hit.film_id ORDER BY hit.exact DESC, hit.score, hit.rid",
      params: [plan.match, `title : ${phrases}`, `introduction : ${phrases}`, `people : ${phrases}`, page.limit, page.offset],
    };
  }
  // Too short for a trigram: a scan of the (small) FTS rows, titles first, then the most viewed.
  // instr() rather than LIKE, so "%" and "_" typed by a user are plain characters.
  const conds = plan.terms.map(() => "(instr(lower(s.title), ?) > 0 OR instr(lower(s.people), ?) > 0)");
  const params: (string | number)[] = plan.terms.flatMap((t) => [t, t]);
  const first = plan.terms[0] ?? "";
  return {
    sql:
      `SELECT ${SEARCH_COLUMNS} FROM films_fts s JOIN films f ON f.id = s.film_id WHERE ${conds.join(" AND ")} ` +
      `ORDER BY instr(lower(s.title), ?) > 0 DESC, f.total_views DESC, f.rowid DESC LIMIT ? OFFSET ?`,
    params: [...params, first, page.limit, page.offset],
  };
}
