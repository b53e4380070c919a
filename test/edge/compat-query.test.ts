// The old website's query habits (edge/catalog/lenient-query.ts) through the real worker and D1.
import { beforeAll, describe, expect, it } from "vitest";
import { get, insertFilm } from "./seed-fixtures";

const A = "/api/v1/affair";
type Films = { films: Array<{ id: string }> };

describe("old clients' query habits", () => {
  beforeAll(async () => {
    const t = Date.now() + 30 * 86_400_000;
    for (let i = 0; i < 3; i++) await insertFilm({ title: `Compat ${i}`, type: "MOVIE", category: "MOVIE_WAR", updatedAt: t + i });
  });

  it("an empty parameter means the parameter is absent", async () => {
    const plain = await get<Films>(`${A}/filter/MOVIE`);
    const empty = await get<Films>(`${A}/filter/MOVIE?category=&location=&release_year=&order_type=&offset=&limit=`);
    expect(empty.status).toBe(200);
    expect(empty.body.films.map((f) => f.id)).toEqual(plain.body.films.map((f) => f.id));
  });

  it("a limit above the maximum is clamped to it, not refused", async () => {
    const big = await get<Films>(`${A}?limit=1000`);
    const max = await get<Films>(`${A}?limit=100`);
    expect(big.status).toBe(200);
    expect(big.body.films.map((f) => f.id)).toEqual(max.body.films.map((f) => f.id));
    expect((await get(`${A}/ranked/ALL_CATEGORY?limit=101`)).status).toBe(200);
  });

  it("values that are not numbers are still refused", async () => {
    const r = await get<{ reason: string }>(`${A}?limit=ten`);
    expect(r.status).toBe(400);
    expect(r.body.reason).toContain("query.limit");
    expect((await get(`${A}?limit=0`)).status).toBe(400);
  });

  it("a search without content, or with an empty one, is an empty list", async () => {
    for (const p of [`${A}/search/content`, `${A}/search/content?content=`, `${A}/search/celebrity`, `${A}/search/celebrity?content=&limit=5`]) {
      const r = await get<{ search_films: unknown[] }>(p);
      expect(r.status, p).toBe(200);
      expect(r.body).toEqual({ search_films: [] });
    }
  });
});
