// Builds the SQL of every catalog list (home, filter, popular, ranked). Pure: no I/O.
//
// Each list is one walk down one index of films, stopped after offset + limit rows: the WHERE's
// equality column and the ORDER BY are an index's columns in order (the implicit rowid ends every
// index, which makes the order total, so pages never overlap). INDEXED BY pins that index, because
// without statistics SQLite may pick a worse one when two filters are present (e.g. type and
// category) and then read every row of the type.

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

type Dimension = "category" | "location" | "type";

/**
 * The indexes of schema/tables.ts, by filter column and order (films_{column}_{order} and
 * films_{order}); a test checks this against the schema.
 */
export const LIST_INDEXES: Record<Dimension | "none", readonly string[]> = {
  none: ["updated", "created", "week", "total", "today"],
  category: ["updated", "created", "week", "total", "today"],
  type: ["updated", "created", "week", "total", "today"],
  location: ["updated", "created", "week", "total"],
};

/** Most selective first: a category has fewer films than a location, a location fewer than a type. */
const BY_SELECTIVITY: Dimension[] = ["category", "location", "type"];

/** Columns a Film (and a ranked entry) is made of. */
export const FILM_COLUMNS = "id, title, state, poster_key, auto_poster_key, actors";
export const RANKED_COLUMNS = "id, title, week_views";

export function activeFilters(f: ListFilter): Partial<Record<Dimension, string>> & { releaseYear?: number } {
  const out: Partial<Record<Dimension, string>> & { releaseYear?: number } = {};
  if (f.category && f.category !== "ALL_CATEGORY") out.category = f.category;
  if (f.location && f.location !== "ALL_LOCATION") out.location = f.location;
  if (f.type && f.type !== "HOME") out.type = f.type;
  if (f.releaseYear) out.releaseYear = f.releaseYear;
  return out;
}

export function chooseIndex(filter: ListFilter, order: ListOrder): string | null {
  const active = activeFilters(filter);
  const suffix = ORDERS[order].suffix;
  const dims = BY_SELECTIVITY.filter((d) => active[d] !== undefined);
  if (dims.length === 0) return LIST_INDEXES.none.includes(suffix) ? `films_${suffix}` : null;
  const dim = dims.find((d) => LIST_INDEXES[d].includes(suffix));
  return dim ? `films_${dim}_${suffix}` : null;
}

export function buildListQuery(columns: string, filter: ListFilter, order: ListOrder, page: Page): BuiltQuery {
  const active = activeFilters(filter);
  const where: string[] = [];
  const params: (string | number)[] = [];
  for (const dim of BY_SELECTIVITY) {
    const value = active[dim];
    if (value !== undefined) {
      where.push(`${dim} = ?`);
      params.push(value);
    }
  }
  if (active.releaseYear !== undefined) {
    where.push("release_year = ?");
    params.push(active.releaseYear);
  }
  const index = chooseIndex(filter, order);
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
