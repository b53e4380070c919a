// Upload through the admin API → Queue → bridge → intake → BullMQ → ffmpeg → signed PUTs →
// complete callback → episode ready in D1, every file in R2. All real: wrangler dev, Redis, ffmpeg.
// One edge for every case: starting `wrangler dev` is the slowest part.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as keys from "../../schema/keys";
import { signGrant, signRequest } from "../../schema/signing";
import { readMasterPlaylist, readMediaPlaylist } from "../../transcoder/src/playlists";
import { makeClip, makeCorruptClip, makeTempDir } from "../transcoder/clips";
import {
  type Harness,
  type TranscoderProcess,
  createFilm,
  ffmpegProcesses,
  finished,
  getJob,
  inspect,
  listObjects,
  readObject,
  spawnTranscoder,
  startHarness,
  uploadEpisode,
  outputExtras,
  waitForJob,
} from "../support/edge-harness";
import { freePort, TEST_SIGNING_SECRET, waitFor } from "../support/stack";


let h: Harness;
let clips: ReturnType<typeof makeTempDir>;
let transcoder: TranscoderProcess | undefined;
const started: TranscoderProcess[] = [];

beforeAll(async () => {
  clips = makeTempDir("e2e-clips-");
  // Transcoders reach the edge through a proxy (their EDGE_URL and the edge's PUBLIC_BASE_URL), so
  // a test can cut the callbacks while signed transfers, at the same origin, still go through.
  h = await startHarness({ edgeProxy: true });
});

afterAll(async () => {
  for (const t of started) await t.stop();
  await transcoder?.stop();
  await h?.stop();
  clips?.cleanup();
});

// Short locks so a crashed worker's job is free again within seconds (production: 60 s / 30 s).
const FAST_RECOVERY = { LOCK_DURATION_MS: "4000", STALLED_INTERVAL_MS: "1000" };
// The workers that get stopped encode slowly, so there is a mid-job to stop them in.
const SLOW = { ...FAST_RECOVERY, X264_PRESET: "slower" };

/** A worker with an intake of its own (the edge delivers to the first one's). */
async function spawn(env: Record<string, string>): Promise<TranscoderProcess> {
  const t = await spawnTranscoder(h, { INTAKE_PORT: String(await freePort()), ...env });
  started.push(t);
  return t;
}

/** Until this worker's ffmpeg is encoding the job. */
async function whileTranscoding(t: TranscoderProcess): Promise<void> {
  await waitFor("ffmpeg running the ladder", async () => ffmpegProcesses(t.tempDir).length > 0, 60_000);
  await new Promise((r) => setTimeout(r, 700));
  expect(ffmpegProcesses(t.tempDir).length).toBeGreaterThan(0);
}

interface EpisodeRow {
  status: string;
  job_id: string;
  hls_prefix: string | null;
  master_key: string | null;
  duration: number | null;
  renditions: string | null;
  auto_poster_key: string | null;
}

const EPISODE_SQL = `SELECT e.status, e.job_id, e.hls_prefix, e.master_key, e.duration, e.renditions, f.auto_poster_key
  FROM episodes e JOIN films f ON f.id = e.film_id WHERE e.film_id = ? AND e.route = ? AND e.episode = ?`;

/** The episode's row and every R2 key under its prefix, in one look at the edge's state. */
function episodeState(filmId: string, route = "line1", episode = "1") {
  return inspect(h, async (s) => ({
    row: (await s.sql<EpisodeRow>(EPISODE_SQL, filmId, route, episode))[0],
    keys: await s.list(keys.episodePrefix(filmId, route, episode)),
  }));
}

