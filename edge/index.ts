import { app } from "./app";
import { countingD1, D1_QUERIES_HEADER } from "./lib/d1-queries";
import type { Env } from "./env";
import { handleQueue } from "./bridge";
import { drizzle } from "drizzle-orm/d1";
import { rollupViews } from "./rollup";
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
  // Cron (wrangler.toml [triggers]): rolls daily views up into the popularity and ranking counters.
  async scheduled(controller, env) {
    const result = await rollupViews(drizzle(env.DB), controller.scheduledTime);
    console.log("views roll-up", JSON.stringify(result));
  },
} satisfies ExportedHandler<Env>;
