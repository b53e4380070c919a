// Search by content (FTS5 trigram, bm25 weighted title 3 / introduction 2 / people 1) and by
// celebrity (exact name), through the worker, plus the query planner on its own.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { reindexFilmStatements } from "../../edge/catalog";
import { charTokens, ftsString, MAX_QUERY_CHARS, planSearch, variantsOf } from "../../edge/catalog/search-query";
import { get, insertFilm } from "./seed-fixtures";

const A = "/api/v1/affair";
type SearchFilm = Record<string, unknown> & { id: string; title: string };
const search = async (content: string, extra = "") => {
  const r = await get<{ search_films: SearchFilm[] }>(`${A}/search/content?content=${encodeURIComponent(content)}${extra}`);
  expect(r.status).toBe(200);
  return r.body.search_films;
};
const celebrity = async (name: string) => {
  const r = await get<{ search_films: SearchFilm[] }>(`${A}/search/celebrity?content=${encodeURIComponent(name)}`);
  expect(r.status).toBe(200);
  return r.body.search_films.map((f) => f.id);
};

const f: Record<string, string> = {};
beforeAll(async () => {
  f.interstellar = await insertFilm({ title: "Interstellar", introduction: "A team travels through a wormhole.", actors: ["Matthew McConaughey", "Anne Hathaway"], directors: ["Christopher Nolan"] });
  f.introOnly = await insertFilm({ title: "Dust Bowl Diaries", introduction: "Farmers dream of interstellar travel." });
  f.peopleOnly = await insertFilm({ title: "Quiet Orchard", introduction: "An orchard in autumn.", actors: ["Interstellar Jones"] });
  f.changan = await insertFilm({ title: "长安十二时辰", introduction: "唐朝上元节，长安城危在旦夕。", actors: ["雷佳音", "易烊千玺"], directors: ["曹盾"] });
  f.xingji = await insertFilm({ title: "星际穿越", introduction: "一队探险家穿越虫洞。", actors: ["马修·麦康纳"], directors: ["克里斯托弗·诺兰"] });
  f.ai = await insertFilm({ title: "爱", introduction: "一部短片。" });
  f.wangfei = await insertFilm({ title: "重庆森林", introduction: "两段都市爱情故事。", actors: ["王菲", "梁朝伟"], directors: ["王家卫"] });
  f.percent = await insertFilm({ title: "100% Wolf", introduction: "A boy who turns into a poodle." });
});

