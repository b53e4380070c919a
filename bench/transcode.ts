// Transcoder bench (not a test): on a generated 1080p clip,
//   1. the ladder's realtime factor through the transcoder vs the very same ffmpeg argv run by hand
//      (the overhead of fluent-ffmpeg, probing, poster and playlist work), and
//   2. the one-process ladder (one decode, split + scale) vs one ffmpeg process per rung,
//   3. the ladder in fMP4/CMAF vs MPEG-TS (time and bytes), and the storyboard pass (seek previews) alone.
// Prints a Markdown table and writes bench/out/transcode.json. Figures are ratios within one run.
//   npm run bench:transcode            BENCH_SECONDS=24 BENCH_RUNS=1 BENCH_PRESET=veryfast
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { type FfmpegInvocation, buildHlsCommand, buildStoryboardCommand, toArgv } from "../transcoder/src/command";
import type { SegmentFormat } from "../schema/keys";
import { readdirSync, statSync } from "node:fs";
import { runFfmpeg } from "../transcoder/src/ffmpeg/fluent";
import { locateFfmpeg } from "../transcoder/src/ffmpeg/locate";
import { DEFAULT_LADDER, parseLadder, planLadder } from "../transcoder/src/ladder";
import { type TranscodeSettings, probeSource, transcodeToHls } from "../transcoder/src/transcode";

const OUT = path.join(import.meta.dirname, "out");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 24);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
const PRESET = process.env.BENCH_PRESET ?? "veryfast";
const SEGMENT = 4;

const ffmpeg = await locateFfmpeg();
mkdirSync(OUT, { recursive: true });

// A 1080p30 source with motion and stereo sound. testsrc2 is drawn at 960x540 and scaled up: drawing
// it at 1080p costs more than the encode being measured.
const source = path.join(OUT, `source-1080p-${SECONDS}s.mp4`);
if (!existsSync(source)) {
  console.error(`generating ${path.relative(process.cwd(), source)}…`);
  // Written aside and renamed: a concurrent run never reads a half-written clip.
  const partial = `${source}.${process.pid}.part.mp4`;
  const r = spawnSync(ffmpeg.ffmpeg, [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", `testsrc2=size=960x540:rate=30:duration=${SECONDS},scale=1920:1080:flags=bicubic`,
    "-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-shortest", partial,
  ], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("could not generate the source clip");
  renameSync(partial, source);
}

const info = await probeSource(source);
const ladder = parseLadder(process.env.LADDER || DEFAULT_LADDER);
const rungs = planLadder(info, ladder);
const settings: TranscodeSettings = { ladder, segmentSeconds: SEGMENT, preset: PRESET, silentAudio: true, posterAt: 0.1, posterHeight: 720 };

// Outputs of this run only (another run may be going on beside it).
const WORK = mkdtempSync(path.join(tmpdir(), "bench-transcode-"));

function fresh(name: string): string {
  const dir = path.join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const ladderCommand = (dir: string, only = rungs, segmentFormat: SegmentFormat = "ts"): FfmpegInvocation =>
  buildHlsCommand({ input: source, inputFormat: info.demuxer!, outputDir: dir, rungs: only, source: info, segmentSeconds: SEGMENT, preset: PRESET, silentAudio: true, segmentFormat });

// The transcoder's defaults: one 160-pixel-wide thumbnail every 5 s, 5x5 per sheet.
const STORYBOARD = { interval: 5, width: 160 };
const storyboardCommand = (dir: string): FfmpegInvocation => {
  const top = rungs[0]!;
  const height = Math.round((STORYBOARD.width * top.height) / top.width / 2) * 2;
  return buildStoryboardCommand({
    input: source, inputFormat: info.demuxer!, output: path.join(dir, "sprite_%03d.jpg"), interval: STORYBOARD.interval,
    width: STORYBOARD.width, height, columns: 5, rows: 5, duration: info.duration,
  });
};

/** Bytes of the segments (and init segments) under a directory: what a viewer downloads. */
function mediaBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && /\.(ts|m4s|mp4)$/.test(e.name)) n += statSync(path.join(e.parentPath, e.name)).size;
  }
  return n;
}

