// Catalog bench: every catalog route of docs/api.md on a catalog of N films (100,000 by default), through
// the local edge (`wrangler dev`, its real D1): what each request reads from D1, as the handler reports in
// X-D1-Rows-Read, and p50/p99 latency and throughput under a bounded autocannon run, throughput as a
// ratio of GET /api/v1/ping (no I/O) measured in the same run. Driven by bench/run.ts, which seeds the
// state, starts the edge and writes BENCHMARKS.md.
import { type EndpointSpec, type SuiteResult, runSuite } from "./lib/endpoints";
import type { LoadOptions } from "./lib/load";

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
