// Faults between the edge and the transcoder (issue 7), on the real parts: `wrangler dev` (D1, R2, Queues,
// the bridge), a Redis of its own, the transcoder as a child process, ffmpeg. Between them sit two hostile
// proxies (test/support/hostile-proxy.ts): one in front of the edge for everything the transcoder sends
// (callbacks, and the signed source/output URLs, by pointing EDGE_URL and PUBLIC_BASE_URL at it), one in
// front of the intake for the bridge's deliveries. Each case ends with nothing lost and nothing duplicated:
// the job complete once, the episode ready on that job's prefix, each output file written once, and R2
// holding exactly the source and that one output.
//
// Not here, because test/e2e/transcode-pipeline.test.ts (the transcoder's own) already covers them: a worker
// SIGKILLed mid-job, Redis restarted mid-queue, the intake receiving a delivery of a job it finished, and an
// edge unreachable for longer than an attempt (the next attempt only repeats the callback).

import { rmSync } from "node:fs";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as keys from "../../schema/keys";
import { readMasterPlaylist, readMediaPlaylist } from "../../transcoder/src/playlists";
import { redisOptions } from "../../transcoder/src/queue";
import { type HostileProxy, type Seen, type Verdict, startHostileProxy } from "../support/hostile-proxy";
import { d1Rows } from "../support/hostile-storage";
import { type DevEdge, freePort, type RedisServer, startEdge, startRedis, waitFor } from "../support/stack";
import { makeClip, makeTempDir } from "../transcoder/clips";
import {
  type Harness,
  QUEUE_NAME,
  type TranscoderProcess,
  createFilm,
  finished,
  listObjects,
  readObject,
  spawnTranscoder,
  uploadEpisode,
  waitForJob,
} from "../support/edge-harness";

let redis: RedisServer | undefined;
let edge: DevEdge | undefined;
let queue: Queue | undefined;
let toEdge: HostileProxy;
let toIntake: HostileProxy;
let h: Harness;
let transcoder: TranscoderProcess | undefined;
let clips: ReturnType<typeof makeTempDir>;

/** Per-request rules of the cases; the first that has a verdict wins, the rest is forwarded. */
const edgeRules: Array<(s: Seen) => Verdict | undefined | Promise<Verdict | undefined>> = [];
const intakeRules: Array<(s: Seen) => Verdict | undefined> = [];

async function firstVerdict<T extends Seen>(rules: Array<(s: T) => Verdict | undefined | Promise<Verdict | undefined>>, s: T): Promise<Verdict> {
  for (const rule of rules) {
    const v = await rule(s);
    if (v) return v;
  }
  return { kind: "forward" };
}

beforeAll(async () => {
  clips = makeTempDir("faults-clips-");
  toEdge = await startHostileProxy();
  toIntake = await startHostileProxy();
  toEdge.decide = (s) => firstVerdict(edgeRules, s);
  toIntake.decide = (s) => firstVerdict(intakeRules, s);
  redis = await startRedis();
  const intakePort = await freePort();
  toIntake.target = `http://127.0.0.1:${intakePort}`;
  edge = await startEdge({ vars: { TRANSCODER_URL: toIntake.url, PUBLIC_BASE_URL: toEdge.url } });
  toEdge.target = edge.url;
  queue = new Queue(QUEUE_NAME, { connection: redisOptions(redis.url) });
  h = { edge, redis, intakePort, intakeUrl: toIntake.target, queue, stop: async () => {} };
  transcoder = await spawnTranscoder(h, { EDGE_URL: toEdge.url, LADDER: "240:400,120:150" });
}, 180_000);

afterAll(async () => {
  await transcoder?.stop();
  await queue?.close().catch(() => {});
  await edge?.stop();
  await redis?.stop();
  await toEdge?.close();
  await toIntake?.close();
  if (clips) rmSync(clips.dir, { recursive: true, force: true });
});

const jobPath = (jobId: string, what: string) => `/api/v1/internal/jobs/${jobId}/${what}`;
const deliveriesOf = (jobId: string) => toIntake.seen.filter((s) => s.method === "POST" && s.path === "/jobs" && s.body.toString().includes(jobId));

