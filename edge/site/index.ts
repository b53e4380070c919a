import { createRoute, z } from "@hono/zod-openapi";
import { resourceApp } from "../lib/openapi";

// The website's files live in edge/site/public and are served by Workers static assets ([assets] in
// wrangler.toml): under `wrangler dev` and in production the asset layer answers `/`, `/admin` and
// `/assets/*` before the Worker runs. A request that reaches the Worker anyway (tests that call the
// Worker directly, a deployment with run_worker_first) is handed to the same files through the
// ASSETS binding, so the site is identical however the Worker is entered.

const page = (path: string, summary: string) =>
  createRoute({
    method: "get",
    path,
    tags: ["site"],
    summary,
    responses: { 200: { description: "an HTML page", content: { "text/html": { schema: z.string() } } } },
  });

export const site = resourceApp()
  .openapi(page("/", "The catalog website: browse, search, play with ads"), (c) => c.env.ASSETS.fetch(c.req.raw))
  .openapi(page("/admin", "The admin page: create films, upload episodes and ads"), (c) => c.env.ASSETS.fetch(c.req.raw));

// Scripts, styles and the vendored hls.js: plain files, not API.
site.get("/assets/*", (c) => c.env.ASSETS.fetch(c.req.raw));
