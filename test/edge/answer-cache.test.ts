// The catalog's answers from the Cache API (edge/lib/answer-cache.ts): fresh answers without D1, admin
// writes visible at once, stale-while-revalidate, nothing cached that must not be. The suite's config
// renders every answer anew (test files share the Cache API); these requests turn the cache on through
// the env they pass to the real worker, and this file uses its own catalog version.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../edge/index";
import { answerKey, stateAt } from "../../edge/lib/answer-cache";
import { BASE, insertFilm } from "./seed-fixtures";
import { bearer, FILM } from "./upload-support";

const A = "/api/v1/affair";
const CACHED = { CATALOG_FRESH_SECONDS: "30", CATALOG_STALE_SECONDS: "30", CATALOG_VERSION_CHECK_SECONDS: "0" };

async function call(path: string, vars: Record<string, string> = CACHED, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...vars }, ctx);
  const text = await res.text();
  // Background work (cache puts, refreshes, views) is done before the next request.
  await waitOnExecutionContext(ctx);
  return { status: res.status, headers: res.headers, text, cache: res.headers.get("x-cache"), rows: res.headers.get("x-d1-rows-read") };
}

beforeAll(async () => {
  const version = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
  await env.DB.prepare("INSERT INTO meta (key, value) VALUES ('catalog_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").bind(String(version)).run();
});

describe("answer cache", () => {
  it("serves a fresh answer without D1, and an admin write at once", async () => {
    const id = await insertFilm({ title: "Cached A", updatedAt: Date.now() + 30 * 86_400_000 });
    const first = await call(`${A}?limit=5&offset=0`);
    expect([first.status, first.cache]).toEqual([200, "MISS"]);
    expect(Number(first.rows)).toBeGreaterThan(0);
    expect(first.text).toContain("Cached A");

    // Behind the answer's back (no admin write): the cache keeps answering, reading nothing.
    await env.DB.prepare("UPDATE films SET title = 'Cached B' WHERE id = ?").bind(id).run();
    const hit = await call(`${A}?offset=0&limit=5`);
    expect([hit.status, hit.cache, hit.rows]).toEqual([200, "HIT", "0"]);
    expect(hit.text).toBe(first.text);
    expect(hit.headers.get("cache-control")).toBe("public, no-cache");
    // With the catalog version read recently, a hit makes no D1 query at all.
    const quiet = await call(`${A}?offset=0&limit=5`, { ...CACHED, CATALOG_VERSION_CHECK_SECONDS: "60" });
    expect([quiet.cache, quiet.headers.get("x-d1-queries")]).toEqual(["HIT", "0"]);
    expect(Number(first.headers.get("x-d1-queries"))).toBeGreaterThanOrEqual(2);
    const revalidated = await call(`${A}?limit=5&offset=0`, CACHED, { headers: { "If-None-Match": hit.headers.get("etag")! } });
    expect([revalidated.status, revalidated.cache, revalidated.text]).toEqual([304, "HIT", ""]);

    // An admin write bumps the catalog version: the next read renders again and sees everything.
    const created = await call("/api/v1/upload/media/", CACHED, { method: "POST", headers: { ...bearer, "content-type": "application/json" }, body: JSON.stringify(FILM) });
    expect(created.status).toBe(200);
    expect(created.headers.get("set-cookie")).toMatch(/^catalog_version=\d+; .*Path=\/api\/v1\/affair/);
    const after = await call(`${A}?limit=5&offset=0`);
    expect(after.cache).toBe("MISS");
    expect(after.text).toContain("Cached B");
  });

  it("serves a stale answer at once and refreshes it in the background", async () => {
    const vars = { ...CACHED, CATALOG_FRESH_SECONDS: "0" };
    const id = await insertFilm({ title: "Stale one" });
    const path = `${A}/film_information/${id}`;
    expect((await call(path, vars)).cache).toBe("MISS");
    await env.DB.prepare("UPDATE films SET title = 'Stale two' WHERE id = ?").bind(id).run();
    const stale = await call(path, vars);
    expect([stale.cache, stale.rows]).toEqual(["STALE", "0"]);
    expect(stale.text).toContain("Stale one");
    // The refresh ran after that answer: the next one has the new data, still without waiting on D1.
    const refreshed = await call(path, vars);
    expect(refreshed.cache).toBe("STALE");
    expect(refreshed.text).toContain("Stale two");
  });

  it("never stores errors or answers to a request with credentials", async () => {
    const id = crypto.randomUUID();
    const missing = await call(`${A}/film_information/${id}`);
    expect([missing.status, missing.cache]).toEqual([404, "MISS"]);
    expect(missing.headers.get("cache-control")).toBe("no-store");
    await insertFilm({ id, title: "Arrived later" });
    const found = await call(`${A}/film_information/${id}`);
    expect([found.status, found.cache]).toEqual([200, "MISS"]);

    const path = `${A}?limit=7`;
    const withToken = await call(path, CACHED, { headers: bearer });
    expect([withToken.status, withToken.cache]).toEqual([200, "MISS"]);
    expect((await call(path)).cache).toBe("MISS");
    expect((await call(path)).cache).toBe("HIT");
  });

  it("renders a key once for concurrent misses", async () => {
    await insertFilm({ title: "Herd" });
    const path = `${A}/filter/MOVIE?order_type=UploadTime&limit=3`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => call(path)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.cache === "MISS")).toHaveLength(1);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
  });

  it("answers each origin with its own CORS headers, whoever filled the cache", async () => {
    const vars = { ...CACHED, CORS_ORIGINS: "https://a.test,https://b.test" };
    const path = `${A}?limit=9`;
    const a = await call(path, vars, { headers: { Origin: "https://a.test" } });
    const b = await call(path, vars, { headers: { Origin: "https://b.test" } });
    expect(b.cache).toBe("HIT");
    expect(a.headers.get("access-control-allow-origin")).toBe("https://a.test");
    expect(b.headers.get("access-control-allow-origin")).toBe("https://b.test");
  });
});