describe("GET /affair/search/content", () => {
  it("answers SearchFilm objects (snake_case) by relevance", async () => {
    const results = await search("Interstellar");
    expect(results[0]).toEqual({
      id: f.interstellar,
      state: "HD",
      title: "Interstellar",
      resource: "",
      category: "MOVIE_DRAMA",
      actors: ["Matthew McConaughey", "Anne Hathaway"],
      directors: ["Christopher Nolan"],
      location: "US",
      language: "English",
      release_year: 2020,
      update_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      introduction: "A team travels through a wormhole.",
    });
  });

  it("ranks a title match above an introduction-only match, and that above a people-only match", async () => {
    const order = (await search("interstellar")).map((r) => r.id).filter((id) => [f.interstellar, f.introOnly, f.peopleOnly].includes(id));
    expect(order).toEqual([f.interstellar, f.introOnly, f.peopleOnly]);
  });

  it("finds English prefixes and tolerates a typo", async () => {
    expect((await search("Inters"))[0]?.id).toBe(f.interstellar);
    expect((await search("inter"))[0]?.id).toBe(f.interstellar);
    expect((await search("Intersteller"))[0]?.id).toBe(f.interstellar);
    expect((await search("Interstelar"))[0]?.id).toBe(f.interstellar);
    expect((await search("INTERSTELLAR"))[0]?.id).toBe(f.interstellar);
  });

  it("finds Chinese titles from 1, 2 and 3+ characters", async () => {
    expect((await search("爱")).map((r) => r.id)).toContain(f.ai);
    expect((await search("爱"))[0]?.id).toBe(f.ai); // a title hit before the introduction of 重庆森林
    expect((await search("长安"))[0]?.id).toBe(f.changan);
    expect((await search("星际"))[0]?.id).toBe(f.xingji);
    expect((await search("十二时辰"))[0]?.id).toBe(f.changan);
    expect((await search("星际穿越"))[0]?.id).toBe(f.xingji);
    expect((await search("长安十二时"))[0]?.id).toBe(f.changan);
  });

  it("finds people, including two-character Chinese names", async () => {
    expect((await search("王菲"))[0]?.id).toBe(f.wangfei);
    expect((await search("McConaughey"))[0]?.id).toBe(f.interstellar);
    expect((await search("雷佳音"))[0]?.id).toBe(f.changan);
  });

  it("pages", async () => {
    const all = await search("interstellar");
    expect(all.length).toBeGreaterThanOrEqual(3);
    const second = await search("interstellar", "&offset=1&limit=1");
    expect(second.map((r) => r.id)).toEqual([all[1]!.id]);
  });

  it("answers an empty list for blank text", async () => {
    expect(await search("")).toEqual([]);
    expect(await search("   \t ")).toEqual([]);
  });

  it.each([
    ['"', "a lone quote"],
    ['""""', "quotes"],
    ['"unterminated', "an open quote"],
    ["*", "a star"],
    ["inter*", "a prefix star"],
    ["NEAR(", "an open NEAR"],
    ["NEAR(interstellar wormhole, 2)", "a NEAR query"],
    ["AND", "a bare AND"],
    ["interstellar AND OR NOT", "operators"],
    ["title:interstellar", "a column filter"],
    ["{title introduction}: x", "a column set"],
    ["^inter", "an initial-token marker"],
    ["(((", "parentheses"],
    ["-", "a minus"],
    ["'; DROP TABLE films; --", "SQL"],
    ["%_%", "LIKE wildcards"],
    ["\\", "a backslash"],
    ["🎬🍿", "two emoji"],
    ["🎬🍿🎥 films", "emoji words"],
    ["\u0000\u0001", "control characters"],
    ["\u200B\u200D\uFEFF", "zero-width characters"],
    ["ｉｎｔｅｒｓｔｅｌｌａｒ", "full-width letters"],
    ["x".repeat(1000), "1000 characters"],
  ])("answers normally for %j (%s)", async (content) => {
    const r = await get<{ search_films: unknown[] }>(`${A}/search/content?content=${encodeURIComponent(content)}`);
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body.search_films)).toBe(true);
  });

  it.each([
    ["%ED%A0%BC", "a UTF-8-encoded lone surrogate"],
    ["a%ED%B0%80b", "another one, inside a word"],
    ["%FF%FE%FD", "bytes that are not UTF-8"],
    ["%", "a bare percent sign"],
    ["%E4%B8", "a truncated character"],
  ])("answers normally for the raw query content=%s (%s)", async (raw) => {
    const r = await get<{ search_films: unknown[] }>(`${A}/search/content?content=${raw}`);
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body.search_films)).toBe(true);
  });

  it("treats user text as text: a percent sign matches itself only", async () => {
    expect((await search("%")).map((r) => r.id)).toEqual([f.percent]);
    expect((await search("ｉｎｔｅｒｓｔｅｌｌａｒ"))[0]?.id).toBe(f.interstellar);
  });

  it("refuses an over-long content and bad paging with 400 naming the field", async () => {
    for (const [q, field] of [
      [`content=${"y".repeat(1001)}`, "query.content"],
      ["content=x&limit=abc", "query.limit"],
      ["content=x&offset=-1", "query.offset"],
    ]) {
      const r = await get<{ reason: string }>(`${A}/search/content?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.reason).toContain(field);
    }
  });
});

describe("ranking within an arm", () => {
  it("puts the film added last first among those holding the text in the same field, whatever their views", async () => {
    const older = await insertFilm({ title: "Quokka Island", totalViews: 9_000, weekViews: 900 });
    const newer = await insertFilm({ title: "Return to Quokka Island", totalViews: 0 });
    const introOnly = await insertFilm({ title: "Marsupials", introduction: "A quokka island documentary." });
    const ids = (await search("quokka island")).map((r) => r.id);
    expect(ids).toEqual([newer, older, introOnly]);
    // The same for texts of one or two characters (films_chars).
    const a = await insertFilm({ title: "袋鼬岛" });
    const b = await insertFilm({ title: "回到袋鼬岛" });
    expect((await search("袋鼬")).map((r) => r.id)).toEqual([b, a]);
  });

  it("runs the typo pass only when the text is found nowhere", async () => {
    const exact = await insertFilm({ title: "Wombat Express" });
    const near = await insertFilm({ title: "Wombats Expresso" });
    // Verbatim first, then every word (a prefix of each), never the typo pass while those find films.
    expect((await search("Wombat Express")).map((r) => r.id)).toEqual([exact, near]);
    expect((await search("Wombat Expres")).map((r) => r.id)).toEqual([exact, near]);
    // Found nowhere: each word by either half, the film added last first.
    expect((await search("Wombta Exprss")).map((r) => r.id)).toEqual([near, exact]);
    // The passes page like the arms, and a page past the films found never reaches a later pass.
    expect((await search("Wombta Exprss", "&offset=1&limit=1")).map((r) => r.id)).toEqual([exact]);
    expect(await search("Wombat Express", "&offset=2&limit=5")).toEqual([]);
    expect(await search("Wombta Exprss", "&offset=2&limit=5")).toEqual([]);
    // No word by a half either: any word of four characters or more.
    expect((await search("Wombat Qxzvjk")).map((r) => r.id)).toEqual([near, exact]);
    expect((await search("Wombat Qxzvjk", "&offset=1")).map((r) => r.id)).toEqual([exact]);
  });
});

describe("the search index follows writes", () => {
  it("changes of title, people and deletion are searchable at once; reindex rebuilds an entry", async () => {
    const id = await insertFilm({ title: "Zebra Crossing", actors: ["Yolanda Quist"] });
    expect((await search("zebra"))[0]?.id).toBe(id);
    await env.DB.prepare("UPDATE films SET title = 'Okapi Meadow' WHERE id = ?").bind(id).run();
    expect((await search("zebra")).map((r) => r.id)).not.toContain(id);
    expect((await search("okapi"))[0]?.id).toBe(id);

    await env.DB.prepare("INSERT INTO film_people (film_id, role, name, position) VALUES (?, 'director', 'Xavier Plumtree', 0)").bind(id).run();
    expect((await search("Plumtree"))[0]?.id).toBe(id);
    expect(await celebrity("Xavier Plumtree")).toEqual([id]);
    await env.DB.prepare("DELETE FROM film_people WHERE film_id = ? AND name = 'Yolanda Quist'").bind(id).run();
    expect((await search("Quist")).map((r) => r.id)).not.toContain(id);
    const detail = await get<{ actors: string[]; directors: string[] }>(`${A}/film_information/${id}`);
    expect([detail.body.actors, detail.body.directors]).toEqual([[], ["Xavier Plumtree"]]);

    // An explicit reindex (the admin route's job) leaves exactly one, correct entry.
    await env.DB.batch(reindexFilmStatements(env.DB, id));
    await env.DB.batch(reindexFilmStatements(env.DB, id));
    const entries = await env.DB.prepare("SELECT title, people FROM films_fts WHERE film_id = ?").bind(id).all();
    expect(entries.results).toEqual([{ title: "Okapi Meadow", people: "Xavier Plumtree" }]);

    await env.DB.prepare("DELETE FROM films WHERE id = ?").bind(id).run();
    expect((await search("okapi")).map((r) => r.id)).not.toContain(id);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM films_fts WHERE film_id = ?").bind(id).first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});

describe("GET /affair/search/celebrity", () => {
  it("finds films by an exact actor or director name, not by a part of one", async () => {
    expect(await celebrity("王菲")).toEqual([f.wangfei]);
    expect(await celebrity("王家卫")).toEqual([f.wangfei]);
    expect(await celebrity("Christopher Nolan")).toEqual([f.interstellar]);
    expect(await celebrity("  Christopher Nolan ")).toEqual([f.interstellar]);
    expect(await celebrity("王")).toEqual([]);
    expect(await celebrity("Nolan")).toEqual([]);
    expect(await celebrity("christopher nolan")).toEqual([]);
    expect(await celebrity("Christopher Nola")).toEqual([]);
  });

  it("answers SearchFilm objects, films with that person newest update first", async () => {
    const older = await insertFilm({ title: "Older", updatedAt: Date.now() - 100_000, actors: ["Shared Person"] });
    const newer = await insertFilm({ title: "Newer", updatedAt: Date.now(), directors: ["Shared Person"] });
    const r = await get<{ search_films: SearchFilm[] }>(`${A}/search/celebrity?content=Shared%20Person`);
    expect(r.body.search_films.map((x) => x.id)).toEqual([newer, older]);
    expect(Object.keys(r.body.search_films[0]!).sort()).toEqual(
      ["actors", "category", "directors", "id", "introduction", "language", "location", "release_year", "resource", "state", "title", "update_time"].sort(),
    );
  });

  it("answers hostile names normally, and a missing content with an empty list (as the old service did)", async () => {
    for (const name of ['"', "*", "%", "NEAR(", "🎬", "\u0000"]) expect(await celebrity(name)).toEqual([]);
    for (const raw of ["%ED%A0%80", "%FF", "%"]) {
      const r = await get<{ search_films: unknown[] }>(`${A}/search/celebrity?content=${raw}`);
      expect(r.status).toBe(200);
      expect(r.body.search_films).toEqual([]);
    }
    expect(await get(`${A}/search/celebrity`)).toMatchObject({ status: 200, body: { search_films: [] } });
  });
});

describe("planSearch (pure)", () => {
  // Every double-quoted string of an expression, and what is left outside them: only our syntax.
  const outside = (match: string) => match.replace(/"(?:[^"]|"")*"/g, "S");

  it("quotes every piece of user text, so none of it becomes FTS5 syntax", () => {
    const plan = planSearch('ab"c NEAR( title:x');
    expect(plan.kind).toBe("search");
    if (plan.kind !== "search") return;
    expect(plan.table).toBe("films_fts");
    expect(plan.arms[0]).toEqual({ name: "title", table: "films_title", match: ftsString('ab"c near( title:x'), exclude: [] });
    for (const arm of [...plan.arms, ...plan.fallbacks.flatMap((p) => p.arms)]) {
      expect(outside(arm.match)).toMatch(/^[a-z{} :()SANDORT]+$/);
      for (const e of arm.exclude) expect(outside(e.match)).toMatch(/^[a-z{} :()SANDORT]+$/);
    }
    for (const p of plan.fallbacks) expect(outside(p.unless)).toMatch(/^[ ()SANDOR]+$/);
    expect(ftsString('b"c')).toBe('"b""c"');
  });

  it("ranks verbatim title, introduction, people, then all words; typo variants are a fallback pass", () => {
    const plan = planSearch("Silent  River");
    if (plan.kind !== "search") throw new Error("not a search");
    expect(plan.arms.map((a) => a.name)).toEqual(["title", "introduction", "people", "title: words", "introduction: words", "people: words"]);
    expect(plan.fallbacks.map((p) => p.arms.map((a) => a.name))).toEqual([
      ["title: typo", "introduction: typo", "people: typo"],
      ["title: any word", "introduction: any word", "people: any word"],
    ]);
    // A pass runs when nothing matches what came before it: the last expression before it holds all
    // the earlier ones (the phrase holds every word, every word one of its variants).
    expect(plan.fallbacks[0]!.unless).toBe('"silent" AND "river"');
    expect(plan.fallbacks[1]!.unless).toBe('("sil" OR "ent") AND ("riv" OR "ive" OR "ver")');
    expect(plan.fallbacks[1]!.arms[0]!.match).toBe('"silent" OR "river"');
    expect(plan.arms[1]).toMatchObject({ table: "films_intro", match: '"silent river"', exclude: [{ table: "films_title", match: '"silent river"' }] });
    expect(plan.arms.map((a) => a.table)).toEqual(["films_title", "films_intro", "films_people", "films_title", "films_intro", "films_people"]);
    expect(plan.arms[2]).toMatchObject({ match: '"silent river"', exclude: [{ table: "films_fts", match: '{title introduction} : ("silent river")' }] });
    expect(plan.arms[3]).toMatchObject({ match: '"silent" AND "river"', exclude: [{ table: "films_fts", match: '("silent river")' }] });
    expect(plan.fallbacks[0]!.arms[0]!.match).toBe('("sil" OR "ent") AND ("riv" OR "ive" OR "ver")');
  });

  it("matches long words by halves in the typo arms, and leaves out arms that would repeat", () => {
    expect(variantsOf("intersteller")).toEqual(["inters", "teller"]);
    expect(variantsOf("harbr")).toEqual(["har", "arb", "rbr"]);
    const one = planSearch("Intersteller");
    expect(one.kind === "search" && one.arms.map((a) => a.name)).toEqual(["title", "introduction", "people"]);
    expect(one.kind === "search" && one.fallbacks.map((p) => p.arms[0]!.match)).toEqual(['("inters" OR "teller")']);
    const short = planSearch("the");
    expect(short.kind === "search" && short.fallbacks).toEqual([]);
    const wrapped = planSearch('"Star Actor" AND title:*');
    expect(wrapped.kind === "search" && wrapped.arms[3]!.match).toBe('"star" AND "actor" AND "and" AND "title"');
  });

  it("looks for texts of one or two characters in films_chars, as one token", () => {
    expect(planSearch("爱")).toMatchObject({ table: "films_chars", text: "爱", arms: [{ match: 'title : ("爱")' }, {}, {}] });
    expect(planSearch("王菲")).toMatchObject({ table: "films_chars", arms: [{ match: 'title : ("王菲")' }, {}, {}] });
    expect(planSearch("a b")).toMatchObject({ table: "films_fts", text: "a b" });
    expect(charTokens("of x")).toEqual(["o", "of", "f", "f_", "_", "_x", "x"]);
    expect(charTokens("of")).toEqual(["of"]);
    expect(planSearch(" \u200B ")).toEqual({ kind: "empty" });
  });

  it("caps the text and the words, and normalizes width, case and surrogates", () => {
    const long = planSearch("abcdefgh ".repeat(20));
    expect(long.kind === "search" && Array.from(long.text).length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
    expect(planSearch("ＡＢＣ")).toMatchObject({ text: "abc" });
    expect(planSearch("a\uD800bc")).toMatchObject({ text: "a bc" });
    expect(planSearch("🎬🍿🎥")).toMatchObject({ table: "films_fts", text: "🎬🍿🎥" });
  });
});
