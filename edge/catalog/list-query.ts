// Builds the SQL of every catalog list (home, filter, popular, ranked). Pure: no I/O.
//
// Each list is one walk down one index of films, stopped after offset + limit rows: the WHERE's
// equality columns and the ORDER BY are an index's columns in order (the implicit rowid ends every
// index, which makes the order total, so pages never overlap); filters the index does not hold are
// checked on the films walked. INDEXED BY pins that index, because without statistics SQLite may
// pick a worse one when several filters are present and then read every row of the type.

import type { MediaCategory, MediaLocation, MediaType, OrderType } from "../../schema/enums";

/** The four public order types plus the "popular" order (today's views, then total). */
export type ListOrder = OrderType | "TODAY_POPULARITY";

export interface ListFilter {
  type?: MediaType;
  category?: MediaCategory;
  location?: MediaLocation;
  /** 0 or absent: any year. */
  releaseYear?: number;
}

export interface Page {
  offset: number;
  limit: number;
}

export interface BuiltQuery {
  sql: string;
  params: (string | number)[];
  /** The index the query walks, or null when no index serves this combination. */
  index: string | null;
}

const ORDERS: Record<ListOrder, { suffix: string; orderBy: string }> = {
  UpdateTime: { suffix: "updated", orderBy: "updated_at DESC, rowid DESC" },
  UploadTime: { suffix: "created", orderBy: "created_at DESC, rowid DESC" },
  WEEKLY_POPULARITY: { suffix: "week", orderBy: "week_views DESC, total_views DESC, rowid DESC" },
  TOTAL_POPULARITY: { suffix: "total", orderBy: "total_views DESC, rowid DESC" },
  TODAY_POPULARITY: { suffix: "today", orderBy: "today_views DESC, total_views DESC, rowid DESC" },
};

type Dimension = "category" | "location" | "type" | "release_year";

/** Index names say "year" for release_year. */
const DIM_NAME: Record<Dimension, string> = { type: "type", category: "category", location: "location", release_year: "year" };

/**
 * The index families of schema/tables.ts: films_{dims}_{order} on (dims..., the order's columns),
 * for the orders listed. Which pairs exist was chosen by measuring the seeded catalog at 100,000
 * films (see the README): a filter walks the family whose films are fewest among those its filters
 * cover, and reads the others' columns from the films it walks, so every family either covers a
 * combination or leaves a walk of under 1,000 films (category × location: ~430; category × year:
 * ~150; location × year: ~210), where a type or location filter rarely rejects.
 */
export const INDEX_FAMILIES: { dims: Dimension[]; orders: string[] }[] = [
  { dims: [], orders: ["updated", "created", "week", "total", "today"] },
  { dims: ["category"], orders: ["updated", "created", "week", "total", "today"] },
  { dims: ["type"], orders: ["updated", "created", "week", "total", "today"] },
  { dims: ["location"], orders: ["updated", "created", "week", "total"] },
  { dims: ["release_year"], orders: ["updated", "created", "week", "total"] },
  { dims: ["type", "release_year"], orders: ["updated", "created", "week", "total"] },
  { dims: ["category", "release_year"], orders: ["updated", "created", "week", "total"] },
  { dims: ["location", "release_year"], orders: ["updated", "created", "week", "total"] },
  { dims: ["type", "location"], orders: ["updated", "created", "week", "total"] },
  { dims: ["category", "location"], orders: ["updated", "created", "week", "total"] },
  { dims: ["type", "category"], orders: ["updated", "created", "week", "total"] },
];

/** Share of the catalog one value of a filter holds in the seeded catalog (4 types, 18 categories, 13 locations, 37 years). */
const SHARE: Record<Dimension, number> = { type: 1 / 4, category: 1 / 18, location: 1 / 13, release_year: 1 / 37 };

export function indexName(dims: readonly Dimension[], suffix: string): string {
  return ["films", ...dims.map((d) => DIM_NAME[d]), suffix].join("_");
}

/** Columns a Film (and a ranked entry) is made of. */
export const FILM_COLUMNS = "id, title, state, poster_key, auto_poster_key, actors";
export const RANKED_COLUMNS = "id, title, week_views";

export function activeFilters(f: ListFilter): Partial<Record<Dimension, string | number>> {
  const out: Partial<Record<Dimension, string | number>> = {};
  if (f.category && f.category !== "ALL_CATEGORY") out.category = f.category;
  if (f.location && f.location !== "ALL_LOCATION") out.location = f.location;
  if (f.type && f.type !== "HOME") out.type = f.type;
  if (f.releaseYear) out.release_year = f.releaseYear;
  return out;
}

/** The family to walk: of those whose filters are all active and that have the order, the fewest films. */
export function chooseFamily(filter: ListFilter, order: ListOrder): { dims: Dimension[]; index: string } | null {
  const active = activeFilters(filter);
  const suffix = ORDERS[order].suffix;
  let best: { dims: Dimension[]; share: number } | null = null;
  for (const fam of INDEX_FAMILIES) {
    if (!fam.orders.includes(suffix) || !fam.dims.every((d) => active[d] !== undefined)) continue;
    const share = fam.dims.reduce((s, d) => s * SHARE[d], 1);
    if (!best || share < best.share) best = { dims: fam.dims, share };
  }
  return best ? { dims: best.dims, index: indexName(best.dims, suffix) } : null;
}

export function chooseIndex(filter: ListFilter, order: ListOrder): string | null {
  return chooseFamily(filter, order)?.index ?? null;
}

export function buildListQuery(columns: string, filter: ListFilter, order: ListOrder, page: Page): BuiltQuery {
  const active = activeFilters(filter);
  const family = chooseFamily(filter, order);
  const index = family?.index ?? null;
  // The walked index's columns first (its equality prefix), then the filters checked on each film.
  const dims = [...(family?.dims ?? []), ...(Object.keys(active) as Dimension[]).filter((d) => !family?.dims.includes(d))];
  const where = dims.map((d) => `${d} = ?`);
  const params: (string | number)[] = dims.map((d) => active[d]!);
  const sql = [
    `SELECT ${columns} FROM films${index ? ` INDEXED BY ${index}` : ""}`,
    where.length ? `WHERE ${where.join(" AND ")}` : "",
    `ORDER BY ${ORDERS[order].orderBy}`,
    "LIMIT ? OFFSET ?",
  ]
    .filter(Boolean)
    .join(" ");
  params.push(page.limit, page.offset);
  return { sql, params, index };
}
