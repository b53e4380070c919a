// BRIDGE=pull: instead of the edge pushing jobs to the intake, poll the Cloudflare Queues HTTP
// pull-consumer API, put each message in BullMQ, and ack it once BullMQ holds it.
//   POST {base}/accounts/{account}/queues/{queue}/messages/pull  {batch_size, visibility_timeout_ms}
//   POST {base}/accounts/{account}/queues/{queue}/messages/ack   {acks:[{lease_id}], retries:[{lease_id, delay_seconds}]}
import type { Queue } from "bullmq";
import { JobMessage } from "../../schema/jobs";
import { HttpError, abortReason } from "./errors";
import { log } from "./log";
import { enqueue } from "./queue";
import { backoffDelay, sleep } from "./retry";

export interface PullSettings {
  apiBase: string;
  accountId: string;
  queueId: string;
  apiToken: string;
  batchSize: number;
  visibilityTimeoutMs: number;
  intervalMs: number;
  retryDelaySeconds: number;
}

export interface PulledMessage {
  id?: string;
  lease_id: string;
  body: unknown;
  attempts?: number;
  metadata?: Record<string, string>;
}

interface Envelope<T> {
  success?: boolean;
  errors?: { message?: string }[];
  result?: T;
}

/**
 * A message's body as the producer sent it: JSON messages may come back as the object or as its
 * text, `bytes` messages as base64.
 */
export function decodeBody(m: PulledMessage): unknown {
  let body = m.body;
  if (typeof body !== "string") return body;
  if (m.metadata?.["CF-Content-Type"] === "bytes") body = Buffer.from(body, "base64").toString("utf8");
  try {
    return JSON.parse(body as string);
  } catch {
    return body;
  }
}

export class PullBridge {
  private readonly stopper = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly s: PullSettings,
    private readonly queue: Queue,
  ) {}

  private url(what: "pull" | "ack"): string {
    const base = this.s.apiBase.replace(/\/+$/, "");
    return `${base}/accounts/${encodeURIComponent(this.s.accountId)}/queues/${encodeURIComponent(this.s.queueId)}/messages/${what}`;
  }

  private async call<T>(what: "pull" | "ack", body: unknown): Promise<T | undefined> {
    const res = await fetch(this.url(what), {
      method: "POST",
      headers: { authorization: `Bearer ${this.s.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.any([this.stopper.signal, AbortSignal.timeout(30_000)]),
    });
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, `queues ${what}`, text);
    const env = JSON.parse(text) as Envelope<T>;
    if (env.success === false) throw new Error(`queues ${what}: ${env.errors?.map((e) => e.message).join("; ") || "unsuccessful"}`);
    return env.result;
  }

  /** One pull → enqueue → ack round. Returns how many messages it got. */
  async pollOnce(): Promise<number> {
    const result = await this.call<{ messages?: PulledMessage[] }>("pull", {
      batch_size: this.s.batchSize,
      visibility_timeout_ms: this.s.visibilityTimeoutMs,
    });
    const messages = result?.messages ?? [];
    if (messages.length === 0) return 0;
    const acks: { lease_id: string }[] = [];
    const retries: { lease_id: string; delay_seconds: number }[] = [];
    for (const m of messages) {
      const parsed = JobMessage.safeParse(decodeBody(m));
      if (!parsed.success) {
        // It can never succeed: ack it so it does not come back forever.
        log.warn(`pull: dropping invalid message ${m.id ?? m.lease_id}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
        acks.push({ lease_id: m.lease_id });
        continue;
      }
      try {
        // No URLs in a queue message: the worker asks the edge for them when it starts the job.
        const r = await enqueue(this.queue, parsed.data);
        if (r.created) log.info(`pull: job ${parsed.data.jobId} queued`);
        acks.push({ lease_id: m.lease_id });
      } catch (e) {
        log.warn(`pull: could not queue ${parsed.data.jobId}: ${(e as Error).message}`);
        retries.push({ lease_id: m.lease_id, delay_seconds: this.s.retryDelaySeconds });
      }
    }
    await this.call("ack", { acks, retries });
    return messages.length;
  }

  start(): void {
    if (this.loop) return;
    const signal = this.stopper.signal;
    this.loop = (async () => {
      let failures = 0;
      log.info(`pull: polling ${this.url("pull")}`);
      while (!signal.aborted) {
        try {
          const n = await this.pollOnce();
          failures = 0;
          // A full batch suggests more are waiting: pull again at once.
          if (n < this.s.batchSize) await sleep(this.s.intervalMs, signal);
        } catch (e) {
          if (signal.aborted) break;
          failures++;
          const delay = backoffDelay(failures, this.s.intervalMs, 60_000);
          log.warn(`pull: ${(e as Error).message}; again in ${delay} ms`);
          await sleep(delay, signal).catch(() => {});
        }
      }
    })().catch((e: unknown) => {
      if (!signal.aborted) log.error(`pull loop stopped: ${abortReason(AbortSignal.abort(e)).message}`);
    });
  }

  async stop(): Promise<void> {
    this.stopper.abort(new Error("stopping"));
    await this.loop;
  }
}