/** The argv as it is, spawned directly: the baseline. */
function byHand(inv: FfmpegInvocation): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpeg.ffmpeg, toArgv(inv), { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`))));
  });
}

interface Case {
  key: string;
  label: string;
  run: () => Promise<void>;
}

const cases: Case[] = [
  { key: "hand", label: "ffmpeg by hand: one process, whole ladder (baseline)", run: () => byHand(ladderCommand(fresh("hand"))) },
  { key: "fluent", label: "the same argv through fluent-ffmpeg (ffmpeg/fluent.ts)", run: async () => void (await runFfmpeg(ladderCommand(fresh("fluent")))) },
  {
    key: "transcoder",
    label: "transcodeToHls: probe + ladder + playlists + poster",
    run: async () => void (await transcodeToHls({ input: source, outputDir: fresh("transcoder"), settings })),
  },
  { key: "fmp4", label: "ffmpeg by hand: the same ladder in fMP4/CMAF (SEGMENT_FORMAT=fmp4)", run: () => byHand(ladderCommand(fresh("fmp4"), rungs, "fmp4")) },
  { key: "storyboard", label: "the storyboard pass alone (seek previews: 1 thumbnail / 5 s, 160 px)", run: () => byHand(storyboardCommand(fresh("storyboard"))) },
  {
    key: "perRungSequential",
    label: "one ffmpeg process per rung, one after another",
    run: async () => {
      for (const r of rungs) await byHand(ladderCommand(fresh(`seq-${r.name}`), [r]));
    },
  },
  {
    key: "perRungParallel",
    label: "one ffmpeg process per rung, all at once",
    run: async () => void (await Promise.all(rungs.map((r) => byHand(ladderCommand(fresh(`par-${r.name}`), [r]))))),
  },
];

const times: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.key, []]));
for (let run = 1; run <= RUNS; run++) {
  for (const c of cases) {
    const t0 = performance.now();
    await c.run();
    const secs = (performance.now() - t0) / 1000;
    times[c.key]!.push(secs);
    console.error(`run ${run}/${RUNS}  ${c.label}: ${secs.toFixed(2)} s`);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const wall = Object.fromEntries(cases.map((c) => [c.key, median(times[c.key]!)])) as Record<string, number>;
const base = wall.hand!;
const oneProcess = wall.hand!;

const rows = cases.map((c) => ({
  case: c.label,
  wallSeconds: Number(wall[c.key]!.toFixed(2)),
  realtimeFactor: Number((info.duration / wall[c.key]!).toFixed(2)),
  vsBaseline: Number((wall[c.key]! / base).toFixed(3)),
}));

const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
  ffmpeg: { path: ffmpeg.ffmpeg, version: ffmpeg.version },
  source: { file: path.relative(process.cwd(), source), width: info.width, height: info.height, seconds: info.duration, fps: info.fps },
  ladder: rungs.map((r) => `${r.name} ${r.width}x${r.height} ${r.videoKbps}k`),
  preset: PRESET,
  runs: RUNS,
  rows,
  ratios: {
    transcoderOverFfmpegByHand: Number((wall.transcoder! / base).toFixed(3)),
    fluentOverFfmpegByHand: Number((wall.fluent! / base).toFixed(3)),
    perRungSequentialOverOneProcess: Number((wall.perRungSequential! / oneProcess).toFixed(3)),
    perRungParallelOverOneProcess: Number((wall.perRungParallel! / oneProcess).toFixed(3)),
    fmp4OverTs: Number((wall.fmp4! / base).toFixed(3)),
    storyboardOverLadder: Number((wall.storyboard! / base).toFixed(3)),
  },
  bytes: {
    ts: mediaBytes(path.join(WORK, "hand")),
    fmp4: mediaBytes(path.join(WORK, "fmp4")),
    storyboard: readdirSync(path.join(WORK, "storyboard")).reduce((a, f) => a + statSync(path.join(WORK, "storyboard", f)).size, 0),
    storyboardSheets: readdirSync(path.join(WORK, "storyboard")).length,
  },
  command: displayCommand(),
};
writeFileSync(path.join(OUT, "transcode.json"), JSON.stringify(result, null, 2) + "\n");
rmSync(WORK, { recursive: true, force: true });

console.log(`\nTranscode bench: ${info.width}x${info.height} ${info.duration}s source, ladder ${rungs.map((r) => r.name).join("/")}, preset ${PRESET}, ${cpus().length} CPUs, median of ${RUNS}\n`);
console.log("| case | wall (s) | realtime × | vs baseline |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of rows) console.log(`| ${r.case} | ${r.wallSeconds.toFixed(2)} | ${r.realtimeFactor.toFixed(2)} | ${r.vsBaseline.toFixed(3)} |`);
console.log(`\ntranscoder overhead vs ffmpeg by hand: ${result.ratios.transcoderOverFfmpegByHand}× (fluent alone ${result.ratios.fluentOverFfmpegByHand}×)`);
console.log(`one process per rung vs one-process ladder: ${result.ratios.perRungSequentialOverOneProcess}× sequential, ${result.ratios.perRungParallelOverOneProcess}× parallel`);
console.log(`fMP4 vs MPEG-TS ladder: ${result.ratios.fmp4OverTs}× the time, ${(result.bytes.fmp4 / result.bytes.ts).toFixed(3)}× the bytes; storyboard pass: ${result.ratios.storyboardOverLadder}× the ladder's time`);
console.log(`\ncommand: ${result.command}`);
console.log(`written: ${path.relative(process.cwd(), path.join(OUT, "transcode.json"))}`);

/** The baseline argv with readable paths: the source as `source.mp4`, outputs under `out/`. */
function displayCommand(): string {
  const inv = ladderCommand("out");
  inv.inputs[0]!.source = "source.mp4";
  return `ffmpeg ${toArgv(inv).map(shellQuote).join(" ")}`;
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_\-.,:/=%+@]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}
