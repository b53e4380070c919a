import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { refuse } from "./responses";

/**
 * JSON bodies and signed callbacks are small, but they are read whole (to validate or to check a
 * signature), so a large or endless one is refused with 413: up front from Content-Length, or
 * while streaming when there is none. File bodies (form uploads, parts, signed PUTs) have their
 * own limits and are streamed, so they are left alone.
 */
export const SMALL_BODY_LIMIT = 1024 * 1024;

const limit = bodyLimit({
  maxSize: SMALL_BODY_LIMIT,
  onError: (c) => refuse(c, 413, `request body larger than ${SMALL_BODY_LIMIT} bytes`),
});

export const limitSmallBodies = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  const json = (c.req.header("content-type") ?? "").toLowerCase().includes("json");
  if (!json && !c.req.path.startsWith("/api/v1/internal/jobs/")) return next();
  return limit(c, next);
});
