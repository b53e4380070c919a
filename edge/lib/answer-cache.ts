import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { config } from "../config";
import type { AppEnv, Env } from "../env";
import { etagListMatches } from "./cache";
import { bumpCatalogVersion, catalogVersion } from "./catalog-version";
import { WeightedLru } from "./lru";

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

function freshnessOf(env: Env): Freshness {
  const cfg = config(env);
  return {
    freshMs: cfg.catalogFreshSeconds * 1000,
    staleMs: cfg.catalogStaleSeconds * 1000,
    versionCheckMs: cfg.catalogVersionCheckSeconds * 1000,
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
/** How long a request waits for another request's render of the same key before rendering itself. */
const SHARED_RENDER_WAIT_MS = 3000;

// Random values cannot be made at global scope in Workers: made by the first request.
let refreshToken: string | undefined;
const token = () => (refreshToken ??= crypto.randomUUID());

/** This isolate's own re-render of an answer (not a client, so not a view either). */
export const isAnswerRender = (req: Request) => refreshToken !== undefined && req.headers.get(REFRESH_HEADER) === refreshToken;

/** An answer as plain data: it can be handed from the request that rendered it to others waiting for it. */
interface Stored {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
}

/**
 * This isolate's own copy of the answers it served lately, in front of the Cache API: a hot answer is
 * served from memory without a round trip to the cache (the same freshness rules apply to both).
 */
const memory = new WeightedLru<string, { stored: Stored; storedAt: number }>(8 * 1024 * 1024);
const weightOf = (s: Stored) => s.body.byteLength + 64 * (s.headers.length + 1);

/**
 * Renders under way in this isolate, by key: concurrent misses of a hot key (after a write, or cold)
 * share one render, and a stale key gets one background refresh, not one per viewer.
 */
const inflight = new Map<string, Promise<Stored>>();

function kept(from: Headers): [string, string][] {
  return KEPT_HEADERS.flatMap((h) => {
    const v = from.get(h);
    return v === null ? [] : [[h, v] as [string, string]];
  });
}

/** Where a cached lookup runs: the env, the request's waitUntil, and the catalog version its client claims. */
export interface CacheScope {
  env: Env;
  waitUntil(p: Promise<unknown>): void;
  /** From the writer's cookie (bumpCatalogAfterWrites); 0 for anyone else. */
  claimedVersion: number;
}

export const scopeOf = (c: Context<AppEnv>): CacheScope => ({
  env: c.env,
  waitUntil: (p) => c.executionCtx.waitUntil(p),
  claimedVersion: Number(getCookie(c, VERSION_COOKIE)) || 0,
});

/** Runs `produce` once per key at a time, storing the 200s that may be stored, for fresh + stale. */
function produceOnce(c: CacheScope, key: string, f: Freshness, produce: () => Promise<Stored>): Promise<Stored> {
  // The key stays in flight until its put has landed: a request in between finds the render here
  // instead of missing the cache and rendering again.
  let landed: Promise<unknown> = Promise.resolve();
  const flight = produce().then((stored) => {
    const keepMs = f.freshMs + f.staleMs;
    const noStore = stored.headers.some(([h, v]) => h === "cache-control" && v.includes("no-store"));
    if (stored.status === 200 && keepMs > 0 && !noStore) {
      const headers = new Headers(stored.headers);
      headers.set(STORED_AT, String(Date.now()));
      headers.set("cache-control", `public, max-age=${Math.ceil(keepMs / 1000)}`);
      memory.set(key, { stored, storedAt: Number(headers.get(STORED_AT)) }, weightOf(stored));
      landed = caches.default.put(key, new Response(stored.body, { headers })).catch((e) => console.error("answer cache: put failed", key, e));
    }
    return stored;
  });
  inflight.set(key, flight);
  c.waitUntil(
    flight
      .then(() => landed, () => undefined)
      .finally(() => {
        if (inflight.get(key) === flight) inflight.delete(key);
      }),
  );
  return flight;
}

/** The cached entry of `key` (HIT or STALE, refreshed in the background), another request's render, or a new one. */
async function lookup(c: CacheScope, key: string, f: Freshness, produce: () => Promise<Stored>): Promise<{ stored: Stored; state: CacheState }> {
  const served = (state: CacheState) => {
    if (state === "STALE" && !inflight.has(key)) {
      c.waitUntil(produceOnce(c, key, f, produce).catch((e) => console.error("answer cache: refresh failed", key, e)));
    }
  };
  const mem = memory.get(key);
  const memState = mem ? stateAt(Date.now() - mem.storedAt, f) : "MISS";
  if (mem && memState !== "MISS") {
    served(memState);
    return { stored: mem.stored, state: memState };
  }
  const hit = await caches.default.match(key);
  const storedAt = Number(hit?.headers.get(STORED_AT));
  const state = hit ? stateAt(Date.now() - storedAt, f) : "MISS";
  if (hit && state !== "MISS") {
    const stored: Stored = { status: hit.status, headers: kept(hit.headers), body: await hit.arrayBuffer() };
    memory.set(key, { stored, storedAt }, weightOf(stored));
    served(state);
    return { stored, state };
  }
  await hit?.body?.cancel();
  const shared = inflight.get(key);
  if (shared) {
    // Another request's promise: if that request is cancelled it may never settle, so wait a bounded time.
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), SHARED_RENDER_WAIT_MS));
    const got = await Promise.race([shared.catch(() => null), timeout]);
    if (got) return { stored: got, state: "HIT" };
  }
  return { stored: await produceOnce(c, key, f, produce), state: "MISS" };
}

