// Old documents → the admin import bodies (edge/admin/import.ts), with the anomalies of a real export
// resolved: split FilmRoute documents merged, duplicate day documents summed, days as UTC dates.
import type { OldFilm, OldFilmPopularity, OldFilmRoute } from "./documents";

export interface FilmBody {
  title: string;
  type: string;
  category: string;
  location: string;
  language: string;
  releaseYear: number;
  state: string;
  introduction: string;
  actors: string[];
  directors: string[];
  createdAt: number;
  updatedAt: number;
  totalViews: number;
  views: Array<{ day: string; views: number }>;
}

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Day documents per film, duplicates of a (film, day) summed (concurrent first views of a day). */
export function viewsByFilm(days: OldFilmPopularity[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const d of days) {
    const film = out.get(d.id) ?? new Map<string, number>();
    const day = utcDay(d.created_at);
    film.set(day, (film.get(day) ?? 0) + d.popularity);
    out.set(d.id, film);
  }
  return out;
}

/** Routes per film, in first-seen order, each with its episodes once, in the order they were added. */
export function routesByFilm(docs: OldFilmRoute[]): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const d of docs) {
    const routes = out.get(d.id) ?? new Map<string, string[]>();
    const list = routes.get(d.route) ?? [];
    for (const e of d.episodes) if (!list.includes(e)) list.push(e);
    routes.set(d.route, list);
    out.set(d.id, routes);
  }
  return out;
}

export function filmBody(f: OldFilm, days: Map<string, number> | undefined): FilmBody {
  const views = [...(days ?? new Map<string, number>()).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, v]) => ({ day, views: v }));
  // Film.popularity is the sum of the day documents; a lost increment on either side should not lower the total.
  const total = Math.max(f.popularity, views.reduce((s, d) => s + d.views, 0));
  return {
    title: f.title.trim(),
    type: f.type,
    category: f.category,
    location: f.location,
    language: f.language,
    releaseYear: f.release_year,
    state: f.state,
    introduction: f.introduction,
    actors: f.actors,
    directors: f.directors,
    createdAt: f.created_at,
    updatedAt: f.update_at,
    totalViews: total,
    views,
  };
}

/** `<uuid>-original-file<ext>` (image ads) or `<uuid>.m3u8` (FILM ads): the ad's id and what it is. */
export function adFile(file: string): { id: string; kind: "image" | "hls" } | null {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(-original-file(?:\.[A-Za-z0-9]{1,10})?|\.m3u8)$/i.exec(file);
  if (!m) return null;
  return { id: m[1]!.toLowerCase(), kind: m[2] === ".m3u8" ? "hls" : "image" };
}