/** Each output file of the job, by how many times the transcoder PUT it. */
function putsUnder(prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  const base = "/api/v1/internal/objects/";
  for (const s of toEdge.seen) {
    if (s.method !== "PUT" || !s.path.startsWith(base + prefix)) continue;
    const key = decodeURIComponent(s.path.slice(base.length));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

interface EpisodeRow {
  status: string;
  job_id: string;
  hls_prefix: string | null;
}

/**
 * Nothing lost, nothing duplicated: the job complete, the episode ready on its prefix, every output file
 * written once and present, the playlists whole, and no other object under the episode but the source.
 */
async function expectOneOutput(filmId: string, jobId: string) {
  const job = await waitForJob(h, jobId, finished, 60_000);
  expect(job.status, JSON.stringify(job)).toBe("complete");
  expect(job.error).toBeNull();
  const prefix = keys.episodeOutputPrefix(filmId, "line1", "1", jobId);
  const ep = d1Rows<EpisodeRow>(edge!.persistDir, `SELECT status, job_id, hls_prefix FROM episodes WHERE film_id = '${filmId}' AND route = 'line1' AND episode = '1'`);
  expect(ep).toEqual([{ status: "ready", job_id: jobId, hls_prefix: prefix }]);
  expect(d1Rows(edge!.persistDir, `SELECT id FROM jobs WHERE film_id = '${filmId}'`)).toEqual([{ id: jobId }]);

  const puts = putsUnder(prefix);
  expect([...puts.entries()].filter(([, n]) => n !== 1), "output files written more than once").toEqual([]);
  const stored = await listObjects(h, prefix);
  expect(stored).toEqual([...puts.keys()].sort());

  // The playlists are whole: the master's renditions, each rendition's segments, all stored.
  const master = readMasterPlaylist(await (await readObject(h, `${prefix}master.m3u8`)).text());
  expect(master.length).toBeGreaterThan(0);
  const referenced = new Set([`${prefix}master.m3u8`]);
  for (const v of master) {
    referenced.add(prefix + v.uri);
    const media = readMediaPlaylist(await (await readObject(h, prefix + v.uri)).text(), prefix + v.uri);
    for (const s of media.segments) referenced.add(s.uri);
    expect(Math.abs(media.segments.reduce((a, s) => a + s.duration, 0) - 2)).toBeLessThan(0.5);
  }
  for (const key of referenced) expect(stored, key).toContain(key);

  const all = await listObjects(h, keys.episodePrefix(filmId, "line1", "1"));
  expect(all.filter((k) => !k.startsWith(prefix))).toEqual([keys.episodeSourceKey(filmId, "line1", "1", jobId)]);
  const sourceReads = toEdge.seen.filter((s) => s.method === "GET" && s.path.endsWith(keys.episodeSourceKey(filmId, "line1", "1", jobId)));
  expect(sourceReads.map((s) => s.status)).toEqual([200]);
}

/** Lines of the transcoder's log about a job. */
const logLines = (jobId: string, what: RegExp) => transcoder!.logs().split("\n").filter((l) => l.includes(jobId) && what.test(l));

describe("faults between the edge and the transcoder", () => {
  it("a Queue message delivered twice (the intake took it, the bridge never heard): one BullMQ job, one transcode, one output", async () => {
    const filmId = await createFilm(h, "fault: delivered twice");
    let jobId = "";
    // The intake gets the first delivery, but its answer is lost: the bridge retries the message.
    intakeRules.push((s) => (jobId && s.path === "/jobs" && deliveriesOf(jobId).length === 1 && s.body.toString().includes(jobId) ? { kind: "forward-then-refuse", status: 503, reason: "answer lost" } : undefined));
    // The worker is held at the source download until the redelivery reached the intake, so the second
    // delivery finds the job in BullMQ (not finished) and must not make a second one.
    const redelivered = waitFor("the Queue's redelivery", async () => jobId !== "" && deliveriesOf(jobId).filter((s) => s.status !== undefined).length >= 2, 60_000);
    edgeRules.push((s) => (jobId && s.method === "GET" && s.path.includes(`/source/${jobId}`) ? { kind: "forward", hold: redelivered } : undefined));

    jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "twice", { width: 320, height: 240, seconds: 2 }));
    await redelivered;
    await expectOneOutput(filmId, jobId);

    const deliveries = deliveriesOf(jobId);
    expect(deliveries.map((d) => [d.forwarded, d.status])).toEqual([
      [true, 503],
      [true, 200],
    ]);
    expect(JSON.parse(deliveries[1]!.answer!.toString())).toMatchObject({ jobId, created: false });
    expect(logLines(jobId, /attempt \d+: start/)).toHaveLength(1);
    expect(await (await queue!.getJob(jobId))?.getState()).toBe("completed");
    expect((await waitForJob(h, jobId, finished)).attempts).toBe(1);
  });

  it("the edge failing every callback for a while: progress is lost, 'complete' is retried within the attempt; the job completes once", async () => {
    const filmId = await createFilm(h, "fault: callback outage");
    let jobId = "";
    // Down for this job's callbacks (progress and complete alike) until it has refused two completions.
    let refusedCompletes = 0;
    edgeRules.push((s) => {
      if (!jobId || !s.path.startsWith(`/api/v1/internal/jobs/${jobId}/`) || refusedCompletes >= 2) return undefined;
      if (s.path === jobPath(jobId, "complete")) refusedCompletes++;
      return { kind: "refuse", status: 503, reason: "edge unavailable" };
    });

    jobId = await uploadEpisode(h, filmId, "line1", "1", makeClip(clips.dir, "outage", { width: 320, height: 240, seconds: 2 }));
    await expectOneOutput(filmId, jobId);

    const callbacks = toEdge.seen.filter((s) => s.path.startsWith(`/api/v1/internal/jobs/${jobId}/`));
    const progress = callbacks.filter((s) => s.path === jobPath(jobId, "progress"));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((s) => s.status === 503)).toBe(true);
    expect(callbacks.filter((s) => s.path === jobPath(jobId, "complete")).map((s) => s.status)).toEqual([503, 503, 200]);
    expect(callbacks.filter((s) => s.path === jobPath(jobId, "fail"))).toEqual([]);
    expect(logLines(jobId, /attempt \d+: start/)).toHaveLength(1);
    expect(logLines(jobId, /complete callback for .* failed/)).toHaveLength(2);
    expect(await waitForJob(h, jobId, finished)).toMatchObject({ status: "complete", progress: 1 });
  });

  it("logged no unhandled error on the edge", () => {
    expect(edge!.logs()).not.toMatch(/unhandled error|Uncaught|internal error/i);
  });
});
