import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { renderDocsPage } from "./render";

export const OPENAPI_PATH = "/api/v1/openapi.json";

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "edge-stream",
    version: "1",
    description:
      "Edge video-streaming backend: catalog, HLS playback with server-side ads, media, and the admin API. " +
      'Errors answer {"reason": "..."}.',
  },
};

/**
 * GET /docs: the OpenAPI document of `root` (every resource app mounted on it) as a readable page,
 * rendered here rather than by Swagger UI, which loads its assets from a CDN.
 */
export function docsApp(root: OpenAPIHono<AppEnv>) {
  return new Hono<AppEnv>().get("/docs", (c) => {
    c.header("Cache-Control", "no-cache");
    return c.html(renderDocsPage(root.getOpenAPI31Document(OPENAPI_INFO), OPENAPI_PATH));
  });
}
