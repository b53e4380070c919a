// The bridge's edge half (the Worker's queue handler). A real intake cannot run inside workerd, so
// delivery is tested against an unreachable one (→ retry with backoff) and the dead-letter queue
// (→ job failed); the successful delivery is covered end to end by the transcoder's tests.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { retryDelaySeconds } from "../../edge/bridge/backoff";
import type { JobMessage } from "../../schema/jobs";
import { admin, consumeQueueInTest, createFilm, files, form, postForm, realQueueHandler, rows, signedPost, waitFor } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

/** Nothing listens on the discard port. */
const UNREACHABLE = "http://127.0.0.1:9";

async function uploadEpisode(): Promise<{ filmId: string; jobId: string; message: JobMessage }> {
  const filmId = await createFilm();
  const res = await postForm(`/api/v1/upload/media/resource/line1/${filmId}/1`, form({}, { bytes: files.mp4() }));
  expect(res.status).toBe(200);
  const { jobId } = (await res.json()) as { jobId: string };
  return { filmId, jobId, message: await queue.messageFor(jobId) };
}

async function runBridge(queueName: string, bodies: { id: string; body: unknown; attempts?: number }[], vars: Record<string, string> = {}) {
  const batch = createMessageBatch(
    queueName,
    bodies.map((b) => ({ id: b.id, timestamp: new Date(), attempts: b.attempts ?? 1, body: b.body })),
  );
  const ctx = createExecutionContext();
  await realQueueHandler(batch, { ...env, ...vars } as typeof env);
  return getQueueResult(batch, ctx);
}

async function jobRow(id: string) {
  return (await rows<{ status: string; error: string | null }>("SELECT status, error FROM jobs WHERE id = ?", id))[0]!;
}

// Generous: these move megabytes through workerd, and the suite shares 2 cores.
describe("bridge: transcode-jobs", { timeout: 30_000 }, () => {
  it("retries with growing delays while the intake is unreachable, and says so on the job", async () => {
    const { jobId, message } = await uploadEpisode();
    const first = await runBridge("transcode-jobs", [{ id: "m1", body: message, attempts: 1 }], { TRANSCODER_URL: UNREACHABLE });
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toEqual([{ msgId: "m1" }]);
    const row = await jobRow(jobId);
    expect(row.status).toBe("queued");
    expect(row.error).toMatch(/delivery attempt 1 failed: transcoder intake unreachable.*next attempt in 10 s$/);
    // The job API shows it to the admin.
    expect(((await (await admin(`/api/v1/admin/jobs/${jobId}`)).json()) as { error: string }).error).toMatch(/delivery attempt 1/);

    const third = await runBridge("transcode-jobs", [{ id: "m1", body: message, attempts: 3 }], { TRANSCODER_URL: UNREACHABLE });
    expect(third.retryMessages).toEqual([{ msgId: "m1" }]);
    expect((await jobRow(jobId)).error).toMatch(/delivery attempt 3 failed.*next attempt in 40 s$/);
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => retryDelaySeconds(n))).toEqual([10, 20, 40, 80, 160, 300, 300]);
  });

  it("acks what can never be delivered: invalid messages, unknown jobs, jobs already finished", async () => {
    const { jobId, message } = await uploadEpisode();
    await signedPost(`/api/v1/internal/jobs/${jobId}/fail`, { error: "corrupt", retryable: false });
    const result = await runBridge(
      "transcode-jobs",
      [
        { id: "invalid", body: { hello: "world" } },
        { id: "unknown", body: { ...message, jobId: crypto.randomUUID() } },
        { id: "forged-keys", body: { ...message, sourceKey: "films/other/secret" } },
        { id: "finished", body: message },
      ],
      { TRANSCODER_URL: UNREACHABLE },
    );
    expect(result.explicitAcks.sort()).toEqual(["finished", "forged-keys", "invalid", "unknown"]);
    expect(result.retryMessages).toEqual([]);
    // No delivery was attempted for the finished job.
    expect((await jobRow(jobId)).error).toBe("corrupt");
  });

  it("the real Queue delivers an upload's message to this handler", async () => {
    queue.restore();
    try {
      const filmId = await createFilm();
      const res = await postForm(`/api/v1/upload/media/resource/line1/${filmId}/2`, form({}, { bytes: files.mp4() }));
      const { jobId } = (await res.json()) as { jobId: string };
      // wrangler.toml's TRANSCODER_URL has no intake in tests (or one with other secrets): either way
      // a failed delivery attempt, recorded on the job, proves the consumer got and parsed the message.
      const row = await waitFor("the bridge's first delivery attempt", async () => {
        const r = await jobRow(jobId);
        return r.error ? r : null;
      });
      expect(row.status).toBe("queued");
      expect(row.error).toMatch(/delivery attempt 1 failed/);
    } finally {
      Object.assign(queue, consumeQueueInTest());
    }
  });
});

describe("bridge: transcode-jobs-dlq", { timeout: 30_000 }, () => {
  it("marks the job and its episode failed with the reason, once", async () => {
    const { filmId, jobId, message } = await uploadEpisode();
    await runBridge("transcode-jobs", [{ id: "m", body: message }], { TRANSCODER_URL: UNREACHABLE });
    const result = await runBridge("transcode-jobs-dlq", [{ id: "dead", body: message }]);
    expect(result.explicitAcks).toEqual(["dead"]);
    const row = await jobRow(jobId);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/could not be reached.*retries exhausted.*delivery attempt 1 failed/);
    expect((await rows("SELECT status FROM episodes WHERE film_id = ?", filmId))[0]).toEqual({ status: "failed" });

    // A repeat changes nothing; an invalid message is acked.
    const again = await runBridge("transcode-jobs-dlq", [
      { id: "dead", body: message },
      { id: "junk", body: "junk" },
    ]);
    expect(again.explicitAcks.sort()).toEqual(["dead", "junk"]);
    expect(await jobRow(jobId)).toEqual(row);
  });

  it("leaves a job that completed meanwhile alone", async () => {
    const { jobId, message } = await uploadEpisode();
    await rows("UPDATE jobs SET status = 'complete' WHERE id = ?", jobId);
    await runBridge("transcode-jobs-dlq", [{ id: "late", body: message }]);
    expect((await jobRow(jobId)).status).toBe("complete");
  });
});
