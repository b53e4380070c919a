// Turns whatever a user typed into a search plan: a list of FTS5 MATCH expressions ("arms"), best
// first, each answered from the index in rowid order and cut at the page. Pure: no I/O.
//
// Contract:
//  - No user text reaches FTS5 as syntax. Every piece of it is a double-quoted string (inner quotes
//    doubled), which FTS5 always takes as a literal; operators, column filters and parentheses in
//    the expressions are ours only.
//  - Relevance is a fixed order of arms, and within an arm the film added last comes first (films'
//    rowid, descending): an arm costs at most offset + limit index rows, whatever the catalog size,
//    because FTS5 walks its doclists in rowid order and stops at the LIMIT. Nothing ranks every match.
//  - Arms, for a text of three characters or more (trigram tables films_title, films_intro,
//    films_people: a quoted string is a substring match, spaces included):
//      1-3. the whole text verbatim in the title, else the introduction, else the people;
//      4-6. (two words or more) every word of three characters or more, anywhere in one field.
//    Each arm leaves out the films of the arms before it, so a film appears once, in its best arm.
//    Words are the runs of letters, digits and marks: quotes, colons and stars typed around them
//    are not part of them.
//  - Fallback passes, each run only when everything before it found no film at all (a fuzzy pass
//    never outranks nor costs anything beside a text that is found), title, then introduction, then
//    people: (typo) every word by one of its variants, its two halves for words of six characters or
//    more (one typo spoils at most one half), its trigrams for shorter words; then (any word) any
//    word of four characters or more.
//  - A text of one or two characters (one or two Chinese characters, "of", a letter) has no trigram:
//    it is one token of films_chars, which holds every character and every pair of adjacent
//    characters as a token (migration 0008_search_chars), arms 1-3 only.

/** Characters of the query used at most (longer input is cut, not refused). */
export const MAX_QUERY_CHARS = 64;
/** Words used at most by the word and typo arms: bounds the size of an expression. */
export const MAX_WORDS = 6;
/** Words this long or longer are matched by their halves in the typo arms, shorter ones by their trigrams. */
export const MIN_CHARS_FOR_HALVES = 6;

export type SearchTable = "films_fts" | "films_chars" | "films_title" | "films_intro" | "films_people";

export interface Arm {
  /** What the arm matches, for tests and the bench: "title", "introduction: words", … */
  name: string;
  /** The FTS5 table walked, and the expression matched in it. */
  table: SearchTable;
  match: string;
  /** Expressions whose films this arm leaves out (those earlier arms gave), checked film by film. */
  exclude: { table: SearchTable; match: string }[];
}

export type SearchPlan =
  | { kind: "empty" }
  | {
      kind: "search";
      /** films_chars for a text of one or two characters, else the trigram tables. */
      table: "films_chars" | "films_fts";
      text: string;
      arms: Arm[];
      /** The fallback passes, in order, each with the expression (any field) whose absence lets it run. */
      fallbacks: { arms: Arm[]; unless: string }[];
    };

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

/** Distinct trigrams (by code point) of a word, in order. */
export function trigramsOf(word: string): string[] {
  const cps = Array.from(word);
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= cps.length; i++) seen.add(cps.slice(i, i + 3).join(""));
  return [...seen];
}

/**
 * What a word may match in the typo arms: its two halves (each ceil(n/2) characters) when it is long
 * enough that a half is still specific, else its trigrams. A word of three characters is itself.
 */
export function variantsOf(word: string): string[] {
  const cps = Array.from(word);
  if (cps.length < MIN_CHARS_FOR_HALVES) return trigramsOf(word);
  const half = Math.ceil(cps.length / 2);
  return [...new Set([cps.slice(0, half).join(""), cps.slice(cps.length - half).join("")])];
}

