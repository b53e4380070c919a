// The old website's habits, accepted as the old catalog accepted them (README, "Where the API is stricter"):
//  - `?category=&limit=` — an empty parameter means the parameter is absent (its default applies);
//  - `limit` above the maximum is clamped to it, not refused;
//  - a search without `content` (or with an empty one) is an empty result, not an error.
// Everything else a parameter may hold is still checked by the routes: `limit=abc` stays a 400.
import { createMiddleware } from "hono/factory";
import { MAX_LIMIT } from "./schemas";
import type { AppEnv } from "../env";

const SEARCH = /^\/api\/v1\/affair\/search\/(?:content|celebrity)\/?$/;

export const lenientCatalogQuery = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  const entries = [...url.searchParams];
  const kept = entries.filter(([, value]) => value !== "");
  let changed = kept.length !== entries.length;
  if (changed) url.search = new URLSearchParams(kept).toString();
  const limit = url.searchParams.get("limit");
  if (limit !== null && /^[0-9]{1,15}$/.test(limit) && Number(limit) > MAX_LIMIT) {
    url.searchParams.set("limit", String(MAX_LIMIT));
    changed = true;
  }
  if (SEARCH.test(url.pathname) && !url.searchParams.has("content")) return c.json({ search_films: [] }, 200);
  if (changed) c.req.raw = new Request(url, c.req.raw);
  return next();
});
