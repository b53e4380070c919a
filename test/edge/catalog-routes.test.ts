// Every catalog route of seed-api.md through the real worker and D1: exact JSON shapes, orders,
// paging and every error path.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CDN, get, insertFilm } from "./seed-fixtures";

const A = "/api/v1/affair";
type Film = { id: string; title: string; resource: string; state: string; actors: string[] };
const only = (films: { id: string }[], mine: string[]) => films.map((f) => f.id).filter((id) => mine.includes(id));

describe("GET /affair (home)", () => {
  const ids: string[] = [];
  beforeAll(async () => {
    // Updated in the future, so these three lead the list whatever else the file inserted.
    const t = Date.now() + 10 * 86_400_000;
    ids.push(await insertFilm({ title: "Home Oldest", updatedAt: t, posterKey: "films/p/poster/1.png", actors: ["A1", "A2"] }));
    ids.push(await insertFilm({ title: "Home Newest", updatedAt: t + 2000, autoPosterKey: "films/p/hls/j/poster.jpg" }));
    ids.push(await insertFilm({ title: "Home Middle", updatedAt: t + 1000, state: "updated to episode 3" }));
  });

  it("answers {films:[Film]} newest update first, with poster URLs", async () => {
    const r = await get<{ films: Film[] }>(A);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["films"]);
    expect(r.body.films.slice(0, 3)).toEqual([
      { id: ids[1], title: "Home Newest", resource: `${CDN}/api/v1/resource/media/films/p/hls/j/poster.jpg`, state: "HD", actors: [] },
      { id: ids[2], title: "Home Middle", resource: "", state: "updated to episode 3", actors: [] },
      { id: ids[0], title: "Home Oldest", resource: `${CDN}/api/v1/resource/media/films/p/poster/1.png`, state: "HD", actors: ["A1", "A2"] },
    ]);
    expect(r.headers.get("content-type")).toContain("application/json");
  });

  it("pages with offset and limit", async () => {
    const first = await get<{ films: Film[] }>(`${A}?limit=2`);
    const second = await get<{ films: Film[] }>(`${A}?offset=2&limit=1`);
    expect(first.body.films.map((f) => f.id)).toEqual([ids[1], ids[2]]);
    expect(second.body.films.map((f) => f.id)).toEqual([ids[0]]);
    expect((await get<{ films: Film[] }>(`${A}?offset=1000`)).body.films).toEqual([]);
  });

  it.each([
    ["offset=-1", "query.offset"],
    ["offset=abc", "query.offset"],
    ["offset=1.5", "query.offset"],
    ["offset=1e3", "query.offset"],
    ["limit=0", "query.limit"],
    ["limit=-5", "query.limit"],
    ["limit=ten", "query.limit"],
  ])("refuses %s with 400 naming %s", async (query, field) => {
    const r = await get<{ reason: string }>(`${A}?${query}`);
    expect(r.status).toBe(400);
    expect(Object.keys(r.body)).toEqual(["reason"]);
    expect(r.body.reason).toContain(field);
    expect(r.body.reason.split(field)).toHaveLength(2); // named once, not once per failed check
  });

  it("accepts limit=100", async () => {
    expect((await get(`${A}?limit=100`)).status).toBe(200);
  });
});

