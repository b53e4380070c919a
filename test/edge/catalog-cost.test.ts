// Cost of the catalog on a 10,000-film catalog (the seed generator's): every list, filter, popular
// and ranked request must read at most 3 × limit + 50 D1 rows, as the handlers themselves report in
// X-D1-Rows-Read (the sum of meta.rows_read of the queries they ran). Search is measured and printed.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MediaType, OrderType } from "../../schema/enums";
import { generateCatalog } from "../../scripts/seed-catalog";
import { buildListQuery, type ListFilter, type ListOrder } from "../../edge/catalog/list-query";
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
// Filters combining dimensions are measured, not bound: they walk the index of the most selective
// one and read its films until the page is full (see the README).
const combined: [string, number][] = [];
for (const limit of [60, 100, 10]) {
  lists.push([`${A}?limit=${limit}`, limit]);
  for (const order of OrderType.options) {
    lists.push([`${A}/filter/HOME?order_type=${order}&limit=${limit}`, limit]);
    lists.push([`${A}/filter/TV_SERIES?order_type=${order}&limit=${limit}`, limit]);
    lists.push([`${A}/filter/HOME?category=MOVIE_SCI_FI&order_type=${order}&limit=${limit}`, limit]);
    lists.push([`${A}/filter/HOME?location=KR&order_type=${order}&limit=${limit}`, limit]);
    // The category names its type: the category's index alone serves this one.
    lists.push([`${A}/filter/MOVIE?category=MOVIE_SCI_FI&order_type=${order}&limit=${limit}`, limit]);
    combined.push([`${A}/filter/MOVIE?category=MOVIE_SCI_FI&location=KR&order_type=${order}&limit=${limit}`, limit]);
    combined.push([`${A}/filter/ANIMATE?location=JP&release_year=2001&order_type=${order}&limit=${limit}`, limit]);
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

  it("measures filters that combine dimensions", async () => {
    const figures: string[] = [];
    for (const [path, limit] of combined) {
      const { rows, answered } = await cost(path);
      // At most the films of the walked index (a category, a location or a type) plus the page.
      expect(rows, path).toBeLessThanOrEqual(2 * (FILMS / 5) + bound(limit));
      figures.push(`| ${path.replace(`${A}/filter/`, "")} | ${answered} | ${rows} |`);
    }
    console.log(["combined filters:", "| filter | answered | rows read |", "|---|---|---|", ...figures].join("\n"));
  });

  it("film detail and routes read a handful of rows", async () => {
    const id = catalog.films[1234]!.id;
    expect((await cost(`${A}/film_information/${id}`).catch(() => ({ rows: -1 }))).rows).toBeLessThanOrEqual(5);
    const routes = await get(`${A}/film_information/routes/${id}`);
    expect(routes.rowsRead).toBeLessThanOrEqual(5);
  });

  it("celebrity search reads through the name index", async () => {
    const name = catalog.people[500]!.name;
    const r = await get<{ search_films: unknown[] }>(`${A}/search/celebrity?content=${encodeURIComponent(name)}`);
    const films = catalog.people.filter((p) => p.name === name).length;
    expect(r.body.search_films.length).toBeGreaterThan(0);
    // Every film with that name is read once (to order them), never the whole catalog.
    expect(r.rowsRead).toBeLessThanOrEqual(5 * films + 50);
    expect(r.rowsRead).toBeLessThan(FILMS / 10);
    console.log(`celebrity "${name}": ${r.body.search_films.length} films, ${r.rowsRead} rows read`);
  });

  it("measures search by content", async () => {
    const queries = ["星际", "长安", "爱", "王", "十二时辰", "江湖传", "Silent River", "Midnight Harbor", "Midnite Harbr", "the", "Emma Smith", "zzzzqqq"];
    const figures: string[] = [];
    for (const q of queries) {
      const r = await get<{ search_films: unknown[] }>(`${A}/search/content?content=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      expect(Number.isInteger(r.rowsRead)).toBe(true);
      figures.push(`| ${q} | ${r.body.search_films.length} | ${r.rowsRead} |`);
    }
    console.log(["search cost (limit 60):", "| query | answered | rows read |", "|---|---|---|", ...figures].join("\n"));
  });

  it("walks exactly one index per list, never sorting (query plans)", async () => {
    const filters: ListFilter[] = [{}, { type: "MOVIE" }, { category: "MOVIE_WAR" }, { location: "JP" }, { type: "MOVIE", category: "MOVIE_WAR", location: "JP", releaseYear: 2001 }];
    const orders: ListOrder[] = [...OrderType.options, "TODAY_POPULARITY"];
    for (const filter of filters) {
      for (const order of orders) {
        if (filter.location && order === "TODAY_POPULARITY" && !filter.category && !filter.type) continue; // no route asks for it
        const q = buildListQuery("id", filter, order, { offset: 0, limit: 60 });
        const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).bind(...q.params).all<{ detail: string }>();
        const details = plan.results.map((r) => r.detail).join("; ");
        expect(details, `${JSON.stringify(filter)} ${order}`).toContain(`USING INDEX ${q.index}`);
        expect(details, `${JSON.stringify(filter)} ${order}`).not.toContain("TEMP B-TREE");
      }
    }
  });
});
