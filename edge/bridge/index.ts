// The bridge's edge half: the Worker's Queue consumer. Each job message is forwarded to the
// transcoder's intake with fresh signed URLs; the message is acked only once the intake took it
// (2xx), retried with backoff otherwise. Messages that exhausted their retries arrive on the
// dead-letter queue, and their jobs are marked failed.
import { drizzle } from "drizzle-orm/d1";
import { type JobDelivery, JobMessage } from "../../schema/jobs";
import { signRequest } from "../../schema/signing";
import { config } from "../config";
import type { Env } from "../env";
import { loadJob, markFailed, mintJobUrls, noteDeliveryFailure } from "../jobs";
import { retryDelaySeconds } from "./backoff";

export const TRANSCODE_QUEUE = "transcode-jobs";
export const DEAD_LETTER_QUEUE = "transcode-jobs-dlq";
/** The intake answers once BullMQ holds the job: seconds at most. */
const DELIVERY_TIMEOUT_MS = 30_000;
/** The path the intake verifies the signature against. */
export const INTAKE_PATH = "/jobs";

const isDeadLetterQueue = (name: string) => name === DEAD_LETTER_QUEUE || name.endsWith("-dlq");

function parse(msg: Message<unknown>): JobMessage | null {
  const r = JobMessage.safeParse(msg.body);
  if (r.success) return r.data;
  // It can never succeed: retrying would only delay it into the dead-letter queue.
  console.error(`bridge: dropping invalid job message ${msg.id}: ${r.error.message}`);
  msg.ack();
  return null;
}

async function deliver(env: Env, msg: Message<unknown>): Promise<void> {
  const message = parse(msg);
  if (!message) return;
  const db = drizzle(env.DB);
  const job = await loadJob(db, message.jobId);
  if (!job || job.sourceKey !== message.sourceKey || job.outputPrefix !== message.outputPrefix) {
    console.error(`bridge: dropping message ${msg.id}: no job ${message.jobId} with that source and prefix`);
    msg.ack();
    return;
  }
  if (job.status === "complete" || job.status === "superseded" || job.status === "failed") {
    msg.ack();
    return;
  }
  const delaySeconds = retryDelaySeconds(msg.attempts);
  let failure: string;
  const { signingSecret, transcoderUrl, transcoderProblem } = config(env);
  if (!signingSecret) {
    failure = "the edge has no SIGNING_SECRET configured";
  } else if (transcoderProblem) {
    // Not sent at all: the delivery would put the job's grants on the wire in clear.
    failure = `refusing to deliver: ${transcoderProblem}`;
  } else {
    const delivery: JobDelivery = { ...message, urls: await mintJobUrls(env, job) };
    const body = JSON.stringify(delivery);
    const url = `${transcoderUrl}${INTAKE_PATH}`;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(await signRequest(signingSecret, "POST", INTAKE_PATH, body)) },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      if (res.ok) {
        await res.body?.cancel();
        msg.ack();
        return;
      }
      failure = `transcoder intake answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (e) {
      failure = `transcoder intake unreachable: ${String(e)}`;
    }
  }
  console.warn(`bridge: job ${job.id} delivery attempt ${msg.attempts} failed (${failure}); retrying in ${delaySeconds}s`);
  await noteDeliveryFailure(db, job.id, `delivery attempt ${msg.attempts} failed: ${failure}; next attempt in ${delaySeconds} s`);
  msg.retry({ delaySeconds });
}

async function deadLetter(env: Env, msg: Message<unknown>): Promise<void> {
  const message = parse(msg);
  if (!message) return;
  const db = drizzle(env.DB);
  const job = await loadJob(db, message.jobId);
  if (job && (job.status === "queued" || job.status === "running")) {
    const last = job.error ? ` (last: ${job.error})` : "";
    await markFailed(db, job, `the transcoder could not be reached: delivery retries exhausted${last}`.slice(0, 4000));
  }
  msg.ack();
}

export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const handle = isDeadLetterQueue(batch.queue) ? deadLetter : deliver;
  await Promise.all(
    batch.messages.map(async (msg) => {
      try {
        await handle(env, msg);
      } catch (e) {
        // D1 or signing trouble: not the message's fault, so try it again later.
        console.error(`bridge: message ${msg.id} on ${batch.queue} failed`, e);
        msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      }
    }),
  );
}
