import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv, Env } from "../env";
import { etagListMatches } from "./cache";
import { bumpCatalogVersion, catalogVersion } from "./catalog-version";

/**
 * Anonymous catalog answers from the Workers Cache API, so that a hot page is not the same D1 query
 * thousands of times a minute (D1 runs one query at a time per database).
 *
 * - Key: the catalog version (catalog-version.ts) + path + sorted query. An admin write bumps the
 *   version, so no answer from before it is read again once an isolate has seen the new version.
 * - Freshness: an answer younger than CATALOG_FRESH_SECONDS is served as is (HIT); up to
 *   CATALOG_STALE_SECONDS older it is still served (STALE) while one request per isolate re-renders it
 *   in the background; past that the Cache API has dropped it (its max-age) and the request renders it
 *   (MISS). Nothing is served older than fresh + stale.
 * - Rendering goes through the whole app again with a clean internal request (no Origin, no
 *   validators, no credentials), so what is stored is the plain 200 answer that any client may get;
 *   only 200s are stored; requests with credentials are never answered from or into the cache.
 * - Served answers carry `X-Cache: HIT|MISS|STALE`, the stored ETag (If-None-Match → 304), and
 *   `X-D1-Rows-Read: 0` unless this request rendered the answer.
 */
export type CacheState = "HIT" | "STALE" | "MISS";

export interface Freshness {
  freshMs: number;
  staleMs: number;
  versionCheckMs: number;
}

const seconds = (value: string | undefined, fallback: number) => {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(n) && n >= 0 ? n * 1000 : fallback * 1000;
};

export function freshnessOf(env: Env): Freshness {
  return {
    freshMs: seconds(env.CATALOG_FRESH_SECONDS, 30),
    staleMs: seconds(env.CATALOG_STALE_SECONDS, 30),
    versionCheckMs: seconds(env.CATALOG_VERSION_CHECK_SECONDS, 5),
  };
}

/** How an entry stored `ageMs` ago is served. */
export function stateAt(ageMs: number, f: Pick<Freshness, "freshMs" | "staleMs">): CacheState {
  if (!(ageMs >= 0)) return "MISS";
  if (ageMs < f.freshMs) return "HIT";
  return ageMs < f.freshMs + f.staleMs ? "STALE" : "MISS";
}

/** The cache key of a request's answer at a catalog version: parameters sorted, so their order does not matter. */
export function answerKey(version: number, url: URL): string {
  const params = [...url.searchParams].sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1));
  const query = new URLSearchParams(params).toString();
  return `https://answers.internal/v${version}${url.pathname}${query ? `?${query}` : ""}`;
}

const STORED_AT = "x-stored-at";
const KEPT_HEADERS = ["content-type", "etag", "cache-control", "x-d1-rows-read"];
const REFRESH_HEADER = "x-answer-refresh";
/** The cookie that carries the catalog version a writer produced, so its next read sees its write. */
export const VERSION_COOKIE = "catalog_version";

// Random values cannot be made at global scope in Workers: made by the first request.
let refreshToken: string | undefined;
const token = () => (refreshToken ??= crypto.randomUUID());

/** This isolate's own re-render of an answer (not a client, so not a view either). */
export const isAnswerRender = (req: Request) => refreshToken !== undefined && req.headers.get(REFRESH_HEADER) === refreshToken;

/** Keys being re-rendered in the background by this isolate: one refresh per hot key, not one per viewer. */
const refreshing = new Set<string>();

type Render = (req: Request, c: Context<AppEnv>) => Promise<Response>;

