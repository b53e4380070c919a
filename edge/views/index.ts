// Views of the film detail route, counted without a D1 write per request: the route sends one small
// message per view to the views queue; the queue's consumer adds a whole batch in one D1 batch
// (record.ts), counting each viewer at most once per film per UTC day (viewer-mark.ts).
import type { MiddlewareHandler } from "hono";
import { config } from "../config";
import type { AppEnv, Env } from "../env";
import { utcDay } from "../lib/days";
import { ViewMessage } from "./messages";
import { recordViews } from "./record";
import { viewerMark } from "./viewer-mark";

export { VIEWS_QUEUE } from "./messages";

/**
 * Mounted on the detail route: once it answered the film (200, or 304 to a client revalidating its copy),
 * queue a view after the answer. `skip` tells requests that are not a viewer (the answer cache's own
 * refreshes).
 */
export function queueViews(skip: (req: Request) => boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Read before next(): afterwards the param belongs to the route that answered.
    const filmId = c.req.param("id");
    await next();
    if (c.res.status !== 200 && c.res.status !== 304) return;
    if (c.req.method !== "GET" || !filmId || skip(c.req.raw)) return;
    const now = Date.now();
    const viewer = { address: c.req.header("cf-connecting-ip") ?? "", userAgent: c.req.header("user-agent") ?? "" };
    c.executionCtx.waitUntil(
      (async () => {
        const day = utcDay(now);
        const message = ViewMessage.parse({ filmId, day, mark: await viewerMark(config(c.env).signingSecret ?? "", day, filmId, viewer) });
        await c.env.FILM_VIEWS.send(message, { contentType: "json" });
      })().catch((e) => console.error("queueing a view failed", filmId, e)),
    );
  };
}

/** The views queue's consumer: one D1 batch per message batch; a failure retries the batch (counted once). */
export async function handleViewsBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const views: ViewMessage[] = [];
  for (const msg of batch.messages) {
    const parsed = ViewMessage.safeParse(msg.body);
    if (parsed.success) views.push(parsed.data);
    else console.error(`views: message ${msg.id} is not a view; dropped`, parsed.error.message);
  }
  const { counted } = await recordViews(env.DB, views, crypto.randomUUID());
  console.log(`views: ${counted} of ${batch.messages.length} counted`);
}
