import { createRoute, z } from "@hono/zod-openapi";
import { config } from "../config";
import { resourceApp } from "../lib/openapi";

/** `bridge`: "ok", or why no job is delivered to the transcoder (a configuration mistake to fix). */
const Health = z.object({ ok: z.boolean(), d1: z.string(), bridge: z.string(), time: z.string() });
const Pong = z.object({ ok: z.literal(true) });

export const health = resourceApp().openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["ops"],
    summary: "Liveness, D1 reachability, and whether the bridge can deliver jobs",
    responses: {
      200: { description: "healthy", content: { "application/json": { schema: Health } } },
      503: { description: "D1 unreachable", content: { "application/json": { schema: Health } } },
    },
  }),
  async (c) => {
    const time = new Date().toISOString();
    const bridge = config(c.env).transcoderProblem ?? "ok";
    try {
      await c.env.DB.prepare("SELECT 1").first();
      return c.json({ ok: true, d1: "ok", bridge, time }, 200);
    } catch (e) {
      return c.json({ ok: false, d1: String(e), bridge, time }, 503);
    }
  },
)
  // No I/O at all: the baseline the benchmarks divide every route's throughput by (bench/catalog.ts),
  // so a ratio shows what a route costs beyond the worker's own routing and middleware.
  .openapi(
    createRoute({
      method: "get",
      path: "/api/v1/ping",
      tags: ["ops"],
      summary: "Answers at once, touching nothing (the benchmarks' trivial route)",
      responses: { 200: { description: "alive", content: { "application/json": { schema: Pong } } } },
    }),
    (c) => c.json({ ok: true as const }, 200),
  );
