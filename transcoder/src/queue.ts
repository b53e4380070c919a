// The BullMQ queue of transcode jobs: connection options, job options, and the one way in.
import { Queue } from "bullmq";
import type { CompleteCallback, JobMessage, JobUrls } from "../../schema/jobs";

/**
 * What a BullMQ job holds: the producer's message, the signed URLs when the bridge pushed them
 * (pull mode fetches its own), and — once the output is uploaded — the completion to report, so
 * an attempt that only failed to reach the edge is retried without transcoding again.
 */
export type QueuedJob = JobMessage & { urls?: JobUrls; completion?: CompleteCallback };

/** ioredis options from a redis:// URL (BullMQ creates its own clients from these). */
export function redisOptions(url: string, extra: Record<string, unknown> = {}) {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: u.protocol === "rediss:" ? {} : undefined,
    ...extra,
  };
}

export interface QueueSettings {
  queueName: string;
  redisUrl: string;
  attempts: number;
  backoffMs: number;
}

export function createQueue(s: QueueSettings): Queue {
  return new Queue(s.queueName, {
    // A producer should fail fast while Redis is away: the bridge then retries the delivery later.
    connection: redisOptions(s.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
    defaultJobOptions: {
      attempts: s.attempts,
      backoff: { type: "exponential", delay: s.backoffMs },
      // Kept a while so a redelivery of a finished job is still recognised as the same job.
      removeOnComplete: { age: 14 * 24 * 3600, count: 50_000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 50_000 },
    },
  });
}

export interface Enqueued {
  /** false: BullMQ already held a job with this id (a redelivery). */
  created: boolean;
  state: string;
}

/** Adds the job with `jobId` = the producer's job id, so a redelivery is the same job. */
export async function enqueue(queue: Queue, job: QueuedJob): Promise<Enqueued> {
  const existing = await queue.getJob(job.jobId);
  if (existing) return { created: false, state: await existing.getState() };
  // Two deliveries racing past the check still make one job: BullMQ ignores an add of an existing id.
  const added = await queue.add(job.kind, job, { jobId: job.jobId });
  return { created: true, state: await added.getState() };
}
