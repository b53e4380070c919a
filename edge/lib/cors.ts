import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";

/**
 * CORS for the website, from the CORS_ORIGINS var: `*` (any origin) or a comma-separated list of
 * origins (`https://a.example, https://b.example`); empty: no cross-origin access.
 */
export function parseOrigins(value: string | undefined): "*" | string[] {
  const list = (value ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  return list.includes("*") ? "*" : list;
}

/** Headers the website's scripts may read (caching, byte ranges, the cost header of the catalog). */
const EXPOSED = ["ETag", "Content-Length", "Content-Range", "Accept-Ranges", "X-D1-Rows-Read", "X-D1-Queries", "X-Cache"];

export function corsFromEnv(): MiddlewareHandler<AppEnv> {
  let configured: string | undefined;
  let middleware: MiddlewareHandler | undefined;
  return (c, next) => {
    if (!middleware || configured !== c.env.CORS_ORIGINS) {
      configured = c.env.CORS_ORIGINS;
      const allowed = parseOrigins(configured);
      middleware = cors({
        origin: (origin) => (allowed === "*" ? "*" : allowed.includes(origin) ? origin : null),
        exposeHeaders: EXPOSED,
        maxAge: 600,
      });
    }
    return middleware(c, next);
  };
}
