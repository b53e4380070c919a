// Malformed values for the hostile-input table (test/edge/hostile-input.test.ts), each with a label that
// says what it is, so a failing case reads as "GET /affair?limit=<huge> → 500". Values are RAW URL text
// (already percent-encoded where the attack needs it): the table puts them into paths and queries as is.
// Pure: no I/O, no runtime-specific API.

export type Labeled = readonly [label: string, raw: string];

/** A well-formed UUID to corrupt. */
const UUID = "0b8f8a1e-3c55-4d5e-9d4b-3f1f4f5b8f10";

/** Not a UUID in every way a path segment can fail to be one. */
export const BAD_IDS: Labeled[] = [
  ["not a uuid", "not-a-uuid"],
  ["a uuid without dashes", UUID.replaceAll("-", "")],
  ["a uuid with a trailing dot", `${UUID}.`],
  ["a uuid with a zero-width space", `${UUID.slice(0, 8)}%E2%80%8B${UUID.slice(8)}`],
  ["SQL injection", "1'%20OR%20'1'%3D'1"],
  ["encoded traversal", "..%2F..%2Fetc%2Fpasswd"],
  ["double-encoded traversal", "%252e%252e%252fetc"],
  ["a lone surrogate", "%ED%A0%80"],
  ["an emoji", "%F0%9F%8E%AC"],
  ["a NUL byte", `${UUID}%00`],
  ["4 KiB of digits", "9".repeat(4096)],
  ["a negative number", "-1"],
];

/** Not a value of the enum in the path or query. */
export const BAD_ENUMS: Labeled[] = [
  ["an unknown value", "UNKNOWN"],
  ["the right word in lower case", "movie"],
  ["two values", "MOVIE,TV_SERIES"],
  ["a NUL byte after a real value", "MOVIE%00"],
  ["an emoji", "%F0%9F%8E%AC"],
  ["a lone surrogate", "%ED%A0%80"],
  ["a prototype key", "__proto__"],
  ["an object method", "constructor"],
  ["2 KiB of letters", "A".repeat(2048)],
];

/** Not a whole number in range, for offset / limit / release_year. */
export const BAD_NUMBERS: Labeled[] = [
  ["negative", "-1"],
  ["a word", "abc"],
  ["exponent notation", "1e3"],
  ["a fraction", "1.5"],
  ["hexadecimal", "0x10"],
  ["a leading space", "%205"],
  ["empty", ""],
  ["NaN", "NaN"],
  ["Infinity", "Infinity"],
  ["2^64", "18446744073709551616"],
  ["400 digits", "9".repeat(400)],
  ["Arabic-Indic digits", "%D9%A1%D9%A2"],
];

/** Search texts that are odd but valid: they must answer 200 with an ordinary result, never query syntax errors. */
export const ODD_SEARCH_TEXTS: Labeled[] = [
  ["a lone double quote", "%22"],
  ["unbalanced quotes", "%22star%22%22wars"],
  ["a star", "*"],
  ["a prefix star", "sta*"],
  ["NEAR(", "NEAR("],
  ["NEAR(a b)", "NEAR(star%20wars)"],
  ["AND", "AND"],
  ["a AND b OR NOT c", "star%20AND%20wars%20OR%20NOT%20trek"],
  ["a column filter", "title:star"],
  ["a column filter on the FTS table's name", "films_fts:star"],
  ["a column-set filter", "%7Btitle%20introduction%7D:star"],
  ["a caret (initial token)", "%5Estar"],
  ["parentheses", "(()))("],
  ["a minus and a plus", "-star%20%2Bwars"],
  ["an emoji", "%F0%9F%8E%AC%F0%9F%8D%BF"],
  ["zero-width spaces", "%E2%80%8B%E2%80%8B%E2%80%8B"],
  ["a lone surrogate, encoded", "%ED%A0%80"],
  ["a lone low surrogate inside text", "ab%ED%B0%80cd"],
  ["truncated UTF-8", "%F0%9F"],
  ["a NUL byte", "star%00wars"],
  ["a newline and a tab", "star%0A%09wars"],
  ["SQL injection", "'%20OR%201%3D1%20--"],
  ["a backslash", "%5C%5C"],
  ["Chinese with FTS syntax", "%E6%98%9F%E9%99%85*%22"],
  ["one Chinese character", "%E6%98%9F"],
  ["a percent sign and an underscore (LIKE wildcards)", "%25_%25"],
  ["1000 double quotes (the longest text allowed)", "%22".repeat(1000)],
  ["empty", ""],
];

/** Keys for the media and signed-object routes that try to leave their prefix or smuggle separators. */
export const TRAVERSAL_KEYS: Labeled[] = [
  ["encoded dot-dot segments", "%2e%2e/%2e%2e/wrangler.toml"],
  ["encoded upper-case dot-dot", "%2E%2E/secret"],
  ["double-encoded dot-dot", "%252e%252e/%252e%252e/secret"],
  ["an encoded slash", "x%2f..%2f..%2fsecret"],
  ["an encoded backslash", "x%5c..%5csecret"],
  ["a double slash", "x//secret"],
  ["a NUL byte", "x%00.ts"],
  ["a lone surrogate", "x%ED%A0%80.ts"],
  ["a 2 KiB key", "k".repeat(2048)],
];