describe("the transcoder behind the real edge", () => {
  it("turns an uploaded 4-second 640x360 clip into a 2-rung ladder; the episode is ready and every file is in R2", async () => {
    transcoder = await spawnTranscoder(h);
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "ep1", { width: 640, height: 360, seconds: 4 }));

    const job = await waitForJob(h, jobId, finished);
    expect(job).toMatchObject({ status: "complete", progress: 1, attempts: 1, error: null });

    const prefix = keys.episodeOutputPrefix(filmId, "line1", "1", jobId);
    const state = await episodeState(filmId);
    const ep = state.row!;
    expect(ep).toMatchObject({ status: "ready", job_id: jobId, hls_prefix: prefix, master_key: `${prefix}master.m3u8` });
    expect(ep.duration).toBeCloseTo(4, 0);
    const renditions = JSON.parse(ep.renditions!) as { name: string; width: number; height: number; codecs: string; playlist: string }[];
    expect(renditions.map((r) => [r.name, r.width, r.height, r.playlist])).toEqual([
      ["360p", 640, 360, "360p/index.m3u8"],
      ["240p", 426, 240, "240p/index.m3u8"],
    ]);
    for (const r of renditions) expect(r.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    expect(ep.auto_poster_key).toBe(`${prefix}poster.jpg`);

    // Every playlist parses from R2, the segments they name are there, and nothing else is.
    const master = readMasterPlaylist(await (await readObject(h, `${prefix}master.m3u8`)).text());
    expect(master.map((v) => v.uri)).toEqual(["360p/index.m3u8", "240p/index.m3u8"]);
    const expected = new Set(outputExtras(prefix));
    for (const v of master) {
      const res = await readObject(h, prefix + v.uri);
      expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
      const media = readMediaPlaylist(await res.text(), prefix + v.uri);
      const total = media.segments.reduce((a, s) => a + s.duration, 0);
      expect(Math.abs(total - 4)).toBeLessThanOrEqual(0.5);
      expected.add(prefix + v.uri);
      for (const s of media.segments) expected.add(s.uri);
    }
    expect(state.keys.filter((k) => k.startsWith(prefix))).toEqual([...expected].sort());
    const seg = await readObject(h, [...expected].find((k) => k.endsWith(".ts"))!);
    expect(seg.status).toBe(200);
    expect(seg.headers.get("content-type")).toBe("video/mp2t");
    expect((await seg.arrayBuffer()).byteLength).toBeGreaterThan(1000);

    // The episode's R2 keys: the source and this one output prefix, nothing stray.
    expect(state.keys.filter((k) => !k.startsWith(prefix))).toEqual([keys.episodeSourceKey(filmId, "line1", "1", jobId)]);
  });

  it("makes one BullMQ job of a job delivered twice, and one output", async () => {
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "twice", { width: 320, height: 240, seconds: 2 }));
    await waitForJob(h, jobId, finished);
    const prefix = keys.episodeOutputPrefix(filmId, "line1", "1", jobId);
    const before = await listObjects(h, prefix);

    // The bridge's delivery again, as a Queue redelivery would send it.
    const bull = await h.queue.getJob(jobId);
    expect(bull?.data.jobId).toBe(jobId);
    const { completion: _done, ...delivery } = bull!.data as Record<string, unknown>;
    const body = JSON.stringify(delivery);
    const res = await fetch(`${transcoder!.intakeUrl}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await signRequest(TEST_SIGNING_SECRET, "POST", "/jobs", body)) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jobId, created: false, state: "completed" });

    await new Promise((r) => setTimeout(r, 1500));
    expect(await h.queue.getJobCounts("wait", "active", "delayed")).toEqual({ wait: 0, active: 0, delayed: 0 });
    expect(transcoder!.logs().match(new RegExp(`job ${jobId} \\(episode\\) attempt \\d+: start`, "g"))).toHaveLength(1);
    expect(await listObjects(h, prefix)).toEqual(before);
    expect(await getJob(h, jobId)).toMatchObject({ status: "complete", attempts: 1 });
  });

  it("fails a corrupt upload at once (no retries), with ffmpeg's words in the edge's job API", async () => {
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeCorruptClip(clips.dir));
    const job = await waitForJob(h, jobId, finished);
    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(1);
    expect(job.error).toMatch(/not a readable video|could not decode/);
    expect(job.error).toMatch(/ffmpeg stderr[\s\S]*(moov atom not found|Invalid data)/i);
    const state = await episodeState(filmId);
    expect(state.row?.status).toBe("failed");
    // Nothing under the job's output prefix: only the source remains.
    expect(state.keys).toEqual([keys.episodeSourceKey(filmId, "line1", "1", jobId)]);

    const bull = await h.queue.getJob(jobId);
    expect(await bull?.getState()).toBe("failed");
    expect(bull?.attemptsMade).toBe(1);
    expect(bull?.failedReason).toMatch(/not a readable video|could not decode/);
  });

  it("still runs a job when Redis restarts between enqueue and processing", async () => {
    // An intake without a worker takes the delivery; nothing processes it yet.
    await transcoder!.stop();
    transcoder = await spawnTranscoder(h, { WORKER: "off" });
    const filmId = await createFilm(h);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "restart", { width: 320, height: 240, seconds: 2 }));
    for (let i = 0; i < 100 && !(await h.queue.getJob(jobId)); i++) await new Promise((r) => setTimeout(r, 200));
    expect(await (await h.queue.getJob(jobId))?.getState()).toBe("waiting");

    await h.redis.restart();

    // A worker (its own intake on another port) starts after the restart and finds the job.
    const worker = await spawnTranscoder(h, { INTAKE_PORT: String(await freePort()) });
    try {
      const job = await waitForJob(h, jobId, finished);
      expect(job.status).toBe("complete");
      expect((await episodeState(filmId)).row?.status).toBe("ready");
      // The intake rode out the restart too.
      expect((await fetch(`${transcoder.intakeUrl}/healthz`)).status).toBe(200);
    } finally {
      await worker.stop();
    }
  });

  it("fetches fresh URLs from the edge when a job has none (pull mode) or the edge refuses its token (403)", async () => {
    // `transcoder` is still the intake without a worker: jobs wait in BullMQ for us to edit.
    const filmId = await createFilm(h);
    const clip = makeClip(clips.dir, "urls", { width: 320, height: 240, seconds: 2 });
    const bare = await uploadEpisode(h, filmId, "line1", "1", clip);
    const refused = await uploadEpisode(h, filmId, "line1", "2", clip);
    for (const id of [bare, refused]) await waitFor(`job ${id} in BullMQ`, async () => (await (await h.queue.getJob(id))?.getState()) === "waiting", 30_000);

    // As pull mode queues it: the message alone, no URLs.
    const a = (await h.queue.getJob(bare))!;
    const { urls: _dropped, ...message } = a.data as Record<string, unknown>;
    await a.updateData(message);
    // A token the edge will refuse (signed with another secret), still far from expiry.
    const b = (await h.queue.getJob(refused))!;
    const forged = await signGrant("not-the-edge-secret", { u: "job-output", m: "PUT", p: b.data.outputPrefix, j: refused, e: Math.floor(Date.now() / 1000) + 3600 });
    await b.updateData({ ...b.data, urls: { ...b.data.urls, outputToken: forged } });

    const worker = await spawnTranscoder(h, { INTAKE_PORT: String(await freePort()) });
    try {
      for (const id of [bare, refused]) expect((await waitForJob(h, id, finished)).status).toBe("complete");
      const logs = worker.logs();
      expect(logs).toMatch(new RegExp(`job ${bare}: fetching fresh URLs from the edge`));
      expect(logs).toMatch(/upload of \S+ failed \(PUT \S+: HTTP 403/);
      expect(logs).toMatch(new RegExp(`job ${refused}: fetching fresh URLs from the edge`));
      const state = await inspect(h, (st) => st.sql<{ episode: string; status: string }>("SELECT episode, status FROM episodes WHERE film_id = ? ORDER BY episode", filmId));
      expect(state).toEqual([
        { episode: "1", status: "ready" },
        { episode: "2", status: "ready" },
      ]);
    } finally {
      await worker.stop();
    }
  });

  it("keeps a finished job's completion until the edge takes it, across attempts, without transcoding again", async () => {
    // The edge is unreachable for callbacks at first (an outage, as the transcoder sees it);
    // signed source and output transfers still go through.
    let down = true;
    const proxy = h.edgeProxy!;
    proxy.decide = (s) =>
      down && s.path.startsWith("/api/v1/internal/jobs/") ? { kind: "refuse", status: 503, reason: "edge unreachable (test)" } : { kind: "forward" };
    const worker = await spawnTranscoder(h, {
      INTAKE_PORT: String(await freePort()),
      CALLBACK_RETRY_MS: "2000",
      JOB_BACKOFF_MS: "500",
    });
    try {
      const filmId = await createFilm(h);
      const jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "outage", { width: 320, height: 240, seconds: 2 }));
      // The first attempt uploads everything, then cannot report; the second only reports again.
      await waitFor("a second attempt", async () => worker.logs().includes(`job ${jobId} (episode) attempt 2: start`), 60_000);
      down = false;
      const job = await waitForJob(h, jobId, finished);
      expect(job.status).toBe("complete");
      const logs = worker.logs();
      expect(logs).toMatch(new RegExp(`complete callback for ${jobId} failed`));
      expect(logs.match(new RegExp(`job ${jobId}: \\d+ bytes, .* realtime`, "g"))).toHaveLength(1);
      expect(logs.match(new RegExp(`job ${jobId}: accepted`, "g"))).toHaveLength(1);
    } finally {
      await worker.stop();
      proxy.decide = () => ({ kind: "forward" });
    }
  });

  it("a job survives a SIGTERMed and then a SIGKILLed worker, and finishes once with one output", async () => {
    const filmId = await createFilm(h);
    const a = await spawn(SLOW);
    const jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "crash", { width: 640, height: 360, seconds: 10 }));

    // 1. SIGTERM mid-transcode: ffmpeg is killed, the job goes back to wait without using an attempt.
    await whileTranscoding(a);
    a.signal("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(a.logs()).toMatch(new RegExp(`job ${jobId}: back to the queue`));
    expect(ffmpegProcesses(a.tempDir)).toEqual([]);
    const waiting = await h.queue.getJob(jobId);
    expect(await waiting?.getState()).toBe("waiting");
    expect(waiting?.attemptsMade).toBe(0);
    const edgeView = await getJob(h, jobId);
    expect(["queued", "running"]).toContain(edgeView.status);
    expect(edgeView.error).toBeNull();

    // 2. The next worker takes it, and is SIGKILLed mid-transcode, ffmpeg and all (a crash).
    const b = await spawn(SLOW);
    await whileTranscoding(b);
    b.signal("SIGKILL");
    await b.exited;
    // The kernel ends the group's ffmpeg a moment after the worker itself.
    await waitFor("the killed worker's ffmpeg to end", async () => ffmpegProcesses(b.tempDir).length === 0, 10_000);
    // Its lock is still held: the job looks active until the lock lapses.
    expect(await (await h.queue.getJob(jobId))?.getState()).toBe("active");

    // 3. A third worker's stalled checker frees the job once the lock lapses, and finishes it.
    const c = await spawn({ ...FAST_RECOVERY, X264_PRESET: "ultrafast" });
    const job = await waitForJob(h, jobId, finished, 120_000);
    expect(job).toMatchObject({ status: "complete", progress: 1, error: null });
    expect(c.logs()).toMatch(new RegExp(`job ${jobId} \\(episode\\) attempt 1: start`));
    expect(c.logs().match(new RegExp(`job ${jobId}: accepted`, "g"))).toHaveLength(1);
    // BullMQ marks it completed just after the edge accepted the completion.
    await waitFor("BullMQ to complete the job", async () => (await (await h.queue.getJob(jobId))?.getState()) === "completed", 10_000);
    expect((await h.queue.getJob(jobId))?.attemptsMade).toBe(1);

    // One output: the episode points at the job's prefix, which holds exactly what its playlists
    // name; besides it there is only the source.
    const prefix = keys.episodeOutputPrefix(filmId, "line1", "1", jobId);
    const expected = new Set(outputExtras(prefix));
    const master = readMasterPlaylist(await (await readObject(h, `${prefix}master.m3u8`)).text());
    for (const v of master) {
      expected.add(prefix + v.uri);
      const media = readMediaPlaylist(await (await readObject(h, prefix + v.uri)).text(), prefix + v.uri);
      expect(Math.abs(media.segments.reduce((a, s) => a + s.duration, 0) - 10)).toBeLessThanOrEqual(0.5);
      for (const s of media.segments) expected.add(s.uri);
    }
    const state = await inspect(h, async (s) => ({
      episodes: await s.sql<{ status: string; job_id: string; hls_prefix: string }>(
        "SELECT status, job_id, hls_prefix FROM episodes WHERE film_id = ?",
        filmId,
      ),
      keys: await s.list(keys.episodePrefix(filmId, "line1", "1")),
    }));
    expect(state.episodes).toEqual([{ status: "ready", job_id: jobId, hls_prefix: prefix }]);
    expect(state.keys).toEqual([...expected, keys.episodeSourceKey(filmId, "line1", "1", jobId)].sort());
  });
});
