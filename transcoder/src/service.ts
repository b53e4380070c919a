// Wires the pieces of one transcoder process: intake (or pull bridge), queue, worker.
import type { Server } from "node:http";
import { Redis } from "ioredis";
import type { Config } from "./config";
import { EdgeClient } from "./edge-client";
import type { LocatedFfmpeg } from "./ffmpeg/locate";
import { type Health, createIntake, listen } from "./intake";
import { log } from "./log";
import { PullBridge } from "./pull";
import { createQueue, redisOptions } from "./queue";
import { TranscodeWorker } from "./worker";

export interface Transcoder {
  /** The intake's base URL, e.g. http://127.0.0.1:8789. */
  intakeUrl: string;
  worker: TranscodeWorker | null;
  health(): Promise<Health>;
  /** Graceful: stop intake/pull, put running jobs back in the queue, close Redis connections. */
  stop(): Promise<void>;
}

export async function startTranscoder(
  cfg: Config,
  ffmpeg: LocatedFfmpeg,
  opts: { worker?: boolean } = {},
): Promise<Transcoder> {
  const queue = createQueue({ queueName: cfg.QUEUE_NAME, redisUrl: cfg.REDIS_URL, attempts: cfg.JOB_ATTEMPTS, backoffMs: cfg.JOB_BACKOFF_MS });
  queue.on("error", (e) => log.warn(`queue: ${e.message}`));
  await queue.waitUntilReady();
  // Its own small connection: a health check must not queue behind BullMQ's blocking commands.
  const pinger = new Redis(redisOptions(cfg.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }));
  pinger.on("error", () => {});
  const edge = new EdgeClient(cfg.EDGE_URL, cfg.SIGNING_SECRET, { completeForMs: cfg.CALLBACK_RETRY_MS });

  const health = async (): Promise<Health> => {
    let redis = "ok";
    try {
      await Promise.race([
        pinger.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 2 s")), 2000)),
      ]);
    } catch (e) {
      redis = `error: ${(e as Error).message}`;
    }
    return {
      ok: redis === "ok",
      redis,
      ffmpeg: { path: ffmpeg.ffmpeg, from: ffmpeg.ffmpegFrom, version: ffmpeg.version },
      ffprobe: { path: ffmpeg.ffprobe, from: ffmpeg.ffprobeFrom },
      bridge: cfg.BRIDGE,
      queue: cfg.QUEUE_NAME,
      runningJobs: worker?.running ?? 0,
    };
  };

  let worker: TranscodeWorker | null = null;
  let server: Server | null = null;
  let pull: PullBridge | null = null;
  try {
    if (opts.worker !== false) {
      worker = new TranscodeWorker(cfg, edge);
      await worker.start();
    }
    // The intake also serves /healthz in pull mode (the container's HEALTHCHECK); /jobs is then unused.
    server = createIntake({ secret: cfg.SIGNING_SECRET, queue, health });
    const port = await listen(server, cfg.INTAKE_PORT, cfg.INTAKE_HOST);
    const intakeUrl = `http://${cfg.INTAKE_HOST.includes(":") ? `[${cfg.INTAKE_HOST}]` : cfg.INTAKE_HOST}:${port}`;
    log.info(`intake on ${intakeUrl} (POST /jobs, GET /healthz), bridge=${cfg.BRIDGE}, edge ${cfg.EDGE_URL}`);
    if (cfg.BRIDGE === "pull") {
      pull = new PullBridge(
        {
          apiBase: cfg.CF_API_BASE,
          accountId: cfg.CF_ACCOUNT_ID!,
          queueId: cfg.CF_QUEUE_ID!,
          apiToken: cfg.CF_API_TOKEN!,
          batchSize: cfg.PULL_BATCH_SIZE,
          visibilityTimeoutMs: cfg.PULL_VISIBILITY_TIMEOUT_MS,
          intervalMs: cfg.PULL_INTERVAL_MS,
          retryDelaySeconds: cfg.PULL_RETRY_DELAY_SECONDS,
        },
        queue,
      );
      pull.start();
    }

    let stopping: Promise<void> | null = null;
    return {
      intakeUrl,
      worker,
      health,
      stop() {
        stopping ??= (async () => {
          const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
          server!.closeIdleConnections();
          await pull?.stop();
          await worker?.stop();
          await closed;
          await queue.close();
          pinger.disconnect();
        })();
        return stopping;
      },
    };
  } catch (e) {
    server?.close();
    await pull?.stop();
    await worker?.stop().catch(() => {});
    await queue.close().catch(() => {});
    pinger.disconnect();
    throw e;
  }
}
