// Several transcoders on one Redis (issue 16): two worker processes share the BullMQ queue behind the real
// edge (`wrangler dev`, its Queue and bridge, ffmpeg). Jobs spread over both, each is done exactly once, and
// a SIGKILL of the worker holding a job hands that job to the other through BullMQ's stalled-job check.
// Waits are on BullMQ's events (QueueEvents) and on conditions, never on a fixed delay.
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as keys from "../../schema/keys";
import { readMasterPlaylist, readMediaPlaylist } from "../../transcoder/src/playlists";
import { redisOptions } from "../../transcoder/src/queue";
import { makeClip, makeTempDir } from "../transcoder/clips";
import {
  type Harness,
  QUEUE_NAME,
  type TranscoderProcess,
  createFilm,
  ffmpegProcesses,
  finished,
  inspect,
  readObject,
  spawnTranscoder,
  startHarness,
  uploadEpisode,
  outputExtras,
  waitForJob,
} from "../support/edge-harness";
import { freePort, waitFor } from "../support/stack";


let h: Harness;
let events: QueueEvents;
let clips: ReturnType<typeof makeTempDir>;
let a: TranscoderProcess;
let b: TranscoderProcess;

// Short locks so a killed worker's job is free again within seconds (production: 60 s / 30 s).
const SHARED = { LOCK_DURATION_MS: "3000", STALLED_INTERVAL_MS: "1000", CONCURRENCY: "1", LADDER: "360:800,240:400" };

/** Resolves on the first event of `name` for `jobId` (registered before the action that causes it). */
function once(name: "completed" | "stalled" | "active", jobId: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off(name, on);
      reject(new Error(`no "${name}" event for job ${jobId} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const on = (e: { jobId: string }) => {
      if (e.jobId !== jobId) return;
      clearTimeout(timer);
      events.off(name, on);
      resolve();
    };
    events.on(name, on);
  });
}

const starts = (t: TranscoderProcess, jobId: string) => t.logs().match(new RegExp(`job ${jobId} \\(episode\\) attempt \\d+: start`, "g"))?.length ?? 0;
const accepted = (t: TranscoderProcess, jobId: string) => t.logs().match(new RegExp(`job ${jobId}: accepted`, "g"))?.length ?? 0;

beforeAll(async () => {
  clips = makeTempDir("shared-clips-");
  h = await startHarness();
  events = new QueueEvents(QUEUE_NAME, { connection: redisOptions(h.redis.url) });
  await events.waitUntilReady();
  // A takes the edge's deliveries (the harness's intake port); B has an intake of its own, unused.
  a = await spawnTranscoder(h, SHARED);
  b = await spawnTranscoder(h, { ...SHARED, INTAKE_PORT: String(await freePort()) });
}, 180_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await events?.close();
  await h?.stop();
  clips?.cleanup();
});

/** Every file the job's playlists name is in R2, and the episode is ready on that job's prefix only. */
async function expectOneOutput(filmId: string, episode: string, jobId: string, seconds: number) {
  const prefix = keys.episodeOutputPrefix(filmId, "line1", episode, jobId);
  const expected = new Set(outputExtras(prefix));
  for (const v of readMasterPlaylist(await (await readObject(h, `${prefix}master.m3u8`)).text())) {
    expected.add(prefix + v.uri);
    const media = readMediaPlaylist(await (await readObject(h, prefix + v.uri)).text(), prefix + v.uri);
    expect(Math.abs(media.segments.reduce((s, x) => s + x.duration, 0) - seconds)).toBeLessThanOrEqual(0.5);
    for (const s of media.segments) expected.add(s.uri);
  }
  const state = await inspect(h, async (s) => ({
    row: (await s.sql<{ status: string; hls_prefix: string }>("SELECT status, hls_prefix FROM episodes WHERE film_id = ? AND episode = ?", filmId, episode))[0],
    keys: await s.list(keys.episodePrefix(filmId, "line1", episode)),
  }));
  expect(state.row).toEqual({ status: "ready", hls_prefix: prefix });
  expect(state.keys).toEqual([...expected, keys.episodeSourceKey(filmId, "line1", episode, jobId)].sort());
}

describe("two transcoders on one Redis", () => {
  it("spreads queued jobs over both workers and runs each exactly once", async () => {
    const filmId = await createFilm(h, "shared: spread");
    // Held in the paused queue until all are there, so both idle workers compete for them at once.
    await h.queue.pause();
    const clip = makeClip(clips.dir, "spread", { width: 640, height: 360, seconds: 4 });
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push(await uploadEpisode(h, filmId, "line1", String(i), clip));
    await waitFor("the four jobs in BullMQ", async () => (await Promise.all(ids.map((id) => h.queue.getJob(id)))).every(Boolean), 60_000);
    const done = ids.map((id) => once("completed", id));
    await h.queue.resume();
    await Promise.all(done);

    for (const [i, id] of ids.entries()) {
      expect(await waitForJob(h, id, finished)).toMatchObject({ status: "complete", attempts: 1, error: null });
      // Exactly one worker ran it, once, and reported it once.
      expect(starts(a, id) + starts(b, id), id).toBe(1);
      expect(accepted(a, id) + accepted(b, id), id).toBe(1);
      await expectOneOutput(filmId, String(i + 1), id, 4);
    }
    const byA = ids.filter((id) => starts(a, id) === 1).length;
    expect(byA, "jobs run by A (the rest by B)").toBeGreaterThan(0);
    expect(byA).toBeLessThan(ids.length);
  });

  it("hands the job of a SIGKILLed worker to the other one, which finishes it once", async () => {
    const filmId = await createFilm(h, "shared: crash");
    const clip = makeClip(clips.dir, "crash", { width: 640, height: 360, seconds: 8 });
    let jobId = "";
    const active = new Promise<void>((resolve) => {
      const on = () => {
        if (!jobId) return;
        events.off("active", on);
        resolve();
      };
      events.on("active", on);
    });
    jobId = await uploadEpisode(h, filmId, "line1", "1", clip);
    await active;
    // Whichever worker took it is the one that crashes, mid-transcode (its ffmpeg running).
    let holder: TranscoderProcess | undefined;
    await waitFor("a worker's ffmpeg on the job", async () => {
      holder = [a, b].find((t) => ffmpegProcesses(t.tempDir).length > 0 && starts(t, jobId) === 1);
      return holder !== undefined;
    }, 60_000);
    const survivor = holder === a ? b : a;
    const stalled = once("stalled", jobId);
    const completed = once("completed", jobId);
    holder!.signal("SIGKILL");
    await holder!.exited;

    // BullMQ's stalled checker (run by the survivor) sees the lapsed lock and puts the job back.
    await stalled;
    await completed;
    expect(await waitForJob(h, jobId, finished)).toMatchObject({ status: "complete", progress: 1, error: null });
    expect(accepted(holder!, jobId)).toBe(0);
    expect(starts(survivor, jobId)).toBe(1);
    expect(accepted(survivor, jobId)).toBe(1);
    const bull = await h.queue.getJob(jobId);
    expect(await bull?.getState()).toBe("completed");
    await expectOneOutput(filmId, "1", jobId, 8);
  });
});
