// Catalog bench: every catalog route of docs/api.md on a catalog of N films (100,000 by default), through
// the local edge (`wrangler dev`, its real D1): what each request reads from D1, as the handler reports in
// X-D1-Rows-Read, and p50/p99 latency and throughput under a bounded autocannon run, throughput as a
// ratio of GET /api/v1/ping (no I/O) measured in the same run. Then the query set (runQuerySet): search
// texts of every kind and filter combinations drawn from the seeded catalog, rows read per request and
// latency per kind beside the home list's. Driven by bench/run.ts, which seeds the state, starts the
// edge and writes BENCHMARKS.md.
import { type CatalogRequest, filterRequests, searchRequests } from "../scripts/catalog-queries";
import { generateCatalog } from "../scripts/seed-catalog";
import { type EndpointSpec, type SuiteResult, probe, runSuite } from "./lib/endpoints";
import { type LoadFigures, type LoadOptions, load, median } from "./lib/load";

const A = "/api/v1/affair";
const q = (s: string) => encodeURIComponent(s);

interface FilmDetail {
  id: string;
  actors: string[];
}

/** The routes and their parameters: one film and one actor picked from the seeded catalog. */
export async function catalogSpecs(base: string, episodeFilmId: string): Promise<EndpointSpec[]> {
  // A film from the middle of the newest-first list: a seeded one, with actors.
  const page = (await (await fetch(`${base}${A}?offset=50&limit=1`)).json()) as { films: { id: string }[] };
  const filmId = page.films[0]?.id;
  if (!filmId) throw new Error("the catalog is empty");
  const detail = (await (await fetch(`${base}${A}/film_information/${filmId}`)).json()) as FilmDetail;
  const actor = detail.actors[0];
  if (!actor) throw new Error(`film ${filmId} has no actors`);
  return [
    { name: "home (newest update first)", path: A },
    { name: "filter: MOVIE, category MOVIE_ACTION", path: `${A}/filter/MOVIE?category=MOVIE_ACTION` },
    { name: "filter: HOME, location KR, total popularity", path: `${A}/filter/HOME?location=KR&order_type=TOTAL_POPULARITY` },
    { name: "filter: TV_SERIES, weekly popularity", path: `${A}/filter/TV_SERIES?order_type=WEEKLY_POPULARITY` },
    { name: "filter: ANIMATE, JP, 2001 (3 dimensions)", path: `${A}/filter/ANIMATE?location=JP&release_year=2001` },
    { name: "popular: type MOVIE", path: `${A}/popular/type/MOVIE` },
    { name: "popular: category TV_SERIES_KR_SERIES", path: `${A}/popular/category/TV_SERIES_KR_SERIES` },
    { name: "ranked: ALL_CATEGORY", path: `${A}/ranked/ALL_CATEGORY` },
    { name: "ranked: MOVIE_SCI_FI", path: `${A}/ranked/MOVIE_SCI_FI` },
    { name: "film detail (counts a view)", path: `${A}/film_information/${filmId}` },
    { name: "film routes", path: `${A}/film_information/routes/${episodeFilmId}` },
    { name: "search: 星际 (Chinese, 2 chars)", path: `${A}/search/content?content=${q("星际")}` },
    { name: "search: 江湖传 (Chinese, 3 chars)", path: `${A}/search/content?content=${q("江湖传")}` },
    { name: "search: Silent River (English)", path: `${A}/search/content?content=${q("Silent River")}` },
    { name: "search: Midnite Harbr (typos)", path: `${A}/search/content?content=${q("Midnite Harbr")}` },
    { name: `celebrity: ${actor}`, path: `${A}/search/celebrity?content=${q(actor)}` },
    { name: "ad: FILM (random pick)", path: `${A}/ad/FILM` },
  ];
}

export function runCatalogBench(base: string, specs: EndpointSpec[], opts: LoadOptions): Promise<SuiteResult> {
  return runSuite(base, specs, opts);
}

// ---- the query set: ≥200 search texts of every kind and 100+ filter combinations -------------------

export interface KindFigures {
  kind: string;
  queries: number;
  /** Queries that answered at least one film. */
  withResults: number;
  rows: { max: number; p99: number; median: number };
  /** One autocannon run cycling through the kind's queries. */
  p50Ms: number;
  p99Ms: number;
  rps: number;
  /** p50 of the home list, the mean of its runs just before and after this kind's. */
  homeP50Ms: number;
  /** p50Ms / homeP50Ms. */
  latencyRatio: number;
  /** The costliest query of the kind, and its rows. */
  worst: { text: string; rows: number };
}

