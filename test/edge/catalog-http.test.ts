// HTTP behaviour around the catalog: CORS for the website, Cache-Control + ETag revalidation (never
// stale after a write), the OpenAPI document and the offline /docs page.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { CATALOG_CACHE_CONTROL, etagListMatches } from "../../edge/lib/cache";
import { parseOrigins } from "../../edge/config";
import { corsFromEnv } from "../../edge/lib/cors";
import type { AppEnv } from "../../edge/env";
import { get, insertFilm } from "./seed-fixtures";

const A = "/api/v1/affair";

describe("Cache-Control and ETag", () => {
  it("answers catalog GETs with no-cache and a weak ETag, and 304 for a matching If-None-Match", async () => {
    await insertFilm({ title: "Cached film", updatedAt: Date.now() + 86_400_000 });
    const first = await get(A);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe(CATALOG_CACHE_CONTROL);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);

    const again = await get(A, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("cache-control")).toBe(CATALOG_CACHE_CONTROL);
    expect(again.headers.get("content-type")).toBeNull();

    // Weak comparison, lists and "*".
    expect((await get(A, { headers: { "If-None-Match": `"x", ${etag.slice(2)}` } })).status).toBe(304);
    expect((await get(A, { headers: { "If-None-Match": "*" } })).status).toBe(304);
    expect((await get(A, { headers: { "If-None-Match": 'W/"other"' } })).status).toBe(200);
  });

  it("is never stale after a write: the ETag follows the data", async () => {
    const id = await insertFilm({ title: "Before the write", updatedAt: Date.now() + 2 * 86_400_000 });
    const before = await get<{ films: { title: string }[] }>(A);
    const etag = before.headers.get("etag")!;
    await env.DB.prepare("UPDATE films SET title = 'After the write' WHERE id = ?").bind(id).run();
    const after = await get<{ films: { id: string; title: string }[] }>(A, { headers: { "If-None-Match": etag } });
    expect(after.status).toBe(200);
    expect(after.body.films.find((f) => f.id === id)?.title).toBe("After the write");
    expect(after.headers.get("etag")).not.toBe(etag);
  });

  it("does not cache errors, and a film detail revalidation still counts the view", { timeout: 30_000 }, async () => {
    const bad = await get(`${A}?limit=0`);
    expect(bad.headers.get("cache-control")).toBe("no-store");
    expect(bad.headers.get("etag")).toBeNull();
    const missing = await get(`${A}/film_information/${crypto.randomUUID()}`);
    expect(missing.headers.get("cache-control")).toBe("no-store");

    const id = await insertFilm({ title: "Revalidated" });
    // Three viewers: one viewer counts once a day.
    const viewer = (n: number, h: Record<string, string> = {}) => ({ headers: { "cf-connecting-ip": `198.51.100.${n}`, ...h } });
    const first = await get(`${A}/film_information/${id}`, viewer(1));
    // popularity changes with each counted view, so wait for the count before revalidating.
    await until(async () => (await env.DB.prepare("SELECT total_views FROM films WHERE id = ?").bind(id).first<{ total_views: number }>())?.total_views === 1);
    const second = await get(`${A}/film_information/${id}`, viewer(2));
    expect(second.headers.get("etag")).not.toBe(first.headers.get("etag"));
    const third = await get(`${A}/film_information/${id}`, viewer(3, { "If-None-Match": second.headers.get("etag")! }));
    expect([200, 304]).toContain(third.status);
    await until(async () => (await env.DB.prepare("SELECT total_views FROM films WHERE id = ?").bind(id).first<{ total_views: number }>())?.total_views === 3);
  });

  it("matches If-None-Match lists with the weak comparison", () => {
    expect(etagListMatches('W/"a"', 'W/"a"')).toBe(true);
    expect(etagListMatches('"a"', 'W/"a"')).toBe(true);
    expect(etagListMatches('"b", W/"a"', 'W/"a"')).toBe(true);
    expect(etagListMatches('"ab"', 'W/"a"')).toBe(false);
    expect(etagListMatches(undefined, 'W/"a"')).toBe(false);
  });
});

describe("CORS", () => {
  it("allows any origin with CORS_ORIGINS=* and exposes the caching headers", async () => {
    const r = await get(A, { headers: { Origin: "https://site.example" } });
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-expose-headers")).toContain("ETag");
    const etag = r.headers.get("etag")!;
    const notModified = await get(A, { headers: { Origin: "https://site.example", "If-None-Match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers preflights", async () => {
    const r = await get(`${A}/search/content?content=x`, {
      method: "OPTIONS",
      headers: { Origin: "https://site.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match" },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-methods")).toContain("GET");
    expect(r.headers.get("access-control-allow-headers")).toContain("if-none-match");
  });

  it("allows only the listed origins when CORS_ORIGINS is a list", async () => {
    const app = new Hono<AppEnv>();
    app.use(corsFromEnv());
    app.get("/x", (c) => c.json({ ok: true }));
    const vars = { ...env, CORS_ORIGINS: "https://a.example, https://b.example/" };
    const allowed = await app.request("/x", { headers: { Origin: "https://b.example" } }, vars);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://b.example");
    expect(allowed.headers.get("vary")).toContain("Origin");
    const refused = await app.request("/x", { headers: { Origin: "https://evil.example" } }, vars);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const none = await app.request("/x", { headers: { Origin: "https://a.example" } }, { ...env, CORS_ORIGINS: "" });
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("parses CORS_ORIGINS", () => {
    expect(parseOrigins("*")).toBe("*");
    expect(parseOrigins(" https://a.example/ ,https://b.example")).toEqual(["https://a.example", "https://b.example"]);
    expect(parseOrigins("https://a.example,*")).toBe("*");
    expect(parseOrigins("")).toEqual([]);
    expect(parseOrigins(undefined)).toEqual([]);
  });
});

describe("OpenAPI and docs", () => {
  it("serves /api/v1/openapi.json with every catalog route and schema", async () => {
    const r = await get<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>("/api/v1/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    for (const path of [
      "/api/v1/affair",
      "/api/v1/affair/filter/{type}",
      "/api/v1/affair/popular/type/{type}",
      "/api/v1/affair/popular/category/{category}",
      "/api/v1/affair/ranked/{category}",
      "/api/v1/affair/film_information/{id}",
      "/api/v1/affair/film_information/routes/{id}",
      "/api/v1/affair/search/content",
      "/api/v1/affair/search/celebrity",
      "/api/v1/affair/ad/{type}",
      "/healthz",
    ]) {
      expect(r.body.paths[path], path).toHaveProperty("get");
    }
    for (const name of ["Film", "FilmDetail", "SearchFilm", "RankedFilm", "FilmRoutes", "Reason"]) expect(r.body.components.schemas).toHaveProperty(name);
    const filter = r.body.paths["/api/v1/affair/filter/{type}"]!.get as { parameters: { name: string; in: string }[] };
    expect(filter.parameters.map((p) => `${p.in}.${p.name}`).sort()).toEqual(
      ["path.type", "query.category", "query.limit", "query.location", "query.offset", "query.order_type", "query.release_year"].sort(),
    );
  });

  it("serves a readable /docs page that needs nothing from the internet", async () => {
    const r = await get<string>("/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    const html = r.body;
    expect(html).toContain("/api/v1/affair/search/content");
    expect(html).toContain("FilmDetail");
    expect(html).toContain('href="/api/v1/openapi.json"');
    // No script, stylesheet or image from anywhere else.
    expect(html).not.toMatch(/<script[^>]*src=|<link[^>]*href="http|<img[^>]*src="http|@import/i);
  });
});

async function until(probe: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
