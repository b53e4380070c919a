import { OpenAPIHono } from "@hono/zod-openapi";
import { drizzle } from "drizzle-orm/d1";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { catalog } from "./catalog";
import { docsApp, OPENAPI_INFO, OPENAPI_PATH } from "./docs";
import { health } from "./health";
import { admin } from "./admin";
import { internal } from "./internal";
import { requireAdmin } from "./lib/auth";
import { upload } from "./upload";
import { corsFromEnv } from "./lib/cors";
import { limitSmallBodies } from "./lib/body-limit";
import { site } from "./site";
import { playback } from "./playback";
import { refuse } from "./lib/responses";
import { bumpCatalogAfterWrites, cachedAnswers, isAnswerRender } from "./lib/answer-cache";
import { queueViews } from "./views";
import { lenientCatalogQuery } from "./catalog/lenient-query";
import { adPlaylists } from "./playback/ad-playlists";

export const app = new OpenAPIHono<AppEnv>();

app.use(corsFromEnv());
app.use(limitSmallBodies);

app.use(async (c, next) => {
  c.set("db", drizzle(c.env.DB));
  await next();
});

// Every admin route, whoever defines it, sits behind the bearer token.
app.use("/api/v1/upload/*", requireAdmin);
app.use("/api/v1/admin/*", requireAdmin);

// Every admin write that answered 2xx makes the catalog's cached answers fresh (part uploads and
// transcoder progress cannot change an answer; a completed job can).
const PART_UPLOAD = /^\/api\/v1\/admin\/uploads\/[^/]+\/parts\//;
app.use("/api/v1/upload/*", bumpCatalogAfterWrites());
app.use("/api/v1/admin/*", bumpCatalogAfterWrites((req) => !PART_UPLOAD.test(new URL(req.url).pathname)));
app.use("/api/v1/internal/jobs/:id/complete", bumpCatalogAfterWrites());

// The old clients' habits (empty parameters, large limits) are normalised first, so the cache keys
// and the routes see one form of each request.
app.use("/api/v1/affair/*", lenientCatalogQuery);

// A view is queued for every answer of the detail route, cached or not; then the catalog's answers
// come from the cache when fresh (a miss renders through the whole app again).
app.use("/api/v1/affair/film_information/:id", queueViews(isAnswerRender));
app.use(
  "/api/v1/affair/*",
  cachedAnswers(
    (req, c) => Promise.resolve(app.fetch(req, c.env, c.executionCtx)),
    (path) => path.startsWith("/api/v1/affair/ad/"),
  ),
);

app.route("/", health);
app.route("/", upload);
app.route("/", admin);
app.route("/", internal);
app.route("/api/v1/affair", catalog);
app.route("/api/v1/resource", playback);
app.route("/api/v1/resource", adPlaylists);
app.route("/", site);

app.doc31(OPENAPI_PATH, OPENAPI_INFO);
app.route("/", docsApp(app));

app.notFound((c) => refuse(c, 404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));

app.onError((err, c) => {
  if (err instanceof HTTPException) {
    return refuse(c, err.status, err.message || "request refused");
  }
  console.error("unhandled error", c.req.method, c.req.url, err);
  return refuse(c, 500, "internal error");
});