export interface QuerySetResult {
  home: LoadFigures[];
  kinds: KindFigures[];
  /**
   * Every request of the runs was made distinct (LoadOptions.distinct), so none shared another's
   * render. Absent in runs before that, whose home list was one URL repeated.
   */
  distinct?: boolean;
  /** The home list run once as one URL repeated (how runs before `distinct` measured it), for comparison. */
  homeRepeated?: LoadFigures;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/**
 * Every request is probed once for what it reads (X-D1-Rows-Read); then, per kind, one bounded
 * autocannon run cycles through the kind's requests, with the home list run the same way before the
 * first kind, after every third and after the last, so each kind's latency has a baseline of its time.
 * Every request of those runs is distinct (LoadOptions.distinct): with one URL repeated, 10 connections
 * share renders in the answer cache's in-flight map (about 3 in 4 home answers did, against 1 in 2 for
 * kinds cycling 20 texts), which made the home list look cheaper than any route that varies. The home
 * list is also run once as one URL repeated (homeRepeated), to show that difference in the same run.
 */
export async function runQuerySet(base: string, requests: CatalogRequest[], opts: LoadOptions, log = (s: string) => process.stderr.write(`${s}\n`)): Promise<QuerySetResult> {
  const byKind = new Map<string, { req: CatalogRequest; rows: number; items: number }[]>();
  for (const req of requests) {
    const p = await probe(base, `${A}${req.path}`);
    if (p.status !== 200) throw new Error(`${req.kind}: GET ${req.path} answered ${p.status}`);
    const list = byKind.get(req.kind) ?? [];
    list.push({ req, rows: Number(p.cost["x-d1-rows-read"] ?? Number.NaN), items: p.items ?? 0 });
    byKind.set(req.kind, list);
  }
  const run = async (paths: string[], distinct = true) => {
    await load(base, paths, { connections: opts.connections, amount: 3 * opts.connections, distinct });
    const f = await load(base, paths, { ...opts, distinct });
    if (f.non2xx || f.errors) throw new Error(`${f.non2xx} non-2xx answers and ${f.errors} errors under load (${paths[0]}…)`);
    await new Promise((r) => setTimeout(r, Math.min(5_000, Math.max(200, f.p99Ms))));
    return f;
  };
  const home: LoadFigures[] = [];
  const homeRun = async () => {
    home.push(await run([A]));
    log(`  home list p50 ${home.at(-1)!.p50Ms} ms`);
  };
  const homeRepeated = await run([A], false);
  log(`  home list, one URL repeated: p50 ${homeRepeated.p50Ms} ms`);
  await homeRun();
  const raw: (Omit<KindFigures, "homeP50Ms" | "latencyRatio"> & { before: number })[] = [];
  for (const [i, [kind, list]] of [...byKind].entries()) {
    const before = home.length - 1;
    const f = await run(list.map((x) => `${A}${x.req.path}`));
    const rows = list.map((x) => x.rows).sort((a, b) => a - b);
    const worst = list.reduce((w, x) => (x.rows > w.rows ? x : w));
    raw.push({
      kind,
      queries: list.length,
      withResults: list.filter((x) => x.items > 0).length,
      rows: { max: rows.at(-1)!, p99: quantile(rows, 0.99), median: median(rows) },
      p50Ms: f.p50Ms,
      p99Ms: f.p99Ms,
      rps: f.rps,
      worst: { text: worst.req.text, rows: worst.rows },
      before,
    });
    log(`  ${kind.padEnd(40)} rows max ${rows.at(-1)} median ${median(rows)}  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms`);
    if ((i + 1) % 3 === 0 && i + 1 < byKind.size) await homeRun();
  }
  await homeRun();
  return {
    home,
    distinct: true,
    homeRepeated,
    kinds: raw.map(({ before, ...k }) => {
      const homeP50Ms = (home[before]!.p50Ms + home[before + 1]!.p50Ms) / 2;
      return { ...k, homeP50Ms, latencyRatio: k.p50Ms / homeP50Ms };
    }),
  };
}

/** The query set of a catalog seeded by `npm run seed -- --films N` (seed 1): 20 texts per kind, 100 random filter combinations plus every subset of filters per order. */
export function querySet(films: number): CatalogRequest[] {
  const catalog = generateCatalog({ films, seed: 1 });
  return [...searchRequests(catalog, 20, 11), ...filterRequests(100, 13)];
}
