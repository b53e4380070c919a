// The BullMQ worker: one job = download the source, transcode the ladder, upload, report.
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { CompleteCallback } from "../../schema/jobs";
import type { Config } from "./config";
import type { CompleteOutcome, EdgeClient } from "./edge-client";
import { JobAbandonedError, JobTimeoutError, PermanentError, ShutdownError, abortReason } from "./errors";
import { log } from "./log";
import { type QueuedJob, redisOptions } from "./queue";
import { type TranscodeSettings, transcodeToHls, uploadOrder } from "./transcode";
import { JobUrlSource, downloadSource, uploadAll } from "./transfer";

export interface JobResult {
  outcome: CompleteOutcome;
  outputPrefix: string;
  renditions: number;
  duration: number;
}

export function transcodeSettings(cfg: Config): TranscodeSettings {
  return {
    ladder: cfg.LADDER,
    segmentSeconds: cfg.SEGMENT_SECONDS,
    preset: cfg.X264_PRESET,
    silentAudio: cfg.SILENT_AUDIO,
    posterAt: cfg.POSTER_AT,
    posterHeight: cfg.POSTER_HEIGHT,
    segmentFormat: cfg.SEGMENT_FORMAT,
    storyboard: cfg.STORYBOARD_INTERVAL_SECONDS > 0 ? { interval: cfg.STORYBOARD_INTERVAL_SECONDS, width: cfg.STORYBOARD_WIDTH } : undefined,
    limits: {
      maxSourceBytes: cfg.MAX_SOURCE_BYTES,
      maxDurationSeconds: cfg.MAX_DURATION_SECONDS,
      maxFramePixels: cfg.MAX_FRAME_PIXELS,
      maxFrameRate: cfg.MAX_FRAME_RATE,
    },
  };
}

// Share of the progress bar each phase gets (the transcode dominates).
const DOWNLOAD_END = 0.05;
const TRANSCODE_END = 0.85;

/** Calls `send` at most once every `intervalMs`; values in between are dropped (the next one supersedes them). */
export function throttle(intervalMs: number, send: (value: number) => void) {
  let last = Number.NEGATIVE_INFINITY;
  return (value: number) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    send(value);
  };
}

const JOB_DIR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The error text the edge stores: the message, then the tail of ffmpeg's stderr, within 4000 chars. */
export function describeFailure(e: Error): string {
  const stderr = (e as { stderrTail?: string }).stderrTail?.trim();
  const text = stderr ? `${e.message}\n--- ffmpeg stderr (last lines) ---\n${stderr}` : e.message;
  return text.length <= 4000 ? text || e.name : `${text.slice(0, 600)}\n…\n${text.slice(-(4000 - 603))}`;
}

export class TranscodeWorker {
  readonly worker: Worker<QueuedJob, JobResult>;
  private readonly active = new Map<string, AbortController>();
  private shuttingDown = false;

