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
import { adminAds } from "./playback/admin-ads";
import { lenientCatalogQuery } from "./compat/lenient-query";
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

app.route("/", health);
app.route("/", upload);
app.route("/", admin);
app.route("/", internal);
app.use("/api/v1/affair/*", lenientCatalogQuery);
app.route("/api/v1/affair", catalog);
app.route("/api/v1/resource", playback);
app.route("/api/v1/resource", adPlaylists);
app.route("/", adminAds);
app.route("/", site);

app.doc31(OPENAPI_PATH, OPENAPI_INFO);
app.route("/", docsApp(app));

app.notFound((c) => c.json({ reason: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

app.onError((err, c) => {
  if (err instanceof HTTPException) {
    return c.json({ reason: err.message || "request refused" }, err.status);
  }
  console.error("unhandled error", c.req.method, c.req.url, err);
  return c.json({ reason: "internal error" }, 500);
});
