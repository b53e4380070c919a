// Memory bench: peak RSS of the edge (wrangler dev: wrangler's node, workerd, esbuild, summed over the
// process tree) and of the transcoder (tsx, node, ffmpeg/ffprobe, summed) while the upload CLI
// (scripts/upload.ts) sends a large file through the signed multipart flow, the transcoder downloads it
// and transcodes it. Trees are sampled from /proc every 100 ms (bench/lib/rss.ts).
//
// The file is a long, small clip padded to the size wanted (bench/lib/padded-clip.ts): the upload and
// the download move every byte, the transcode is the clip's. "Flat" is shown two ways, both ratios:
// RSS at 25/50/75/100 % of the upload (and of the transcode) over RSS at 10 %, and the peak while
// moving the large file over the peak while moving a file a tenth of its size, in the same stack.
import { spawn } from "node:child_process";
import { closeSync, createReadStream, ftruncateSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { signGrant } from "../schema/signing";
import { AdminClient, type JobView } from "../scripts/harness/admin-client";
import { freePort } from "../scripts/harness/ports";
import { startRedis } from "../scripts/harness/redis";
import { makePaddedClip, type PaddedClip } from "./lib/padded-clip";
import { RssSampler, type TreeSample, mib } from "./lib/rss";
import { BENCH_ADMIN_TOKEN, BENCH_SIGNING_SECRET, ROOT, migrate, sql, startBenchTranscoder, startDevEdge } from "./lib/services";

export interface MemoryOptions {
  /** Size of the large upload. */
  bytes: number;
  /** Length of the large file's clip (the transcode half). */
  clipSeconds: number;
  width: number;
  height: number;
  log?: (s: string) => void;
}

/** Marks of the upload, in % of its bytes. */
export const UPLOAD_MARKS = [10, 25, 50, 75, 100];
/**
 * Marks of the transcode, in % of ffmpeg's progress. The last is 95, not 100: the job reports the end of
 * the transcode after ffmpeg has exited and the poster is made, when there is no ffmpeg left to measure.
 */
export const TRANSCODE_MARKS = [10, 25, 50, 75, 95];

export interface Flatness {
  /** MiB at each mark (in %). */
  atMiB: Record<number, number>;
  /** RSS at the mark / RSS at the first mark (10 %). */
  ratioToFirst: Record<number, number>;
  peakMiB: number;
}

export interface TransferFigures {
  file: { bytes: number; clipSeconds: number; clipBytes: number };
  upload: { seconds: number; mibPerSecond: number; edge: Flatness; edgeWorkerdPeakMiB: number; uploaderPeakMiB: number };
  complete: { seconds: number; edgePeakMiB: number };
  download: { seconds: number; edgePeakMiB: number; edgeWorkerdPeakMiB: number; transcoderPeakMiB: number };
  transcode: { seconds: number; realtimeFactor: number; transcoder: Flatness; nodePeakMiB: number; ffmpegPeakMiB: number };
  output: { seconds: number; edgePeakMiB: number; transcoderPeakMiB: number };
  job: { status: string; attempts: number };
  /** Sampler times (ms) of the phase boundaries, to look things up in the series afterwards. */
  at: { uploadStart: number; uploadEnd: number; completeEnd: number; downloaded: number; transcoded: number; jobEnd: number };
}

/** workerd's RSS around one streamed request: before it, its peak, and a few seconds after. */
export interface WorkerdAround {
  seconds: number;
  beforeMiB: number;
  peakMiB: number;
  afterMiB: number;
}

export interface MemoryResult {
  idle: { edgeMiB: number; transcoderMiB: number };
  /**
   * A control, before any multipart upload: one object of the same kind of size stored as a single blob
   * (one signed PUT, as the transcoder stores its output) and read back by a signed GET, through the
   * same handlers as the source's download. Tells the edge's streaming apart from the local R2's.
   */
  singleBlob: { bytes: number; put: WorkerdAround; get: WorkerdAround };
  /** The same around the transcoder's download of the large (multipart) source. */
  multipartDownload: WorkerdAround;
  small: TransferFigures;
  large: TransferFigures;
  /** Peak while moving the large file / peak while moving the small one (≈ 1: flat). */
  largeOverSmall: { edgeUpload: number; edgeDownload: number; transcoderDownload: number; transcoderTranscode: number };
  samples: number;
  intervalMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flatness(sampler: RssSampler, series: string, at: Record<number, number>, from: number, to: number): Flatness {
  const marks = Object.keys(at).map(Number);
  const atMiB = Object.fromEntries(marks.map((m) => [m, mib(sampler.at(series, at[m]!).total)]));
  const ratioToFirst = Object.fromEntries(marks.slice(1).map((m) => [m, round3(atMiB[m]! / atMiB[marks[0]!]!)]));
  return { atMiB, ratioToFirst, peakMiB: mib(sampler.peak(series, from, to).total) };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Largest sum over the tree of the processes whose name matches, in [from, to]. */
function peakOf(samples: TreeSample[], from: number, to: number, match: (name: string) => boolean): number {
  let best = 0;
  for (const s of samples) {
    if (s.t < from || s.t > to) continue;
    const kib = Object.entries(s.byName).reduce((n, [name, k]) => n + (match(name) ? k : 0), 0);
    best = Math.max(best, kib);
  }
  return mib(best);
}

/** When a series of (t, fraction) first reached each mark (in %). */
function crossings(marks: number[], points: { t: number; f: number }[], end: number): Record<number, number> {
  return Object.fromEntries(marks.map((m) => [m, points.find((p) => p.f * 100 >= m)?.t ?? end]));
}

async function transfer(
  clip: PaddedClip,
  ctx: { edgeUrl: string; admin: AdminClient; sampler: RssSampler; stateDir: string; log: (s: string) => void },
): Promise<TransferFigures> {
  const { sampler, log } = ctx;
  const filmId = await ctx.admin.createFilm({
    title: `memory bench ${clip.bytes} bytes`,
    type: "MOVIE",
    category: "MOVIE_DRAMA",
    location: "US",
    releaseYear: 2024,
    language: "English",
    state: "bench",
    actors: [],
    directors: [],
    introduction: "memory bench",
  });

  // The CLI as an admin runs it; its progress lines (stderr, one per 200 ms when not a TTY) say how far
  // the upload is. --no-wait: the bench follows the job itself, more often than the CLI would.
  const uploadStart = sampler.now();
  const progress: { t: number; f: number }[] = [];
  const cli = spawn(
    path.join(ROOT, "node_modules/.bin/tsx"),
    [path.join(ROOT, "scripts/upload.ts"), clip.file, "--film", filmId, "--route", "line1", "--episode", "1", "--edge", ctx.edgeUrl, "--token", BENCH_ADMIN_TOKEN, "--no-wait"],
    { cwd: ROOT, env: { ...process.env, UPLOAD_STATE_DIR: ctx.stateDir }, stdio: ["ignore", "pipe", "pipe"] },
  );
  ctx.sampler.track("uploader", cli.pid!);
  let stdout = "";
  let stderr = "";
  let partial = "";
  let uploadEnd = 0;
  cli.stdout.on("data", (d) => (stdout += d));
  cli.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d).slice(-20_000);
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^upload \[.*\]\s+\d+% ([\d.]+) MiB\/([\d.]+) MiB/.exec(line);
      if (!m) continue;
      const f = Number(m[1]) / Number(m[2]);
      progress.push({ t: sampler.now(), f });
      if (f >= 1 && !uploadEnd) uploadEnd = sampler.now();
    }
  });
  const code = await new Promise<number | null>((resolve) => cli.on("close", resolve));
  const completeEnd = sampler.now();
  sampler.untrack("uploader");
  if (code !== 0) throw new Error(`the upload CLI exited ${code}:\n${stderr}`);
  const { jobId } = JSON.parse(stdout.trim().split("\n").at(-1)!) as { jobId: string };
  if (!uploadEnd) throw new Error(`the upload CLI never reported 100 %:\n${stderr}`);
  log(`  uploaded ${(clip.bytes / 2 ** 20).toFixed(0)} MiB in ${((uploadEnd - uploadStart) / 1000).toFixed(1)} s; job ${jobId}`);

  // The job's progress: 0 → 0.05 once downloaded, 0.05 → 0.85 transcoding, then the output upload.
  const polls: { t: number; p: number; status: string }[] = [];
  const job: JobView = await ctx.admin.followJob(jobId, {
    pollMs: 100,
    timeoutMs: Infinity,
    onPoll: (j) => polls.push({ t: sampler.now(), p: j.progress, status: j.status }),
  });
  const jobEnd = sampler.now();
  if (job.status !== "complete") throw new Error(`job ${jobId} ended ${job.status}: ${job.error}`);
  const downloaded = polls.find((x) => x.p >= 0.05)?.t ?? jobEnd;
  const transcoded = polls.find((x) => x.p >= 0.85)?.t ?? jobEnd;
  const transcodePoints = polls.filter((x) => x.p >= 0.05).map((x) => ({ t: x.t, f: Math.min(1, (x.p - 0.05) / 0.8) }));
  const transcodeSeconds = (transcoded - downloaded) / 1000;
  log(`  job complete: download ${((downloaded - completeEnd) / 1000).toFixed(1)} s, transcode ${transcodeSeconds.toFixed(1)} s, output ${((jobEnd - transcoded) / 1000).toFixed(1)} s`);

  const transcoderSeries = sampler.series.transcoder!;
  return {
    file: { bytes: clip.bytes, clipSeconds: clip.seconds, clipBytes: clip.clipBytes },
    upload: {
      seconds: (uploadEnd - uploadStart) / 1000,
      mibPerSecond: clip.bytes / 2 ** 20 / ((uploadEnd - uploadStart) / 1000),
      edge: flatness(sampler, "edge", crossings(UPLOAD_MARKS, progress, uploadEnd), uploadStart, uploadEnd),
      edgeWorkerdPeakMiB: peakOf(sampler.series.edge!, uploadStart, uploadEnd, (n) => n === "workerd"),
      uploaderPeakMiB: mib(Math.max(0, ...(sampler.series.uploader ?? []).filter((s) => s.t >= uploadStart && s.t <= completeEnd).map((s) => s.total))),
    },
    complete: { seconds: (completeEnd - uploadEnd) / 1000, edgePeakMiB: mib(sampler.peak("edge", uploadEnd, completeEnd).total) },
    download: {
      seconds: (downloaded - completeEnd) / 1000,
      edgePeakMiB: mib(sampler.peak("edge", completeEnd, downloaded).total),
      edgeWorkerdPeakMiB: peakOf(sampler.series.edge!, completeEnd, downloaded, (n) => n === "workerd"),
      transcoderPeakMiB: mib(sampler.peak("transcoder", completeEnd, downloaded).total),
    },
    transcode: {
      seconds: transcodeSeconds,
      realtimeFactor: clip.seconds / transcodeSeconds,
      transcoder: flatness(sampler, "transcoder", crossings(TRANSCODE_MARKS, transcodePoints, transcoded), downloaded, transcoded),
      nodePeakMiB: peakOf(transcoderSeries, downloaded, transcoded, (n) => !n.startsWith("ff")),
      ffmpegPeakMiB: peakOf(transcoderSeries, downloaded, transcoded, (n) => n.startsWith("ff")),
    },
    output: {
      seconds: (jobEnd - transcoded) / 1000,
      edgePeakMiB: mib(sampler.peak("edge", transcoded, jobEnd).total),
      transcoderPeakMiB: mib(sampler.peak("transcoder", transcoded, jobEnd).total),
    },
    job: { status: job.status, attempts: job.attempts },
    at: { uploadStart, uploadEnd, completeEnd, downloaded, transcoded, jobEnd },
  };
}