  constructor(
    private readonly cfg: Config,
    private readonly edge: EdgeClient,
  ) {
    this.worker = new Worker<QueuedJob, JobResult>(cfg.QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: redisOptions(cfg.REDIS_URL, { maxRetriesPerRequest: null }),
      autorun: false,
      concurrency: cfg.CONCURRENCY,
      // Jobs run minutes to hours: the lock is renewed every lockDuration/2 while one runs; if this
      // process dies, the stalled checker of any worker hands the job to another after the lock expires.
      lockDuration: cfg.LOCK_DURATION_MS,
      stalledInterval: cfg.STALLED_INTERVAL_MS,
      maxStalledCount: cfg.MAX_STALLED_COUNT,
    });
    this.worker.on("error", (e) => log.error(`worker: ${e.message}`));
    this.worker.on("failed", (job, err) => {
      if (!job) return;
      // The stalled checker fails a job that crashed its workers too often without our processor
      // running: nobody has told the edge yet.
      if (/stalled more than allowable limit|started more than allowable limit/.test(err.message)) {
        void this.edge.fail(job.data.jobId, { error: `the job was abandoned: ${err.message}`, retryable: false, attempt: job.attemptsMade || 1 });
      }
    });
  }

  /** Wipes the job directories a crash left in the temp dir, then starts taking jobs. */
  async start(): Promise<void> {
    await mkdir(this.cfg.TEMP_DIR, { recursive: true });
    // Only job directories (named by job id): TEMP_DIR=/tmp must not cost anyone else their files.
    for (const entry of await readdir(this.cfg.TEMP_DIR)) {
      if (JOB_DIR.test(entry)) await rm(path.join(this.cfg.TEMP_DIR, entry), { recursive: true, force: true });
    }
    void this.worker.run().catch((e: Error) => log.error(`worker stopped: ${e.message}`));
    await this.worker.waitUntilReady();
    log.info(`worker on queue "${this.cfg.QUEUE_NAME}", concurrency ${this.cfg.CONCURRENCY}`);
  }

  /**
   * SIGTERM: take no new job, kill ffmpeg, put the running jobs back in the queue (not failed, no
   * attempt used), then close the connections.
   */
  async stop(): Promise<void> {
    this.shuttingDown = true;
    const closing = this.worker.close();
    for (const c of this.active.values()) c.abort(new ShutdownError());
    await closing;
  }

  get running(): number {
    return this.active.size;
  }

  private async process(job: Job<QueuedJob, JobResult>, token?: string): Promise<JobResult> {
    const data = job.data;
    const attempt = job.attemptsMade + 1;
    const controller = new AbortController();
    const { signal } = controller;
    if (this.shuttingDown) controller.abort(new ShutdownError());
    this.active.set(data.jobId, controller);
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(this.cfg.JOB_TIMEOUT_MS)), this.cfg.JOB_TIMEOUT_MS);
    const dir = path.join(this.cfg.TEMP_DIR, data.jobId);
    const report = throttle(this.cfg.PROGRESS_INTERVAL_MS, (p) => {
      const progress = Math.min(1, Math.max(0, Math.round(p * 1000) / 1000));
      void job.updateProgress(Math.round(progress * 100)).catch(() => {});
      void this.edge.progress(data.jobId, { progress, attempt }, signal).then((r) => {
        // Superseded or deleted meanwhile: no point burning CPU on it.
        if (r === "stop") controller.abort(new JobAbandonedError(`the edge no longer wants job ${data.jobId} (progress refused)`));
      });
    });
    log.info(`job ${data.jobId} (${data.kind}) attempt ${attempt}: start`);
    try {
      await rm(dir, { recursive: true, force: true });
      await mkdir(path.join(dir, "out"), { recursive: true });
      let completion = data.completion;
      if (!completion) {
        completion = await this.transcodeAndUpload(data, dir, signal, report);
        // Remembered, so a retry after the edge was unreachable only repeats the callback.
        await job.updateData({ ...data, completion });
      }
      const outcome = await this.edge.complete(data.jobId, completion, signal);
      log.info(`job ${data.jobId}: ${outcome} (${completion.renditions.length} renditions, ${completion.duration}s)`);
      return { outcome, outputPrefix: completion.outputPrefix, renditions: completion.renditions.length, duration: completion.duration };
    } catch (caught) {
      const e = signal.aborted ? abortReason(signal) : (caught as Error);
      if (e instanceof ShutdownError) {
        log.info(`job ${data.jobId}: back to the queue (shutting down)`);
        // Back to wait without using an attempt; if that fails, the stalled checker returns it once the lock lapses.
        if (token) await job.moveToWait(token).catch((err: Error) => log.warn(`moveToWait ${data.jobId}: ${err.message}`));
        throw new WaitingError();
      }
      if (e instanceof JobAbandonedError) {
        log.info(`job ${data.jobId}: abandoned (${e.message})`);
        // Tells the edge too, which then deletes whatever this attempt uploaded under the prefix.
        await this.edge.fail(data.jobId, { error: e.message, retryable: false, attempt });
        return { outcome: "abandoned", outputPrefix: data.outputPrefix, renditions: 0, duration: 0 };
      }
      const permanent = e instanceof PermanentError;
      const final = permanent || attempt >= (job.opts.attempts ?? 1);
      const error = describeFailure(e);
      log.warn(`job ${data.jobId} attempt ${attempt} failed${final ? " for good" : ""}: ${e.message}`);
      await this.edge.fail(data.jobId, { error, retryable: !final, attempt });
      if (permanent) throw new UnrecoverableError(e.message);
      throw e;
    } finally {
      clearTimeout(timer);
      this.active.delete(data.jobId);
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  private async transcodeAndUpload(
    data: QueuedJob,
    dir: string,
    signal: AbortSignal,
    report: (p: number) => void,
  ): Promise<CompleteCallback> {
    const cfg = this.cfg;
    const urls = new JobUrlSource(
      data.urls,
      () => {
        log.info(`job ${data.jobId}: fetching fresh URLs from the edge`);
        return this.edge.refreshUrls(data.jobId, signal);
      },
      new URL(cfg.EDGE_URL).origin,
    );
    report(0);

    const source = path.join(dir, "source");
    const bytes = await downloadSource(urls, source, { tries: cfg.HTTP_RETRIES, signal, maxBytes: cfg.MAX_SOURCE_BYTES });
    report(DOWNLOAD_END);

    const out = path.join(dir, "out");
    const started = Date.now();
    const result = await transcodeToHls({
      input: source,
      outputDir: out,
      // An ad is spliced into content of either container: it is made in both. Nobody seeks in an ad.
      settings: { ...transcodeSettings(cfg), ...(data.kind === "ad" ? { bothContainers: true, storyboard: undefined } : {}) },
      signal,
      onProgress: (f) => report(DOWNLOAD_END + f * (TRANSCODE_END - DOWNLOAD_END)),
    });
    const secs = (Date.now() - started) / 1000;
    log.info(
      `job ${data.jobId}: ${bytes} bytes, ${result.source.width}x${result.source.height} ${result.duration}s → ` +
        `${result.rungs.map((r) => r.name).join(", ")} in ${secs.toFixed(1)}s (${(result.duration / secs).toFixed(2)}x realtime)`,
    );
    report(TRANSCODE_END);

    const files = uploadOrder(result);
    await uploadAll(urls, out, files, {
      concurrency: cfg.UPLOAD_CONCURRENCY,
      tries: cfg.HTTP_RETRIES,
      signal,
      onFile: (done, total) => report(TRANSCODE_END + (done / total) * (1 - TRANSCODE_END)),
    });
    // No progress 1 here: the complete callback says it.

    return {
      outputPrefix: data.outputPrefix,
      master: result.master,
      duration: result.duration,
      segmentCount: result.segmentCount,
      renditions: [...result.renditions, ...result.alternates].map((r) => r.rendition),
      poster: result.poster,
    };
  }
}
