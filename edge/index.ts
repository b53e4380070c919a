import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./bridge";
import { drizzle } from "drizzle-orm/d1";
import { rollupViews } from "./rollup";
import { handleViewsBatch, VIEWS_QUEUE } from "./views";

export default {
  fetch: app.fetch,
  // Queues film-views (count views), transcode-jobs (deliver to the transcoder) and transcode-jobs-dlq
  // (mark jobs failed).
  queue: (batch, env) => (batch.queue === VIEWS_QUEUE ? handleViewsBatch(batch, env) : handleQueue(batch, env)),
  // Cron (wrangler.toml [triggers]): rolls daily views up into the popularity and ranking counters.
  async scheduled(controller, env) {
    const result = await rollupViews(drizzle(env.DB), controller.scheduledTime);
    console.log("views roll-up", JSON.stringify(result));
  },
} satisfies ExportedHandler<Env>;