const workerdAt = (sampler: RssSampler, t: number) => sampler.at("edge", t).byName.workerd ?? 0;
const workerdPeak = (sampler: RssSampler, from: number, to: number) =>
  Math.max(0, ...sampler.series.edge!.filter((s) => s.t >= from && s.t <= to).map((s) => s.byName.workerd ?? 0));

function around(sampler: RssSampler, from: number, to: number, after: number): WorkerdAround {
  return { seconds: (to - from) / 1000, beforeMiB: mib(workerdAt(sampler, from)), peakMiB: mib(workerdPeak(sampler, from, to)), afterMiB: mib(workerdAt(sampler, after)) };
}

function stream(method: "GET" | "PUT", url: string, file?: { path: string; bytes: number }): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const headers = file ? { "content-length": String(file.bytes) } : {};
    const req = httpRequest(url, { method, agent: false, headers }, (res) => {
      let bytes = 0;
      res.on("data", (d: Buffer) => (bytes += d.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (file) createReadStream(file.path).pipe(req);
    else req.end();
  });
}

/** One object stored whole by a signed PUT and read back by a signed GET (the internal objects routes). */
/** A running job whose source is `key` and whose output prefix holds it: its grants may write and then read it. */
function controlJob(persistDir: string) {
  const id = crypto.randomUUID();
  const prefix = `films/${crypto.randomUUID()}/episodes/line1/1/hls/${id}/`;
  const key = `${prefix}control.ts`;
  const now = Date.now();
  sql(persistDir, `INSERT INTO jobs (id, kind, status, source_key, output_prefix, created_at, updated_at) VALUES ('${id}', 'episode', 'running', '${key}', '${prefix}', ${now}, ${now})`);
  return { id, prefix, key };
}

async function singleBlobControl(
  edgeUrl: string,
  sampler: RssSampler,
  work: string,
  bytes: number,
  job: { id: string; prefix: string; key: string },
): Promise<MemoryResult["singleBlob"]> {
  const file = path.join(work, "single-blob.bin");
  const fd = openSync(file, "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
  const key = job.key;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const url = (token: string) => `${edgeUrl}/api/v1/internal/objects/${key}?token=${token}`;

  const t0 = sampler.now();
  const put = await stream("PUT", url(await signGrant(BENCH_SIGNING_SECRET, { u: "job-output", m: "PUT", p: job.prefix, e: exp, s: bytes, j: job.id })), { path: file, bytes });
  const t1 = sampler.now();
  if (put.status !== 201) throw new Error(`single-blob PUT answered ${put.status}`);
  rmSync(file, { force: true });
  await sleep(2000);
  const t2 = sampler.now();
  const got = await stream("GET", url(await signGrant(BENCH_SIGNING_SECRET, { u: "job-source", m: "GET", k: key, e: exp, j: job.id })));
  const t3 = sampler.now();
  if (got.status !== 200 || got.bytes !== bytes) throw new Error(`single-blob GET answered ${got.status} with ${got.bytes} of ${bytes} bytes`);
  await sleep(2000);
  return { bytes, put: around(sampler, t0, t1, t2), get: around(sampler, t2, t3, sampler.now()) };
}

export async function runMemoryBench(opts: MemoryOptions): Promise<MemoryResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const work = mkdtempSync(path.join(tmpdir(), "bench-memory-"));
  const stops: (() => Promise<void>)[] = [];
  try {
    log(`  generating the files (${(opts.bytes / 2 ** 20).toFixed(0)} MiB with a ${opts.clipSeconds} s clip, and a tenth of it)…`);
    const small = makePaddedClip(path.join(work, "small.mp4"), { seconds: Math.max(4, Math.round(opts.clipSeconds / 10)), width: opts.width, height: opts.height, bytes: Math.round(opts.bytes / 10) });
    const large = makePaddedClip(path.join(work, "large.mp4"), { seconds: opts.clipSeconds, width: opts.width, height: opts.height, bytes: opts.bytes });

    const redis = await startRedis();
    stops.push(() => redis.stop());
    const persistDir = path.join(work, "edge-state");
    migrate(persistDir);
    const control = controlJob(persistDir);
    const intakePort = await freePort();
    const edge = await startDevEdge(persistDir, { TRANSCODER_URL: `http://127.0.0.1:${intakePort}` });
    stops.push(() => edge.stop());
    // Progress every 250 ms rather than 3 s: the marks of the transcode are read from it.
    const transcoder = await startBenchTranscoder({ edgeUrl: edge.url, redisUrl: redis.url, intakePort, env: { PROGRESS_INTERVAL_MS: "250" } });
    stops.push(() => transcoder.stop());

    const sampler = new RssSampler({ edge: edge.pid, transcoder: transcoder.pid }, 100).start();
    stops.push(async () => sampler.stop());
    await sleep(1000);
    const idle = { edgeMiB: mib(sampler.peak("edge").total), transcoderMiB: mib(sampler.peak("transcoder").total) };
    const admin = new AdminClient(edge.url, BENCH_ADMIN_TOKEN);
    const ctx = { edgeUrl: edge.url, admin, sampler, stateDir: path.join(work, "upload-state"), log };

    // The largest object a signed PUT may store whole (edge/jobs/urls.ts: 512 MiB), or the large file's size.
    const blobBytes = Math.min(512 * 2 ** 20, opts.bytes);
    log(`  control: one ${(blobBytes / 2 ** 20).toFixed(0)} MiB object stored whole, then read back`);
    const singleBlob = await singleBlobControl(edge.url, sampler, work, blobBytes, control);

    log(`  small file (${(small.bytes / 2 ** 20).toFixed(0)} MiB, ${small.seconds} s clip)`);
    const smallFigures = await transfer(small, ctx);
    rmSync(small.file, { force: true });
    log(`  large file (${(large.bytes / 2 ** 20).toFixed(0)} MiB, ${large.seconds} s clip)`);
    const largeFigures = await transfer(large, ctx);
    await sleep(2000);
    sampler.stop();
    const { completeEnd, downloaded } = largeFigures.at;

    return {
      idle,
      singleBlob,
      multipartDownload: around(sampler, completeEnd, downloaded, Math.min(downloaded + 2000, largeFigures.at.transcoded)),
      small: smallFigures,
      large: largeFigures,
      largeOverSmall: {
        edgeUpload: round3(largeFigures.upload.edge.peakMiB / smallFigures.upload.edge.peakMiB),
        edgeDownload: round3(largeFigures.download.edgePeakMiB / smallFigures.download.edgePeakMiB),
        transcoderDownload: round3(largeFigures.download.transcoderPeakMiB / smallFigures.download.transcoderPeakMiB),
        transcoderTranscode: round3(largeFigures.transcode.transcoder.peakMiB / smallFigures.transcode.transcoder.peakMiB),
      },
      samples: sampler.series.edge!.length,
      intervalMs: 100,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e: Error) => log(`  (stopping: ${e.message})`));
    rmSync(work, { recursive: true, force: true });
  }
}
