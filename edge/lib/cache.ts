import type { MiddlewareHandler } from "hono";

/**
 * HTTP caching of catalog GETs: `Cache-Control: public, no-cache` plus a weak ETag computed from the
 * body, and 304 for a matching If-None-Match.
 *
 * Why revalidate every time rather than a TTL of a few seconds: a client that has just written (an
 * admin uploads a poster, a viewer opens a film and so counts a view) must not be served its own
 * earlier copy; any max-age > 0 allows exactly that. With no-cache, every use of a cached copy asks
 * the edge, which answers 304 without a body when nothing changed, so caching saves the bytes and
 * the client never sees stale data. (The ETag is of the bytes, so it changes exactly when the answer
 * does, whatever the write was and whoever made it.)
 *
 * A handler that set its own Cache-Control keeps it; non-200 answers are `no-store`.
 */
export const CATALOG_CACHE_CONTROL = "public, no-cache";

export function revalidatedByETag(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return;
    if (c.res.status !== 200) {
      if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
      return;
    }
    const cacheControl = c.res.headers.get("Cache-Control");
    if (cacheControl?.includes("no-store")) return;
    // Hash a clone first: c.header() may rebuild c.res around the original body stream.
    const etag = `W/"${await digest(await c.res.clone().arrayBuffer())}"`;
    if (!cacheControl) c.header("Cache-Control", CATALOG_CACHE_CONTROL);
    c.header("ETag", etag);
    if (etagListMatches(c.req.header("If-None-Match"), etag)) {
      const headers = new Headers(c.res.headers);
      for (const h of ["Content-Type", "Content-Length", "Content-Encoding"]) headers.delete(h);
      await c.res.body?.cancel();
      // Assigning c.res merges the old headers back; start from a clean slate instead.
      c.res = undefined;
      c.res = new Response(null, { status: 304, headers });
    }
  };
}

async function digest(body: ArrayBuffer): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", body)).slice(0, 18);
  return btoa(String.fromCharCode(...hash)).replaceAll("+", "-").replaceAll("/", "_");
}

/** If-None-Match uses the weak comparison: W/"x" and "x" match. */
export function etagListMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => tag.replace(/^W\//, "") === opaque);
}
