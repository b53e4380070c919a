// Rows of D1 → the JSON shapes of seed-api.md. Pure.
import { mediaUrl } from "../../schema/keys";

export interface FilmRow {
  id: string;
  title: string;
  state: string;
  poster_key: string | null;
  auto_poster_key: string | null;
  actors: string;
}

export interface RankedRow {
  id: string;
  title: string;
  week_views: number;
}

export interface DetailRow extends FilmRow {
  type: string;
  category: string;
  directors: string;
  location: string;
  release_year: number;
  updated_at: number;
  total_views: number;
  introduction: string;
}

export interface SearchRow extends FilmRow {
  category: string;
  directors: string;
  location: string;
  language: string;
  release_year: number;
  updated_at: number;
  introduction: string;
}

export const DETAIL_COLUMNS =
  "id, title, state, poster_key, auto_poster_key, actors, directors, type, category, location, release_year, updated_at, total_views, introduction";

/** The poster's public URL: the uploaded poster, else the frame the transcoder took, else "". */
export function posterUrl(publicBase: string, row: Pick<FilmRow, "poster_key" | "auto_poster_key">): string {
  const key = row.poster_key ?? row.auto_poster_key;
  return key ? mediaUrl(publicBase, key) : "";
}

/** films.actors / films.directors: JSON arrays kept by triggers; anything else reads as no names. */
export function names(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export const rfc3339 = (ms: number) => new Date(ms).toISOString();

export function toFilm(row: FilmRow, publicBase: string) {
  return { id: row.id, title: row.title, resource: posterUrl(publicBase, row), state: row.state, actors: names(row.actors) };
}

export function toRanked(row: RankedRow) {
  return { id: row.id, title: row.title, popularity: row.week_views };
}

export function toFilmDetail(row: DetailRow, publicBase: string) {
  return {
    id: row.id,
    title: row.title,
    resource: posterUrl(publicBase, row),
    state: row.state,
    type: row.type,
    category: row.category,
    actors: names(row.actors),
    directors: names(row.directors),
    location: row.location,
    releaseYear: row.release_year,
    updateTime: rfc3339(row.updated_at),
    popularity: row.total_views,
    introduction: row.introduction,
  };
}

export function toSearchFilm(row: SearchRow, publicBase: string) {
  return {
    id: row.id,
    state: row.state,
    title: row.title,
    resource: posterUrl(publicBase, row),
    category: row.category,
    actors: names(row.actors),
    directors: names(row.directors),
    location: row.location,
    language: row.language,
    release_year: row.release_year,
    update_time: rfc3339(row.updated_at),
    introduction: row.introduction,
  };
}

/** "2" before "10", "1.5" between them: digit runs compare as numbers, the rest as text. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length; // "01" after "1"
    }
    if (nx !== ny) return nx ? -1 : 1; // numbers before words: "2" before "SP1"
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Ready episodes → routes (natural order), each with its episodes (natural order). */
export function groupRoutes(rows: { route: string; episode: string }[]) {
  const byRoute = new Map<string, string[]>();
  for (const r of rows) {
    const list = byRoute.get(r.route) ?? [];
    list.push(r.episode);
    byRoute.set(r.route, list);
  }
  return [...byRoute.keys()].sort(naturalCompare).map((route) => ({ route, episodes: byRoute.get(route)!.sort(naturalCompare) }));
}