type Render = (req: Request, c: Context<AppEnv>) => Promise<Response>;

function answer(c: Context<AppEnv>, from: Stored, state: CacheState): Response {
  const headers = new Headers(from.headers);
  headers.set("x-cache", state);
  if (state !== "MISS") {
    // Clients revalidate every use (lib/cache.ts says why); the Cache API's max-age is ours only.
    headers.set("cache-control", "public, no-cache");
    headers.set("x-d1-rows-read", "0");
  }
  const etag = headers.get("etag");
  if (from.status === 200 && etag && etagListMatches(c.req.header("if-none-match"), etag)) {
    headers.delete("content-type");
    return new Response(null, { status: 304, headers });
  }
  return new Response(from.body, { status: from.status, headers });
}

const catalogKey = async (c: CacheScope, f: Freshness, url: URL) => answerKey(await catalogVersion(c.env.DB, f.versionCheckMs, c.claimedVersion), url);

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
    const url = new URL(c.req.url);
    const scope = scopeOf(c);
    const { stored, state } = await lookup(scope, await catalogKey(scope, f, url), f, async () => {
      const rendered = await render(new Request(url, { headers: { [REFRESH_HEADER]: token() } }), c);
      return { status: rendered.status, headers: kept(rendered.headers), body: await rendered.arrayBuffer() };
    });
    return answer(c, stored, state);
  };
}

/**
 * A value behind an answer that must not itself be cached — the random ad, the ads of a viewer's master
 * playlist (a different pick on each call, from candidates that are cached), the episode and ads a
 * stitched variant needs — under the same version and freshness as the answers. The value must be JSON.
 */
export async function cachedValue<T>(c: CacheScope, name: string, load: () => Promise<T>): Promise<{ value: T; state: CacheState }> {
  const f = freshnessOf(c.env);
  const key = await catalogKey(c, f, new URL(`https://values.internal/${encodeURIComponent(name)}`));
  const { stored, state } = await lookup(c, key, f, async () => ({
    status: 200,
    headers: [["content-type", "application/json"]],
    body: new TextEncoder().encode(JSON.stringify(await load())).buffer as ArrayBuffer,
  }));
  return { value: JSON.parse(new TextDecoder().decode(stored.body)) as T, state };
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
