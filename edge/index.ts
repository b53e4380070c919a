import { app } from "./app";
import { countingD1, D1_QUERIES_HEADER } from "./lib/d1-queries";
import type { Env } from "./env";
import { handleQueue } from "./bridge";
import { drizzle } from "drizzle-orm/d1";
import { rollupViews } from "./rollup";
import { sweepExpiredUploads } from "./admin/expired-uploads";
import { config } from "./config";
import { handleViewsBatch, VIEWS_QUEUE } from "./views";

export default {
  // Each request gets a D1 binding that counts its round trips (answered in X-D1-Queries).
  async fetch(request, env, ctx) {
    const d1 = countingD1(env.DB);
    const res = await app.fetch(request, { ...env, DB: d1.db }, ctx);
    // Some answers (redirects, fetched objects) have immutable headers.
    const out = new Response(res.body, res);
    out.headers.set(D1_QUERIES_HEADER, String(d1.queries()));
    return out;
  },
  // Queues film-views (count views), transcode-jobs (deliver to the transcoder) and transcode-jobs-dlq
  // (mark jobs failed).
  queue: (batch, env) => (batch.queue === VIEWS_QUEUE ? handleViewsBatch(batch, env) : handleQueue(batch, env)),
  // Cron (wrangler.toml [triggers]): rolls daily views up into the popularity and ranking counters, and
  // sweeps signed uploads past their expiry. One failing does not stop the other; the run fails if either did.
  async scheduled(controller, env) {
    const db = drizzle(env.DB);
    const [views, swept] = await Promise.allSettled([
      rollupViews(db, controller.scheduledTime, config(env).viewHistoryDays),
      sweepExpiredUploads(db, env.MEDIA, controller.scheduledTime),
    ]);
    for (const [name, r] of [["views roll-up", views], ["upload sweep", swept]] as const) {
      if (r.status === "fulfilled") console.log(name, JSON.stringify(r.value));
      else console.error(`${name} failed`, r.reason);
    }
    if (views.status === "rejected") throw views.reason;
    if (swept.status === "rejected") throw swept.reason;
  },
} satisfies ExportedHandler<Env>;