describe("freshness and keys", () => {
  it("serves fresh, then stale, then nothing past fresh + stale", () => {
    const f = { freshMs: 30_000, staleMs: 10_000 };
    expect([0, 29_999, 30_000, 39_999, 40_000, Number.NaN, -1].map((age) => stateAt(age, f))).toEqual(["HIT", "HIT", "STALE", "STALE", "MISS", "MISS", "MISS"]);
  });

  it("keys on the version, the path and the sorted query", () => {
    const u = (s: string) => new URL(`https://edge.test${s}`);
    expect(answerKey(3, u("/a?b=2&a=1"))).toBe(answerKey(3, u("/a?a=1&b=2")));
    expect(answerKey(3, u("/a?a=1"))).not.toBe(answerKey(4, u("/a?a=1")));
    expect(answerKey(3, u("/a?a=1"))).not.toBe(answerKey(3, u("/b?a=1")));
  });
});

describe("the random ad", { timeout: 30_000 }, () => {
  it("picks at random on each call from cached candidates, and leaves out what expired since", async () => {
    const now = Date.now();
    const insert = (key: string, expiresAt: number) =>
      env.DB.prepare("INSERT INTO ads (id, type, status, asset_key, expires_at, created_at) VALUES (?, 'WEB_BAR', 'ready', ?, ?, ?)").bind(crypto.randomUUID(), key, expiresAt, now).run();
    await insert("ads/bar/a.png", now + 86_400_000);
    await insert("ads/bar/b.png", now + 86_400_000);
    await insert("ads/bar/soon.png", now + 6000);
    const first = await call(`${A}/ad/WEB_BAR`);
    expect([first.status, first.cache, first.headers.get("cache-control")]).toEqual([200, "MISS", "no-store"]);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 3; i++) {
      const r = await call(`${A}/ad/WEB_BAR`);
      expect([r.cache, r.rows]).toEqual(["HIT", "0"]);
      seen.add((JSON.parse(r.text) as { URL: string }).URL.split("/").pop()!);
    }
    expect([...seen].sort()).toEqual(["a.png", "b.png", "soon.png"]);
    // Once "soon" expired, the cached candidates no longer offer it.
    while (Date.now() < now + 6100) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20; i++) expect((await call(`${A}/ad/WEB_BAR`)).text).not.toContain("soon.png");
  });
});