describe("GET /affair/filter/{MediaType}", () => {
  const f: Record<string, string> = {};
  const day = 86_400_000;
  beforeAll(async () => {
    const t = Date.now() + 20 * day;
    // Location SG and year 1977 are used by this block only.
    f.a = await insertFilm({ title: "F-a", type: "MOVIE", category: "MOVIE_WAR", location: "SG", releaseYear: 1977, createdAt: t + 3, updatedAt: t + 1, totalViews: 5, weekViews: 1 });
    f.b = await insertFilm({ title: "F-b", type: "MOVIE", category: "MOVIE_WAR", location: "SG", releaseYear: 1977, createdAt: t + 1, updatedAt: t + 3, totalViews: 9, weekViews: 0 });
    f.c = await insertFilm({ title: "F-c", type: "MOVIE", category: "MOVIE_COMEDY", location: "SG", releaseYear: 1977, createdAt: t + 2, updatedAt: t + 2, totalViews: 1, weekViews: 7 });
    f.d = await insertFilm({ title: "F-d", type: "ANIMATE", category: "ANIMATE_ANIMATE", location: "SG", releaseYear: 1978, createdAt: t, updatedAt: t, totalViews: 3, weekViews: 3 });
  });
  const mine = () => Object.values(f);
  const list = async (q: string) => {
    const r = await get<{ films: Film[] }>(`${A}/filter/${q}`);
    expect(r.status).toBe(200);
    return only(r.body.films, mine());
  };

  it("orders by each order type", async () => {
    expect(await list("HOME?location=SG")).toEqual([f.b, f.c, f.a, f.d]);
    expect(await list("HOME?location=SG&order_type=UpdateTime")).toEqual([f.b, f.c, f.a, f.d]);
    expect(await list("HOME?location=SG&order_type=UploadTime")).toEqual([f.a, f.c, f.b, f.d]);
    expect(await list("HOME?location=SG&order_type=WEEKLY_POPULARITY")).toEqual([f.c, f.d, f.a, f.b]);
    expect(await list("HOME?location=SG&order_type=TOTAL_POPULARITY")).toEqual([f.b, f.a, f.d, f.c]);
  });

  it("filters by type, category, location and release year, each optional", async () => {
    expect(await list("MOVIE?location=SG")).toEqual([f.b, f.c, f.a]);
    expect(await list("ANIMATE")).toEqual([f.d]);
    expect(await list("MOVIE?category=MOVIE_WAR&order_type=TOTAL_POPULARITY")).toEqual([f.b, f.a]);
    expect(await list("HOME?category=ALL_CATEGORY&location=ALL_LOCATION&release_year=1977")).toEqual([f.b, f.c, f.a]);
    expect(await list("HOME?location=SG&release_year=0")).toEqual([f.b, f.c, f.a, f.d]);
    expect(await list("MOVIE?category=ANIMATE_ANIMATE")).toEqual([]);
  });

  it("answers Film objects", async () => {
    const r = await get<{ films: Film[] }>(`${A}/filter/ANIMATE?location=SG`);
    expect(r.body.films.find((x) => x.id === f.d)).toEqual({ id: f.d, title: "F-d", resource: "", state: "HD", actors: [] });
  });

  it.each([
    ["NOPE", "param.type"],
    ["movie", "param.type"],
    ["MOVIE?category=MOVIES", "query.category"],
    ["MOVIE?location=MARS", "query.location"],
    ["MOVIE?order_type=RANDOM", "query.order_type"],
    ["MOVIE?release_year=abc", "query.release_year"],
    ["MOVIE?release_year=-1", "query.release_year"],
  ])("refuses %s with 400 naming %s", async (q, field) => {
    const r = await get<{ reason: string }>(`${A}/filter/${q}`);
    expect(r.status).toBe(400);
    expect(r.body.reason).toContain(field);
  });
});

describe("GET /affair/popular and /affair/ranked", () => {
  it("answer Film lists and ranked entries", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const id = await insertFilm({ title: "Pop shape", type: "VARIETY_SHOWS", category: "VARIETY_SHOW_VARIETY_SHOW", todayViews: 1000, viewsDay: today, totalViews: 5000, weekViews: 4000, actors: ["Host"] });
    const byType = await get<{ films: Film[] }>(`${A}/popular/type/VARIETY_SHOWS`);
    expect(byType.status).toBe(200);
    expect(byType.body.films[0]).toEqual({ id, title: "Pop shape", resource: "", state: "HD", actors: ["Host"] });
    const byCategory = await get<{ films: Film[] }>(`${A}/popular/category/VARIETY_SHOW_VARIETY_SHOW`);
    expect(byCategory.body.films[0]?.id).toBe(id);
    const ranked = await get<{ ranked_films: unknown[] }>(`${A}/ranked/VARIETY_SHOW_VARIETY_SHOW`);
    expect(ranked.status).toBe(200);
    expect(Object.keys(ranked.body)).toEqual(["ranked_films"]);
    expect(ranked.body.ranked_films[0]).toEqual({ id, title: "Pop shape", popularity: 4000 });
  });

  it.each([
    "/popular/type/ALL",
    "/popular/type/MOVIE?offset=x",
    "/popular/category/HOME",
    "/popular/category/MOVIE_DRAMA?limit=0",
    "/ranked/MOVIE",
    "/ranked/ALL_CATEGORY?offset=-3",
  ])("refuses %s with 400", async (path) => {
    const r = await get<{ reason: string }>(`${A}${path}`);
    expect(r.status).toBe(400);
    expect(r.body.reason).toMatch(/^(param|query)\.\w+: /);
  });
});

