// Helpers of the catalog tests: rows written straight into D1 (the admin API is another module) and
// requests through the real worker.
import { env, exports } from "cloudflare:workers";
import { catalogSqlGroups, type SeedCatalog } from "../../scripts/seed-catalog";

export const BASE = "https://edge.test";
export const CDN = "https://cdn.test"; // PUBLIC_BASE_URL of vitest.config.ts

export interface FilmInput {
  id?: string;
  title?: string;
  type?: string;
  category?: string;
  location?: string;
  language?: string;
  releaseYear?: number;
  state?: string;
  introduction?: string;
  posterKey?: string | null;
  autoPosterKey?: string | null;
  createdAt?: number;
  updatedAt?: number;
  totalViews?: number;
  todayViews?: number;
  viewsDay?: string;
  weekViews?: number;
  actors?: string[];
  directors?: string[];
}

/** Inserts a film and its people (the triggers fill films.actors/directors and the search entry). */
export async function insertFilm(f: FilmInput = {}): Promise<string> {
  const id = f.id ?? crypto.randomUUID();
  const now = Date.now();
  const statements = [
    env.DB.prepare(
      "INSERT INTO films (id, title, type, category, location, language, release_year, state, introduction, poster_key, auto_poster_key, " +
        "created_at, updated_at, total_views, today_views, views_day, week_views) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).bind(
      id,
      f.title ?? `film ${id}`,
      f.type ?? "MOVIE",
      f.category ?? "MOVIE_DRAMA",
      f.location ?? "US",
      f.language ?? "English",
      f.releaseYear ?? 2020,
      f.state ?? "HD",
      f.introduction ?? "",
      f.posterKey ?? null,
      f.autoPosterKey ?? null,
      f.createdAt ?? now,
      f.updatedAt ?? now,
      f.totalViews ?? 0,
      f.todayViews ?? 0,
      f.viewsDay ?? "",
      f.weekViews ?? 0,
    ),
    ...(f.actors ?? []).map((name, i) =>
      env.DB.prepare("INSERT INTO film_people (film_id, role, name, position) VALUES (?, 'actor', ?, ?)").bind(id, name, i),
    ),
    ...(f.directors ?? []).map((name, i) =>
      env.DB.prepare("INSERT INTO film_people (film_id, role, name, position) VALUES (?, 'director', ?, ?)").bind(id, name, i),
    ),
  ];
  await env.DB.batch(statements);
  return id;
}

/** Writes a generated catalog with multi-row INSERTs, one batch (transaction) per group. */
export async function insertCatalog(catalog: SeedCatalog): Promise<void> {
  for (const group of catalogSqlGroups(catalog, 90_000, 1_000_000)) {
    await env.DB.batch(group.map((s) => env.DB.prepare(s)));
  }
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
  rowsRead: number;
}

export async function get<T = unknown>(path: string, init?: RequestInit): Promise<Answer<T>> {
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, init));
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T, headers: res.headers, rowsRead: Number(res.headers.get("X-D1-Rows-Read") ?? NaN) };
}

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const DAY_MS = 86_400_000;