/** A string literal of the FTS5 query language. */
export function ftsString(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/**
 * A text as films_chars's tokens: each character, then it and the next one; a space written "_".
 * One character is one token, two characters one token (their pair), more a phrase.
 */
export function charTokens(text: string): string[] {
  const cs = Array.from(text, (c) => (c === " " ? "_" : c));
  if (cs.length === 2) return [cs.join("")];
  return cs.flatMap((c, i) => (i + 1 < cs.length ? [c, c + cs[i + 1]] : [c]));
}

/**
 * Three arms, one per field, for one expression; `before` are expressions (over all fields) whose
 * films earlier arms already gave. Field k also leaves out the expression in the fields before k.
 * Exclusions are checked film by film (NOT EXISTS with the film's rowid, one index seek each), not
 * with FTS5's NOT, which evaluated its whole right side: 260 ms for a 64-character phrase at 100,000
 * films against 15 ms for the same arm without it.
 * Trigram texts: the arms walk films_title / films_intro / films_people (one field each: FTS5
 * intersects trigrams over whole rows and filters columns afterwards, so a title arm in films_fts
 * would walk every film holding the text's trigrams in its people or introduction); films_fts, all
 * fields, answers the exclusions.
 */
function fieldArms(table: "films_chars" | "films_fts", label: string, expr: string, before: string[]): Arm[] {
  const earlier = before.length ? [{ table: "films_fts" as const, match: before.map((e) => `(${e})`).join(" OR ") }] : [];
  const named = (field: string) => (label ? `${field}: ${label}` : field);
  if (table === "films_chars") {
    return [
      { name: named("title"), table, match: `title : (${expr})`, exclude: [] },
      { name: named("introduction"), table, match: `introduction : (${expr})`, exclude: [{ table, match: `title : (${expr})` }] },
      { name: named("people"), table, match: `people : (${expr})`, exclude: [{ table, match: `{title introduction} : (${expr})` }] },
    ];
  }
  return [
    { name: named("title"), table: "films_title", match: expr, exclude: earlier },
    { name: named("introduction"), table: "films_intro", match: expr, exclude: [...earlier, { table: "films_title", match: expr }] },
    { name: named("people"), table: "films_people", match: expr, exclude: [...earlier, { table: "films_fts", match: `{title introduction} : (${expr})` }] },
  ];
}

export function planSearch(raw: string): SearchPlan {
  const words = normalizeQuery(raw);
  if (words.length === 0) return { kind: "empty" };
  const text = words.join(" ");
  if (Array.from(text).length < 3) {
    return { kind: "search", table: "films_chars", text, arms: fieldArms("films_chars", "", ftsString(charTokens(text).join(" ")), []), fallbacks: [] };
  }
  const phrase = ftsString(text);
  const arms = fieldArms("films_fts", "", phrase, []);
  const before = [phrase];
  const chars = (w: string) => Array.from(w).length;
  const terms = [...new Set(text.split(/[^\p{L}\p{N}\p{M}]+/u))];
  const long = terms.filter((w) => chars(w) >= 3).slice(0, MAX_WORDS);
  if (long.length >= 2 || (long.length === 1 && long[0] !== text)) {
    const all = long.map(ftsString).join(" AND ");
    arms.push(...fieldArms("films_fts", "words", all, before));
    before.push(all);
  }
  const fallbacks: { arms: Arm[]; unless: string }[] = [];
  // A pass runs when no film matches any expression before it, and each of those expressions matches
  // within the next (the phrase holds every word; every word holds one of its variants): the last one
  // alone says the same as all of them, and costs far less than an OR that still holds a 64-character
  // phrase (up to 14 ms at 100,000 films, against 1.6 ms).
  const pass = (label: string, expr: string) => {
    if (before.includes(expr)) return;
    fallbacks.push({ arms: fieldArms("films_fts", label, expr, []), unless: before.at(-1)! });
    before.push(expr);
  };
  if (long.some((w) => chars(w) > 3)) pass("typo", long.map((w) => `(${variantsOf(w).map(ftsString).join(" OR ")})`).join(" AND "));
  const some = terms.filter((w) => chars(w) >= 4).slice(0, MAX_WORDS);
  if (some.length >= 2) pass("any word", some.map(ftsString).join(" OR "));
  return { kind: "search", table: "films_fts", text, arms, fallbacks };
}

/** Columns of films (alias f) a SearchFilm is made of. */
export const SEARCH_COLUMNS =
  "f.id, f.state, f.title, f.poster_key, f.auto_poster_key, f.category, f.actors, f.directors, f.location, f.language, f.release_year, f.updated_at, f.introduction";

export interface BuiltSearch {
  sql: string;
  params: (string | number)[];
}

/**
 * SQL of a plan: a page of films, arm by arm, in one statement. Each arm is an FTS5 walk in rowid
 * order cut at offset + limit; UNION ALL keeps the arms' order and stops pulling once the page is
 * complete, so a page whose first arms fill it never runs the others. Films rows are read for the
 * page only.
 *
 * Passes (the arms, then each fallback pass): pass k runs when no film matches U(k), the expression
 * its `unless` names (nothing that came before it), and — but for the last pass — some film matches
 * U(k+1), the expression of the pass itself, since every arm of the pass finds a subset of those
 * films; the arms (a text with fallbacks) run when some film matches U(1). Each U is one FTS5 lookup
 * of films_fts (materialized once, when the page first reaches a pass that asks). U(1) ⊆ U(2) ⊆ …,
 * so the broadest is asked first: a text that not even U(n) matches asks nothing else and walks only
 * the last pass's arms. A text found verbatim asks U(n) and U(1), each finding its first match at
 * once; a text found nowhere no longer walks the arms of passes that cannot match, nor takes one
 * round trip per pass.
 */
export function buildSearchQuery(plan: { arms: Arm[]; fallbacks: { arms: Arm[]; unless: string }[] }, page: { offset: number; limit: number }): BuiltSearch {
  const params: (string | number)[] = [];
  // U(1)..U(n): the fallbacks' `unless`, in order; U(k) is the expression of pass k-1.
  const unless = plan.fallbacks.map((f) => f.unless);
  const ctes = unless.map((_, k) => `u${k + 1} AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM films_fts WHERE films_fts MATCH ?) AS hit)`);
  params.push(...unless);
  const matches = (k: number) => `(SELECT hit FROM u${k})`;
  let n = 0;
  const armSql = (a: Arm) => {
    params.push(a.match, ...a.exclude.map((e) => e.match), page.offset + page.limit);
    const excluded = a.exclude.map((e) => ` AND NOT EXISTS (SELECT 1 FROM ${e.table} AS x WHERE x.${e.table} MATCH ? AND x.rowid = o.rowid)`).join("");
    return `SELECT ${n++} AS arm, rowid AS rid FROM (SELECT o.rowid FROM ${a.table} AS o WHERE o.${a.table} MATCH ?${excluded} ORDER BY o.rowid DESC LIMIT ?)`;
  };
  // D1 allows few terms per compound SELECT: arms go by threes into nested ones (a pass has 3 or 6).
  const groups: string[] = [];
  const passes = [plan.arms, ...plan.fallbacks.map((f) => f.arms)];
  passes.forEach((arms, k) => {
    // Whether pass k runs, as a LIMIT (none, else 0), which SQLite computes before it pulls a row;
    // as a WHERE it would be checked on each row after the arms' walks (it holds subqueries, so it is
    // no constant that SQLite evaluates first). iif evaluates only the branch it takes.
    // U(1) ⊆ U(2) ⊆ …: the broadest first, so a text that not even U(n) matches asks nothing else.
    const last = unless.length;
    let limit: string;
    if (k === 0) limit = last === 0 ? "-1" : last === 1 ? `iif(${matches(1)}, -1, 0)` : `iif(${matches(last)}, iif(${matches(1)}, -1, 0), 0)`;
    else if (k < last) limit = `iif(${matches(k + 1)}, iif(${matches(k)}, 0, -1), 0)`;
    else limit = `iif(${matches(k)}, 0, -1)`;
    for (let i = 0; i < arms.length; i += 3) {
      const compound = `SELECT arm, rid FROM (${arms.slice(i, i + 3).map(armSql).join(" UNION ALL ")})`;
      groups.push(limit === "-1" ? compound : `SELECT arm, rid FROM (${compound} LIMIT ${limit})`);
    }
  });
  params.push(page.limit, page.offset);
  return {
    sql:
      (ctes.length ? `WITH ${ctes.join(", ")} ` : "") +
      `SELECT ${SEARCH_COLUMNS} FROM (SELECT arm, rid FROM (${groups.join(" UNION ALL ")}) LIMIT ? OFFSET ?) AS hit JOIN films f ON f.rowid = hit.rid ORDER BY hit.arm, hit.rid DESC`,
    params,
  };
}

/**
 * Celebrity search: films with a person of exactly this name. The name is looked for as a substring
 * of the people field (films_people for three characters or more, else its one films_chars token),
 * then checked exactly (case-sensitive) on films.actors / films.directors (JSON arrays, the same
 * encoding as json_quote). The newest-added CELEBRITY_CANDIDATES films holding the name are read and
 * ordered by update time: exact for any name in fewer films than that, else the newest updates among
 * them.
 */
export const CELEBRITY_CANDIDATES = 400;

export function buildCelebrityQuery(name: string, page: { offset: number; limit: number }): BuiltSearch {
  // Control characters are no tokens (and NUL would end the FTS5 string): the indexes hold none either.
  const text = name.replace(/\p{Cc}/gu, "");
  const [table, match] =
    Array.from(text).length >= 3 ? ["films_people", ftsString(text)] : ["films_chars", `people : ${ftsString(charTokens(text).join(" ") || "_")}`];
  return {
    sql:
      `SELECT ${SEARCH_COLUMNS} FROM (SELECT rowid AS rid FROM ${table} WHERE ${table} MATCH ?1 ORDER BY rowid DESC LIMIT ?2) AS hit ` +
      "JOIN films f ON f.rowid = hit.rid WHERE instr(f.actors, json_quote(?3)) > 0 OR instr(f.directors, json_quote(?3)) > 0 " +
      "ORDER BY f.updated_at DESC, f.rowid DESC LIMIT ?4 OFFSET ?5",
    params: [match, CELEBRITY_CANDIDATES, name, page.limit, page.offset],
  };
}