describe("GET /affair/film_information/{id}", () => {
  it("answers the FilmDetail and counts the view after answering", { timeout: 30_000 }, async () => {
    const updatedAt = Date.UTC(2024, 4, 6, 7, 8, 9, 123);
    const id = await insertFilm({
      title: "长安十二时辰",
      type: "TV_SERIES",
      category: "TV_SERIES_CN_SERIES",
      location: "MAIN_LAND",
      language: "普通话",
      releaseYear: 2019,
      state: "全48集",
      introduction: "唐朝长安，一个时辰一个时辰地追查。",
      posterKey: "films/x/poster/v1.jpg",
      updatedAt,
      totalViews: 41,
      actors: ["雷佳音", "易烊千玺"],
      directors: ["曹盾"],
    });
    const r = await get(`${A}/film_information/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id,
      title: "长安十二时辰",
      resource: `${CDN}/api/v1/resource/media/films/x/poster/v1.jpg`,
      state: "全48集",
      type: "TV_SERIES",
      category: "TV_SERIES_CN_SERIES",
      actors: ["雷佳音", "易烊千玺"],
      directors: ["曹盾"],
      location: "MAIN_LAND",
      releaseYear: 2019,
      updateTime: "2024-05-06T07:08:09.123Z",
      popularity: 41,
      introduction: "唐朝长安，一个时辰一个时辰地追查。",
    });
    // The count lands through the film-views queue, after the answer.
    const counted = await waitFor(async () => {
      const row = await env.DB.prepare("SELECT total_views, today_views, week_views, views_day FROM films WHERE id = ?").bind(id).first<Record<string, number | string>>();
      return row?.total_views === 42 ? row : null;
    }, 20_000);
    const today = new Date().toISOString().slice(0, 10);
    expect(counted).toEqual({ total_views: 42, today_views: 1, week_views: 1, views_day: today });
    const day = await env.DB.prepare("SELECT views FROM film_views WHERE film_id = ? AND day = ?").bind(id, today).first<{ views: number }>();
    expect(day?.views).toBe(1);
  });

  it("answers 404 {reason} for an unknown id and 400 for a malformed one", async () => {
    const unknown = await get<{ reason: string }>(`${A}/film_information/${crypto.randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(Object.keys(unknown.body)).toEqual(["reason"]);
    const malformed = await get<{ reason: string }>(`${A}/film_information/not-a-uuid`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.reason).toContain("param.id");
  });
});

describe("GET /affair/film_information/routes/{id}", () => {
  it("lists ready episodes by route, in natural order", async () => {
    const id = await insertFilm({ title: "Routes" });
    const now = Date.now();
    const episodes: [string, string, string][] = [
      ["line2", "1", "ready"],
      ["line1", "10", "ready"],
      ["line1", "2", "ready"],
      ["line1", "1", "ready"],
      ["line1", "3", "processing"],
      ["line1", "4", "failed"],
      ["line1", "1.5", "ready"],
      ["line10", "1", "ready"],
      ["line3", "1", "processing"],
    ];
    await env.DB.batch(
      episodes.map(([route, episode, status]) =>
        env.DB.prepare("INSERT INTO episodes (film_id, route, episode, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").bind(id, route, episode, status, now, now),
      ),
    );
    const r = await get(`${A}/film_information/routes/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      film_routes: [
        { route: "line1", episodes: ["1", "1.5", "2", "10"] },
        { route: "line2", episodes: ["1"] },
        { route: "line10", episodes: ["1"] },
      ],
    });
  });

  it("answers an empty list for a film with nothing playable, 404 for an unknown film, 400 for a bad id", async () => {
    const id = await insertFilm({ title: "No episodes" });
    expect((await get(`${A}/film_information/routes/${id}`)).body).toEqual({ film_routes: [] });
    expect((await get(`${A}/film_information/routes/${crypto.randomUUID()}`)).status).toBe(404);
    const bad = await get<{ reason: string }>(`${A}/film_information/routes/..%2F..%2Fetc`);
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toContain("param.id");
  });
});

describe("GET /affair/ad/{AdType}", () => {
  const insertAd = (type: string, status: string, expiresAt: number, assetKey: string | null) =>
    env.DB.prepare("INSERT INTO ads (id, type, status, asset_key, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(crypto.randomUUID(), type, status, assetKey, expiresAt, Date.now())
      .run();

  it("answers 404 {reason} when no ready, unexpired ad of the type exists", async () => {
    await insertAd("WEB_CORNER", "ready", Date.now() - 1000, "ads/x/image.png"); // expired
    await insertAd("WEB_CORNER", "processing", Date.now() + 86_400_000, "ads/y/image.png"); // not ready
    await insertAd("WEB_BAR", "ready", Date.now() + 86_400_000, "ads/z/image.png"); // other type
    const r = await get<{ reason: string }>(`${A}/ad/WEB_CORNER`);
    expect(r.status).toBe(404);
    expect(Object.keys(r.body)).toEqual(["reason"]);
  });

  it("answers {URL} of a random ready, unexpired ad of the type", async () => {
    await insertAd("WEB", "ready", Date.now() + 86_400_000, "ads/a1/image.gif");
    await insertAd("WEB", "ready", Date.now() + 86_400_000, "ads/a2/image.png");
    await insertAd("WEB", "ready", Date.now() - 1, "ads/a3/image.png");
    await insertAd("WEB", "failed", Date.now() + 86_400_000, "ads/a4/image.png");
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await get<{ URL: string }>(`${A}/ad/WEB`);
      expect(r.status).toBe(200);
      expect(Object.keys(r.body)).toEqual(["URL"]);
      expect(r.headers.get("cache-control")).toBe("no-store");
      seen.add(r.body.URL);
    }
    expect([...seen].sort()).toEqual([`${CDN}/api/v1/resource/media/ads/a1/image.gif`, `${CDN}/api/v1/resource/media/ads/a2/image.png`]);
  });

  it("refuses an unknown ad type with 400", async () => {
    const r = await get<{ reason: string }>(`${A}/ad/POPUP`);
    expect(r.status).toBe(400);
    expect(r.body.reason).toContain("param.type");
  });
});

async function waitFor<T>(probe: () => Promise<T | null>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
