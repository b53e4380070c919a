import { app } from "./app";
import { countingD1, D1_QUERIES_HEADER } from "./lib/d1-queries";
import type { Env } from "./env";
import { handleQueue } from "./bridge";
import { drizzle } from "drizzle-orm/d1";
import { rollupViews } from "./rollup";
import { sweepExpiredUploads } from "./admin/expired-uploads";
import { config } from "./config";
import { finishAskedDeletes } from "./lib/storage";
import { mergeSearchIndexStatements } from "./catalog/search-index";
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
  // Cron (wrangler.toml [triggers]): rolls daily views up into the popularity and ranking counters,
  // sweeps signed uploads past their expiry, finishes object deletes that failed and merges a little of
  // the search index. One failing does not stop the others; the run fails if any did.
  async scheduled(controller, env) {
    const db = drizzle(env.DB);
    const now = controller.scheduledTime;
    const tasks = {
      "views roll-up": () => rollupViews(db, now, config(env).viewHistoryDays),
      "upload sweep": () => sweepExpiredUploads(db, env.MEDIA, now),
      "asked deletes": () => finishAskedDeletes(db, env.MEDIA, now),
      "search index merge": () => env.DB.batch(mergeSearchIndexStatements(env.DB)).then((r) => ({ statements: r.length })),
    };
    const results = await Promise.allSettled(Object.values(tasks).map((run) => run()));
    const names = Object.keys(tasks);
    results.forEach((r, i) => {
      if (r.status === "fulfilled") console.log(names[i], JSON.stringify(r.value));
      else console.error(`${names[i]} failed`, r.reason);
    });
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  },
} satisfies ExportedHandler<Env>;
