// Search queries and filter combinations drawn from a seeded catalog (scripts/seed-catalog.ts), for the
// cost test (test/edge/catalog-cost.test.ts) and the catalog bench (bench/catalog.ts). Pure and
// deterministic: the same catalog and seed give the same requests.

import { MediaCategory, MediaLocation, MediaType, OrderType } from "../schema/enums";
import { prng, type SeedCatalog } from "./seed-catalog";

/** The kinds of text people type, each measured on its own. */
export const QUERY_KINDS = [
  "chinese 1 char",
  "chinese 2 chars",
  "chinese 3+ chars",
  "latin letter",
  "common word",
  "two-word title",
  "one typo",
  "number",
  "person (content search)",
  "mixed scripts",
  "64 characters",
  "celebrity",
] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

export interface CatalogRequest {
  kind: string;
  /** Path under /api/v1/affair. */
  path: string;
  /** The typed text, for reports. */
  text: string;
}

const CJK = /\p{Script=Han}/u;
const COMMON = ["the", "love", "of", "and", "a", "in", "to", "story", "family", "truth"];
const NUMBERS = ["2023", "2001", "1999", "2", "10", "40", "100", "12", "2024", "0"];

/** `perKind` queries of every kind of QUERY_KINDS. */
export function searchRequests(catalog: SeedCatalog, perKind = 20, seed = 11): CatalogRequest[] {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const chars = (s: string) => Array.from(s);
  const zhTitles = catalog.films.map((f) => f.title).filter((t) => CJK.test(t));
  const enTitles = catalog.films.map((f) => f.title).filter((t) => !CJK.test(t));
  const enWords = [...new Set(enTitles.flatMap((t) => t.split(" ")).filter((w) => w.length >= 5))];
  const names = catalog.people.map((p) => p.name);
  const slice = (t: string, n: number) => {
    const c = chars(t);
    const at = Math.floor(rand() * Math.max(1, c.length - n + 1));
    return c.slice(at, at + n).join("");
  };
  const typo = (w: string) => {
    const c = chars(w.toLowerCase());
    const i = 1 + Math.floor(rand() * (c.length - 2));
    const op = Math.floor(rand() * 4);
    if (op === 0) c.splice(i, 1); // deletion
    else if (op === 1) c[i] = c[i] === "e" ? "a" : "e"; // substitution
    else if (op === 2) [c[i], c[i + 1]] = [c[i + 1] ?? c[i]!, c[i]!]; // transposition
    else c.splice(i, 0, "x"); // insertion
    return c.join("");
  };
  const make: Record<QueryKind, () => string> = {
    "chinese 1 char": () => slice(pick(zhTitles), 1),
    "chinese 2 chars": () => slice(pick(zhTitles), 2),
    "chinese 3+ chars": () => slice(pick(zhTitles), 3 + Math.floor(rand() * 3)),
    "latin letter": () => String.fromCharCode(97 + Math.floor(rand() * 26)),
    "common word": () => pick(COMMON),
    "two-word title": () => {
      const w = pick(enTitles).split(" ");
      const at = Math.floor(rand() * (w.length - 1));
      return w.slice(at, at + 2).join(" ");
    },
    "one typo": () => typo(pick(enWords)),
    number: () => pick(NUMBERS),
    "person (content search)": () => pick(names),
    "mixed scripts": () => (rand() < 0.5 ? `${slice(pick(zhTitles), 2)} ${pick(enWords)}` : `${pick(enWords)}${slice(pick(zhTitles), 2)}`),
    "64 characters": () => chars(`${pick([...zhTitles, ...enTitles])} ${catalog.films[Math.floor(rand() * catalog.films.length)]!.introduction}`.repeat(4)).slice(0, 64).join(""),
    celebrity: () => pick(names),
  };
  const out: CatalogRequest[] = [];
  for (const kind of QUERY_KINDS) {
    for (let i = 0; i < perKind; i++) {
      const text = make[kind]();
      const route = kind === "celebrity" ? "celebrity" : "content";
      out.push({ kind, text, path: `/search/${route}?content=${encodeURIComponent(text)}` });
    }
  }
  return out;
}

/**
 * `count` random combinations of the filter route's parameters (each dimension present or not, any
 * value, a type that may disagree with the category), and first every subset of the four dimensions
 * once per order, with values picked at random.
 */
export function filterRequests(count = 100, seed = 13): CatalogRequest[] {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const types = MediaType.options;
  const categories = MediaCategory.options.filter((c) => c !== "ALL_CATEGORY");
  const locations = MediaLocation.options.filter((l) => l !== "ALL_LOCATION");
  const year = () => String(1990 + Math.floor(rand() * 37));
  const make = (dims: { type: boolean; category: boolean; location: boolean; year: boolean }, order: string): CatalogRequest => {
    const type = dims.type ? pick(types.filter((t) => t !== "HOME")) : "HOME";
    const q = new URLSearchParams();
    if (dims.category) q.set("category", pick(categories));
    if (dims.location) q.set("location", pick(locations));
    if (dims.year) q.set("release_year", year());
    q.set("order_type", order);
    const text = `${type}?${q}`;
    return { kind: `filter: ${Object.entries(dims).filter(([, on]) => on).map(([d]) => d).join(" + ") || "none"}`, text, path: `/filter/${text}` };
  };
  const out: CatalogRequest[] = [];
  for (let mask = 0; mask < 16; mask++) {
    for (const order of OrderType.options) {
      out.push(make({ type: (mask & 1) > 0, category: (mask & 2) > 0, location: (mask & 4) > 0, year: (mask & 8) > 0 }, order));
    }
  }
  for (let i = 0; i < count; i++) {
    out.push(make({ type: rand() < 0.5, category: rand() < 0.5, location: rand() < 0.5, year: rand() < 0.5 }, pick(OrderType.options)));
  }
  return out;
}
