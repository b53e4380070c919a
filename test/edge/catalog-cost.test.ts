// Cost of the catalog on a 10,000-film catalog (the seed generator's), as the handlers themselves report
// in X-D1-Rows-Read (the sum of meta.rows_read of the queries they ran): every list, filter, popular
// and ranked request reads at most 3 × limit + 50 rows; every combination of filters at most 1,000,
// and 3 × limit + 50 when a page of films matches; every kind of search text at most 2,000.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MediaType, OrderType } from "../../schema/enums";
import { generateCatalog } from "../../scripts/seed-catalog";
import { buildListQuery, INDEX_FAMILIES, indexName, type ListFilter, type ListOrder } from "../../edge/catalog/list-query";
import { filterRequests, QUERY_KINDS, searchRequests } from "../../scripts/catalog-queries";
import { get, insertCatalog } from "./seed-fixtures";

const A = "/api/v1/affair";
const FILMS = 10_000;
const catalog = generateCatalog({ films: FILMS, seed: 7, now: Date.now() });
const bound = (limit: number) => 3 * limit + 50;

beforeAll(async () => {
  await insertCatalog(catalog);
  const n = await env.DB.prepare("SELECT count(*) AS n FROM films").first<{ n: number }>();
  expect(n?.n).toBe(FILMS);
}, 60_000);

async function cost(path: string) {
  const r = await get<Record<string, unknown[]>>(path);
  expect(r.status, path).toBe(200);
  expect(Number.isInteger(r.rowsRead), `${path} reports X-D1-Rows-Read`).toBe(true);
  return { rows: r.rowsRead, answered: Object.values(r.body)[0]!.length };
}

const lists: [string, number][] = [];
for (const limit of [60, 100, 10]) {
  lists.push([`${A}?limit=${limit}`, limit]);
  for (const order of OrderType.options) {
    lists.push([`${A}/filter/HOME?order_type=${order}&limit=${limit}`, limit]);
    lists.push([`${A}/filter/TV_SERIES?order_type=${order}&limit=${limit}`, limit]);
    lists.push([`${A}/filter/HOME?category=MOVIE_SCI_FI&order_type=${order}&limit=${limit}`, limit]);
    lists.push([`${A}/filter/HOME?location=KR&order_type=${order}&limit=${limit}`, limit]);
    // The category names its type: the category's index alone serves this one.
    lists.push([`${A}/filter/MOVIE?category=MOVIE_SCI_FI&order_type=${order}&limit=${limit}`, limit]);
  }
}
for (const t of MediaType.options) lists.push([`${A}/popular/type/${t}`, 60]);
for (const c of ["ALL_CATEGORY", "TV_SERIES_KR_SERIES", "MOVIE_ACTION", "VARIETY_SHOW_VARIETY_SHOW"]) {
  lists.push([`${A}/popular/category/${c}`, 60]);
  lists.push([`${A}/ranked/${c}`, 60]);
  lists.push([`${A}/ranked/${c}?limit=100`, 100]);
}

