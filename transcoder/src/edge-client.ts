// The transcoder's calls to the edge: HMAC-signed job callbacks and the URL refresh.
import { type CompleteCallback, type FailCallback, JobUrls, type ProgressCallback } from "../../schema/jobs";
import { signRequest } from "../../schema/signing";
import { HttpError, JobAbandonedError } from "./errors";
import { log } from "./log";
import { withRetry } from "./retry";

export type CallbackKind = "progress" | "complete" | "fail";

/** What became of a "complete" callback. */
export type CompleteOutcome =
  /** The edge recorded it (or had already: the callback is idempotent). */
  | "accepted"
  /** A newer upload replaced this job; the edge dropped our output. */
  | "superseded"
  /** The edge no longer knows the job (its film or ad was deleted). */
  | "gone"
  /** The edge told us to stop before the output was complete (see JobAbandonedError). */
  | "abandoned";

export interface EdgeClientOptions {
  /** How long "complete" keeps trying before the attempt gives up (ms). */
  completeForMs?: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
}

const networkOrServer = (e: unknown) => !(e instanceof HttpError) || e.retryable;

export class EdgeClient {
  private readonly base: string;

  constructor(
    edgeUrl: string,
    private readonly secret: string,
    private readonly opts: EdgeClientOptions = {},
  ) {
    this.base = edgeUrl.replace(/\/+$/, "");
  }

  jobPath(jobId: string, what: string): string {
    return `/api/v1/internal/jobs/${encodeURIComponent(jobId)}/${what}`;
  }

  /** One signed POST; resolves with the response when it is 2xx, throws HttpError otherwise. */
  async post(pathAndQuery: string, body: string, signal?: AbortSignal): Promise<Response> {
    const url = new URL(this.base + pathAndQuery);
    const headers = await signRequest(this.secret, "POST", url.pathname, body);
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    const res = await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!res.ok) throw new HttpError(res.status, `POST ${url.pathname}`, await res.text().catch(() => ""));
    return res;
  }

  /**
   * Best effort, one try: progress is advisory and the next report supersedes a lost one.
   * "stop": the edge answered that the job is no longer active (superseded, deleted, finished).
   */
  async progress(jobId: string, body: ProgressCallback, signal?: AbortSignal): Promise<"sent" | "failed" | "stop"> {
    try {
      const res = await this.post(this.jobPath(jobId, "progress"), JSON.stringify(body), signal);
      await res.body?.cancel();
      return "sent";
    } catch (e) {
      if (e instanceof HttpError && (e.status === 409 || e.status === 404)) return "stop";
      if (!signal?.aborted) log.warn(`progress callback for ${jobId} failed: ${(e as Error).message}`);
      return "failed";
    }
  }

  /**
   * Retried while the edge fails (network, 5xx, 429) for up to `completeForMs`; then it throws and
   * the BullMQ attempt fails, so a later attempt tries again: a completion is not lost.
   */
  async complete(jobId: string, body: CompleteCallback, signal?: AbortSignal): Promise<CompleteOutcome> {
    try {
      const res = await withRetry(() => this.post(this.jobPath(jobId, "complete"), JSON.stringify(body), signal), {
        forMs: this.opts.completeForMs ?? 120_000,
        baseMs: 1_000,
        maxMs: 15_000,
        signal,
        retryable: networkOrServer,
        onRetry: (e, n, d) => log.warn(`complete callback for ${jobId} failed (${(e as Error).message}); try ${n} in ${d} ms`),
      });
      await res.body?.cancel();
      return "accepted";
    } catch (e) {
      if (e instanceof HttpError && e.status === 409) return "superseded";
      if (e instanceof HttpError && (e.status === 404 || e.status === 410)) return "gone";
      throw e;
    }
  }

  /** Retried briefly; a lost "fail" is not fatal (the edge's DLQ and job API still show the state). */
  async fail(jobId: string, body: FailCallback, signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await withRetry(() => this.post(this.jobPath(jobId, "fail"), JSON.stringify(body), signal), {
        tries: 4,
        baseMs: 500,
        maxMs: 5_000,
        signal,
        retryable: networkOrServer,
      });
      await res.body?.cancel();
      return true;
    } catch (e) {
      // 409: the job is already finished or superseded on the edge; nothing left to tell.
      if (e instanceof HttpError && e.status === 409) return true;
      log.warn(`fail callback for ${jobId} failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** Fresh signed URLs for a job (a retry hours later, or a PUT refused with 403). */
  async refreshUrls(jobId: string, signal?: AbortSignal): Promise<JobUrls> {
    let res: Response;
    try {
      res = await withRetry(() => this.post(this.jobPath(jobId, "urls"), "", signal), {
        tries: 5,
        baseMs: 1_000,
        maxMs: 10_000,
        signal,
        retryable: networkOrServer,
      });
    } catch (e) {
      // 409: the job is finished or superseded; 404: it is gone with its film or ad.
      if (e instanceof HttpError && (e.status === 409 || e.status === 404)) {
        throw new JobAbandonedError(`the edge no longer wants job ${jobId}: ${e.body.slice(0, 300) || `HTTP ${e.status}`}`);
      }
      throw e;
    }
    const parsed = JobUrls.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new Error(`the edge answered the URL refresh of ${jobId} with no valid JobUrls`);
    return parsed.data;
  }
}
