// Reads every collection of an export (`DIR/mongo/<collection>.json`) and validates each document.
// Films.json and FILM.json collide on case-insensitive file systems, so each collection may also sit in
// a folder named after its old database (`DIR/mongo/DefaultFilmDb/Film.json`, `…/DefaultAdvertisementDb/FILM.json`).
import { existsSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { AD_COLLECTIONS, OldAd, OldFilm, OldFilmPopularity, OldFilmRoute, describeIssues, isPhantomFilm } from "./documents";
import { readExport } from "./ejson";
import type { Tally } from "./progress";

const DATABASE = { Film: "DefaultFilmDb", FilmRoute: "DefaultFilmDb", FilmPopularity: "DefaultFilmDb" } as Record<string, string>;

export function collectionFile(dir: string, name: string): string | null {
  const db = DATABASE[name] ?? "DefaultAdvertisementDb";
  for (const file of [path.join(dir, "mongo", db, `${name}.json`), path.join(dir, "mongo", `${name}.json`)]) if (existsSync(file)) return file;
  return null;
}

async function read<S extends z.ZodType>(dir: string, name: string, schema: S, tally: Tally, skip?: (doc: unknown) => string | null): Promise<Array<z.infer<S>>> {
  const file = collectionFile(dir, name);
  if (!file) {
    tally.record("documents", "failed", `mongo/${name}.json`, "missing (an empty collection exports as an empty file)");
    return [];
  }
  const out: Array<z.infer<S>> = [];
  for await (const line of readExport(file)) {
    const where = `mongo/${name}.json line ${line.line}`;
    if ("error" in line) {
      tally.record("documents", "failed", where, line.error);
      continue;
    }
    const why = skip?.(line.value);
    if (why) {
      tally.record("documents", "skipped", where, why);
      continue;
    }
    const parsed = schema.safeParse(line.value);
    if (!parsed.success) tally.record("documents", "failed", where, describeIssues(parsed.error));
    else out.push(parsed.data);
  }
  return out;
}

export interface Export {
  films: OldFilm[];
  routes: OldFilmRoute[];
  days: OldFilmPopularity[];
  ads: Array<{ type: (typeof AD_COLLECTIONS)[number]; doc: OldAd }>;
}

export async function readExportDir(dir: string, tally: Tally): Promise<Export> {
  const films = await read(dir, "Film", OldFilm, tally, (d) => (isPhantomFilm(d) ? "phantom film (only id and popularity: a view of a deleted film)" : null));
  const seen = new Set<string>();
  const unique = films.filter((f) => {
    if (seen.has(f.id)) {
      tally.record("documents", "failed", `film ${f.id}`, "duplicate id in Film.json; the first document is kept");
      return false;
    }
    seen.add(f.id);
    return true;
  });
  const routes = await read(dir, "FilmRoute", OldFilmRoute, tally);
  const days = await read(dir, "FilmPopularity", OldFilmPopularity, tally);
  const ads: Export["ads"] = [];
  for (const type of AD_COLLECTIONS) for (const doc of await read(dir, type, OldAd, tally)) ads.push({ type, doc });
  return { films: unique, routes, days, ads };
}
