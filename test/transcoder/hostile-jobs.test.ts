// Hostile sources and job messages through the real edge (wrangler dev), Redis and the transcoder
// process (issue 12, finding 5): a source over a cap fails for good and the edge's job API says
// why; a lying container makes a short episode; a delivery aiming the worker at another origin is
// refused without a single request to it.
import { type Server, createServer } from "node:http";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { episodeOutputPrefix, episodeSourceKey } from "../../schema/keys";
import type { JobDelivery } from "../../schema/jobs";
import { signRequest } from "../../schema/signing";
import { TEST_SIGNING_SECRET, freePort } from "../support/stack";
import { makeClip, makeLyingClip, makeTempDir } from "./clips";
import { redisOptions } from "../../transcoder/src/queue";
import { type Harness, QUEUE_NAME, type TranscoderProcess, createFilm, finished, inspect, spawnTranscoder, startHarness, uploadEpisode, waitForJob } from "../support/edge-harness";

let h: Harness;
let events: QueueEvents;
let clips: ReturnType<typeof makeTempDir>;
const running: TranscoderProcess[] = [];

beforeAll(async () => {
  clips = makeTempDir("hostile-jobs-");
  h = await startHarness();
  events = new QueueEvents(QUEUE_NAME, { connection: redisOptions(h.redis.url) });
  await events.waitUntilReady();
});

afterAll(async () => {
  for (const t of running) await t.stop();
  await events?.close();
  await h?.stop();
  clips?.cleanup();
});

/** BullMQ's end of a job (the edge hears of a failure just before BullMQ records it): its failure reason. */
async function bullFailure(jobId: string): Promise<{ reason: string; attemptsMade: number }> {
  const job = (await h.queue.getJob(jobId))!;
  const reason = await job.waitUntilFinished(events).then(
    () => "completed",
    (e: Error) => e.message,
  );
  const after = (await h.queue.getJob(jobId))!;
  expect(await after.getState()).toBe("failed");
  return { reason, attemptsMade: after.attemptsMade };
}

async function spawn(env: Record<string, string>): Promise<TranscoderProcess> {
  const t = await spawnTranscoder(h, env);
  running.push(t);
  return t;
}

describe("caps, as the edge's job API shows them", () => {
  let worker: TranscoderProcess;
  beforeAll(async () => {
    // The edge delivers to this one (the harness's intake port).
    worker = await spawn({ MAX_SOURCE_BYTES: "100000", MAX_FRAME_RATE: "30", LADDER: "240:400,120:150" });
  });
  afterAll(async () => {
    await worker.stop();
    running.splice(running.indexOf(worker), 1);
  });

  it.each([
    ["a source over MAX_SOURCE_BYTES", () => makeClip(clips.dir, "big", { width: 640, height: 360, seconds: 4 }), /larger than MAX_SOURCE_BYTES \(100000 bytes\)/],
    ["a frame rate over MAX_FRAME_RATE", () => makeClip(clips.dir, "fast", { width: 160, height: 120, seconds: 1, fps: 60 }), /frames per second, over MAX_FRAME_RATE \(30\)/],
  ])("%s fails at once, not retried, with the reason in GET /api/v1/admin/jobs/{id}", async (_, clip, reason) => {
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", clip());
    const job = await waitForJob(h, jobId, finished);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.error).toMatch(reason);
    // BullMQ gave up after the first attempt though three are allowed (JOB_ATTEMPTS).
    const bull = await bullFailure(jobId);
    expect(bull.reason).toMatch(reason);
    expect(bull.attemptsMade).toBe(1);
    expect(worker.logs()).not.toMatch(new RegExp(`job ${jobId} \\(episode\\) attempt 2`));
    const [row] = await inspect(h, (s) => s.sql<{ status: string }>("SELECT status FROM episodes WHERE film_id = ?", filmId));
    expect(row?.status).toBe("failed");
  });

  it("a 2-second source whose container claims 3 hours becomes a 2-second episode", async () => {
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeLyingClip(clips.dir, "liar", { seconds: 2, claimSeconds: 3 * 3600 }));
    const job = await waitForJob(h, jobId, finished);
    expect(job).toMatchObject({ status: "complete", error: null });
    const [row] = await inspect(h, (s) => s.sql<{ duration: number }>("SELECT duration FROM episodes WHERE film_id = ?", filmId));
    expect(row!.duration).toBeGreaterThan(1.5);
    expect(row!.duration).toBeLessThanOrEqual(2.5);
    const keys = await inspect(h, (s) => s.list(episodeOutputPrefix(filmId, "line1", "1", jobId)));
    // One rendition (120p: never upscaled), one 4-second segment holding it all.
    expect(keys.filter((k) => k.endsWith(".ts"))).toHaveLength(1);
  });
});

describe("job URLs at another origin", () => {
  let trap: Server;
  let trapUrl = "";
  const trapped: string[] = [];
  beforeAll(async () => {
    trap = createServer((req, res) => {
      trapped.push(`${req.method} ${req.url}`);
      res.writeHead(200).end("x");
    });
    await new Promise<void>((r) => trap.listen(0, "127.0.0.1", r));
    trapUrl = `http://127.0.0.1:${(trap.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => trap.close(() => r())));

  it("a delivery whose source URL is not at EDGE_URL's origin is refused unfetched, and fails for good at the edge", async () => {
    // A worker the edge does not deliver to (nobody listens on the harness's intake port now):
    // the job stays queued at the edge until the crafted delivery below reaches this worker.
    const worker = await spawn({ INTAKE_PORT: String(await freePort()) });
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "elsewhere", { width: 160, height: 120, seconds: 1 }));
    const sourceKey = episodeSourceKey(filmId, "line1", "1", jobId);
    const outputPrefix = episodeOutputPrefix(filmId, "line1", "1", jobId);
    const delivery: JobDelivery = {
      v: 1,
      jobId,
      kind: "episode",
      sourceKey,
      outputPrefix,
      createdAt: Date.now(),
      urls: {
        source: `${trapUrl}/api/v1/internal/objects/${sourceKey}?token=stolen`,
        outputBase: `${h.edge.url}/api/v1/internal/objects/${outputPrefix}`,
        outputToken: "x",
        expiresAt: Date.now() + 3_600_000,
      },
    };
    // Signed with the real secret: a valid signature does not make a foreign URL acceptable.
    const body = JSON.stringify(delivery);
    const res = await fetch(`${worker.intakeUrl}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await signRequest(TEST_SIGNING_SECRET, "POST", "/jobs", body)) },
      body,
    });
    expect(res.status).toBe(202);

    const job = await waitForJob(h, jobId, finished);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.error).toMatch(new RegExp(`source URL points at ${trapUrl}, not at EDGE_URL \\(${h.edge.url}\\); refused, nothing fetched`));
    expect(trapped).toEqual([]);
    expect(await bullFailure(jobId)).toMatchObject({ attemptsMade: 1 });
  });
});