describe(`D1 rows read with ${FILMS} films`, () => {
  it("every list, filter, popular and ranked request reads at most 3 × limit + 50 rows", async () => {
    const over: string[] = [];
    let worst = { path: "", rows: 0, limit: 0 };
    for (const [path, limit] of lists) {
      const { rows, answered } = await cost(path);
      expect(answered, path).toBeGreaterThan(0);
      if (rows > bound(limit)) over.push(`${path}: ${rows} > ${bound(limit)}`);
      if (rows / limit > worst.rows / Math.max(worst.limit, 1)) worst = { path, rows, limit };
    }
    console.log(`lists: ${lists.length} requests, worst ${worst.rows} rows for limit ${worst.limit} (${worst.path})`);
    expect(over).toEqual([]);
  });

  it("every combination of filters reads at most 1,000 rows, and 3 × limit + 50 when a page matches", async () => {
    const over: string[] = [];
    const fixed = [
      "/filter/MOVIE?category=MOVIE_SCI_FI&location=KR",
      "/filter/ANIMATE?location=JP&release_year=2001",
      "/filter/MOVIE?category=TV_SERIES_KR_SERIES", // a type the category's films are not of
      "/filter/VARIETY_SHOWS?location=KR&release_year=2020",
    ];
    const requests = [...filterRequests(100, 13), ...fixed.flatMap((p) => OrderType.options.map((o) => ({ path: `${p}&order_type=${o}` })))];
    let worst = 0;
    let full = 0;
    for (const { path } of requests) {
      const { rows, answered } = await cost(`${A}${path}`);
      worst = Math.max(worst, rows);
      if (rows > 1000) over.push(`${path}: ${rows} > 1000`);
      if (answered === 60) full++;
      if (answered === 60 && rows > bound(60)) over.push(`${path}: ${rows} > ${bound(60)} with a full page`);
    }
    console.log(`filters: ${requests.length} combinations, ${full} with a full page, at most ${worst} rows read`);
    expect(full).toBeGreaterThan(40);
    expect(over).toEqual([]);
  }, 120_000);

  it("has every index the filters may walk", async () => {
    const r = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'films'").all<{ name: string }>();
    const names = new Set(r.results.map((x) => x.name));
    const wanted = INDEX_FAMILIES.flatMap((f) => f.orders.map((o) => indexName(f.dims, o)));
    expect(wanted.filter((n) => !names.has(n))).toEqual([]);
  });

  it("film detail and routes read a handful of rows", async () => {
    const id = catalog.films[1234]!.id;
    expect((await cost(`${A}/film_information/${id}`).catch(() => ({ rows: -1 }))).rows).toBeLessThanOrEqual(5);
    const routes = await get(`${A}/film_information/routes/${id}`);
    expect(routes.rowsRead).toBeLessThanOrEqual(5);
  });

  it("every kind of search text reads at most 2,000 rows (content and celebrity search)", async () => {
    const requests = searchRequests(catalog, 20, 11);
    expect(requests.length).toBeGreaterThanOrEqual(200);
    const byKind = new Map<string, { rows: number[]; answered: number[] }>();
    const over: string[] = [];
    for (const { kind, path, text } of requests) {
      const { rows, answered } = await cost(`${A}${path}`);
      const k = byKind.get(kind) ?? { rows: [], answered: [] };
      k.rows.push(rows);
      k.answered.push(answered);
      byKind.set(kind, k);
      if (rows > 2000) over.push(`${kind} ${JSON.stringify(text)}: ${rows}`);
    }
    const lines = QUERY_KINDS.map((kind) => {
      const k = byKind.get(kind)!;
      const sorted = [...k.rows].sort((a, b) => a - b);
      return `| ${kind} | ${k.rows.length} | ${sorted.at(-1)} | ${sorted[Math.floor(sorted.length / 2)]} | ${k.answered.filter((n) => n > 0).length} |`;
    });
    console.log(["search cost (limit 60):", "| kind | queries | max rows | median rows | with results |", "|---|---|---|---|---|", ...lines].join("\n"));
    expect(over).toEqual([]);
    // Texts cut from the catalog's own titles and names find films (numbers, letters, typos and long texts may not).
    for (const kind of QUERY_KINDS.filter((k) => !["one typo", "64 characters", "common word", "number", "latin letter"].includes(k))) {
      expect(byKind.get(kind)!.answered.every((n) => n > 0), kind).toBe(true);
    }
  }, 120_000);

  it("a celebrity with more films than a page reads a bounded number of rows", async () => {
    const counts = new Map<string, number>();
    for (const p of catalog.people) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    const [name, films] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const r = await get<{ search_films: unknown[] }>(`${A}/search/celebrity?content=${encodeURIComponent(name)}`);
    expect(films).toBeGreaterThan(60);
    expect(r.body.search_films.length).toBe(60);
    expect(r.rowsRead).toBeLessThanOrEqual(2000);
    console.log(`celebrity "${name}" (${films} films): ${r.rowsRead} rows read`);
  });

  it("walks exactly one index per list, never sorting (query plans)", async () => {
    const filters: ListFilter[] = [
      {}, { type: "MOVIE" }, { category: "MOVIE_WAR" }, { location: "JP" }, { releaseYear: 2001 },
      { type: "MOVIE", releaseYear: 2001 }, { category: "MOVIE_WAR", releaseYear: 2001 }, { location: "JP", releaseYear: 2001 },
      { type: "MOVIE", location: "JP" }, { category: "MOVIE_WAR", location: "JP" }, { type: "MOVIE", category: "MOVIE_WAR" },
      { type: "MOVIE", category: "MOVIE_WAR", location: "JP", releaseYear: 2001 },
    ];
    const orders: ListOrder[] = [...OrderType.options, "TODAY_POPULARITY"];
    for (const filter of filters) {
      for (const order of orders) {
        // Only the popular routes ask for today's order, with a type or a category alone.
        if (order === "TODAY_POPULARITY" && (filter.location || filter.releaseYear || (filter.type && filter.category))) continue;
        const q = buildListQuery("id", filter, order, { offset: 0, limit: 60 });
        const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).bind(...q.params).all<{ detail: string }>();
        const details = plan.results.map((r) => r.detail).join("; ");
        expect(details, `${JSON.stringify(filter)} ${order}`).toContain(`USING INDEX ${q.index}`);
        expect(details, `${JSON.stringify(filter)} ${order}`).not.toContain("TEMP B-TREE");
      }
    }
  });
});