async function renderAndStore(c: Context<AppEnv>, render: Render, key: string, f: Freshness): Promise<Response> {
  const url = new URL(c.req.url);
  const rendered = await render(new Request(url, { headers: { [REFRESH_HEADER]: token() } }), c);
  const headers = new Headers();
  for (const h of KEPT_HEADERS) {
    const v = rendered.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  const body = await rendered.arrayBuffer();
  const keepMs = f.freshMs + f.staleMs;
  if (rendered.status === 200 && keepMs > 0 && !headers.get("cache-control")?.includes("no-store")) {
    const stored = new Headers(headers);
    stored.set(STORED_AT, String(Date.now()));
    stored.set("cache-control", `public, max-age=${Math.ceil(keepMs / 1000)}`);
    c.executionCtx.waitUntil(caches.default.put(key, new Response(body, { headers: stored })).catch((e) => console.error("answer cache: put failed", key, e)));
  }
  return new Response(body, { status: rendered.status, headers });
}

function answer(c: Context<AppEnv>, from: Response, state: CacheState): Response {
  const headers = new Headers();
  for (const h of KEPT_HEADERS) {
    const v = from.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  headers.set("x-cache", state);
  if (state !== "MISS") {
    // Clients revalidate every use (lib/cache.ts says why); the Cache API's max-age is ours only.
    headers.set("cache-control", "public, no-cache");
    headers.set("x-d1-rows-read", "0");
  }
  const etag = headers.get("etag");
  if (from.status === 200 && etag && etagListMatches(c.req.header("if-none-match"), etag)) {
    for (const h of ["content-type", "content-length"]) headers.delete(h);
    return new Response(null, { status: 304, headers });
  }
  return new Response(from.body, { status: from.status, headers });
}

/**
 * The catalog's answers, cached. `render` runs a request through the app (for misses and refreshes);
 * `ownCaching` tells routes that cache what is behind their answer themselves (cachedValue).
 */
export function cachedAnswers(render: Render, ownCaching: (path: string) => boolean = () => false): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isAnswerRender(c.req.raw) || ownCaching(c.req.path)) return next();
    if (c.req.method !== "GET" || c.req.header("authorization") !== undefined) {
      await next();
      c.header("x-cache", "MISS");
      return;
    }
    const f = freshnessOf(c.env);
    const claimed = Number(getCookie(c, VERSION_COOKIE)) || 0;
    const key = answerKey(await catalogVersion(c.env.DB, f.versionCheckMs, claimed), new URL(c.req.url));
    const hit = await caches.default.match(key);
    const state = hit ? stateAt(Date.now() - Number(hit.headers.get(STORED_AT)), f) : "MISS";
    if (hit && state !== "MISS") {
      if (state === "STALE" && !refreshing.has(key)) {
        refreshing.add(key);
        c.executionCtx.waitUntil(
          renderAndStore(c, render, key, f)
            .then((r) => r.body?.cancel())
            .catch((e) => console.error("answer cache: refresh failed", key, e))
            .finally(() => refreshing.delete(key)),
        );
      }
      return answer(c, hit, state);
    }
    await hit?.body?.cancel();
    return answer(c, await renderAndStore(c, render, key, f), "MISS");
  };
}

/**
 * A value behind an answer that must not itself be cached (the random ad: a different pick on each call,
 * from candidates that are cached), under the same version and freshness as the answers. A stale value
 * is served and replaced in the background, as answers are.
 */
export async function cachedValue<T>(c: Context<AppEnv>, name: string, load: () => Promise<T>): Promise<{ value: T; state: CacheState }> {
  const f = freshnessOf(c.env);
  const key = answerKey(await catalogVersion(c.env.DB, f.versionCheckMs, Number(getCookie(c, VERSION_COOKIE)) || 0), new URL(`https://values.internal/${encodeURIComponent(name)}`));
  const store = async () => {
    const value = await load();
    if (f.freshMs + f.staleMs > 0) {
      const headers = { [STORED_AT]: String(Date.now()), "cache-control": `public, max-age=${Math.ceil((f.freshMs + f.staleMs) / 1000)}` };
      c.executionCtx.waitUntil(caches.default.put(key, Response.json(value, { headers })).catch((e) => console.error("answer cache: put failed", key, e)));
    }
    return value;
  };
  const hit = await caches.default.match(key);
  const state = hit ? stateAt(Date.now() - Number(hit.headers.get(STORED_AT)), f) : "MISS";
  if (!hit || state === "MISS") {
    await hit?.body?.cancel();
    return { value: await store(), state: "MISS" };
  }
  if (state === "STALE" && !refreshing.has(key)) {
    refreshing.add(key);
    c.executionCtx.waitUntil(
      store()
        .catch((e) => console.error("answer cache: refresh failed", key, e))
        .finally(() => refreshing.delete(key)),
    );
  }
  return { value: (await hit.json()) as T, state };
}

/**
 * After an admin write that answered 2xx: bump the catalog version (before answering, so this isolate's
 * next read already sees the write) and hand the writer the new version in a cookie (so its next read
 * does too, whichever isolate serves it). `affectsCatalog` tells writes that cannot change an answer.
 */
export function bumpCatalogAfterWrites(affectsCatalog: (req: Request) => boolean = () => true): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return;
    if (c.res.status < 200 || c.res.status >= 300 || !affectsCatalog(c.req.raw)) return;
    try {
      const version = await bumpCatalogVersion(c.env.DB);
      setCookie(c, VERSION_COOKIE, String(version), { path: "/api/v1/affair", sameSite: "Lax", httpOnly: true, maxAge: 600 });
    } catch (e) {
      // The write happened; answers catch up within CATALOG_FRESH_SECONDS + CATALOG_STALE_SECONDS.
      console.error("bumping the catalog version failed", e);
    }
  };
}
