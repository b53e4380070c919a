import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { type Config, config } from "../config";
import type { AppEnv } from "../env";

/** Headers the website's scripts may read (caching, byte ranges, the cost header of the catalog). */
const EXPOSED = ["ETag", "Content-Length", "Content-Range", "Accept-Ranges", "X-D1-Rows-Read", "X-D1-Queries", "X-Cache"];

/** CORS for the website, from the CORS_ORIGINS var (edge/config.ts). */
export function corsFromEnv(): MiddlewareHandler<AppEnv> {
  const byConfig = new WeakMap<Config, MiddlewareHandler>();
  return (c, next) => {
    const cfg = config(c.env);
    let middleware = byConfig.get(cfg);
    if (!middleware) {
      const allowed = cfg.corsOrigins;
      middleware = cors({
        origin: (origin) => (allowed === "*" ? "*" : allowed.includes(origin) ? origin : null),
        exposeHeaders: EXPOSED,
        maxAge: 600,
      });
      byConfig.set(cfg, middleware);
    }
    return middleware(c, next);
  };
}
