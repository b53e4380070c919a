// A source file on disk → an HLS ladder and a poster frame in a local directory. No network: the
// worker downloads before and uploads after.
import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Rendition } from "../../schema/jobs";
import {
  MASTER_PLAYLIST,
  POSTER_FRAME,
  STORYBOARD_SPRITE_PATTERN,
  STORYBOARD_VTT,
  type SegmentFormat,
  alternateDir,
  initSegment,
  renditionPlaylist,
  storyboardSprite,
} from "../../schema/keys";
import { buildHlsCommand, buildPosterCommand, buildStoryboardCommand } from "./command";
import { FfmpegError, SourceLimitError, UnsupportedInputError } from "./errors";
import { FfmpegRunFailed, ProbeFailed, probeJson, runFfmpeg, scanPackets } from "./ffmpeg/fluent";
import { type PlannedRung, type Rung, planLadder } from "./ladder";
import { log } from "./log";
import { measureBandwidth, readMasterPlaylist, readMediaPlaylist, writeMasterPlaylist } from "./playlists";
import { ALLOWED_DEMUXERS, DEFAULT_SOURCE_LIMITS, type SourceInfo, type SourceLimits, parseProbe } from "./probe";

export interface TranscodeSettings {
  ladder: Rung[];
  segmentSeconds: number;
  preset: string;
  silentAudio: boolean;
  /** Where the poster frame is taken, as a fraction of the duration. */
  posterAt: number;
  posterHeight: number;
  /** Default: DEFAULT_SOURCE_LIMITS (the configuration's defaults). */
  limits?: SourceLimits;
  /** The ladder's container (default ts). */
  segmentFormat?: SegmentFormat;
  /**
   * Also make the ladder in the other container, under alternateDir(): an ad, so it can be spliced into
   * content of either kind (a playlist cannot switch between MPEG-TS and fMP4 segments).
   */
  bothContainers?: boolean;
  /** Seek previews: one thumbnail `width` wide every `interval` seconds (none when absent). */
  storyboard?: { interval: number; width: number };
}

export interface RenditionOutput {
  rendition: Rendition;
  /** Paths relative to the output directory, in playback order (an fMP4 rendition's init segment first). */
  segments: string[];
  segmentDurations: number[];
}

export interface TranscodeResult {
  source: SourceInfo;
  rungs: PlannedRung[];
  /** The ladder the master lists. */
  renditions: RenditionOutput[];
  /** The same ladder in the other container (bothContainers), not in the master. */
  alternates: RenditionOutput[];
  /** Relative paths. */
  master: string;
  poster?: string;
  /** The storyboard's WebVTT track and its sprite sheets, relative paths. */
  storyboard?: { vtt: string; sprites: string[] };
  duration: number;
  /** Segments per rendition (every rendition has the same, keyframes being aligned). */
  segmentCount: number;
  /** ffmpeg's warnings, for the logs. */
  warnings: string;
}

// Messages of ffmpeg/ffprobe that mean the input itself is bad, so retrying cannot help.
const BAD_INPUT = [
  /Invalid data found when processing input/i,
  /moov atom not found/i,
  /could not find codec parameters/i,
  /Decoder \(codec [^)]*\) not found/i,
  /unsupported codec/i,
  /no decoder/i,
  /Error while decoding stream/i,
  /corrupt/i,
  /EBML header parsing failed/i,
  /Invalid NAL unit size/i,
  /does not contain any stream/i,
];

export function looksLikeBadInput(stderr: string): boolean {
  return BAD_INPUT.some((re) => re.test(stderr));
}

/** The decoder's own refusal of a frame over `-max_pixels` (the size changed mid-stream). */
const OVER_MAX_PIXELS = /exceeds specified max pixel count/i;

/**
 * Room for the decoder's padding (H.264 codes 1920x1080 as 1920x1088 and more): the exact cap is
 * checked on the probed size; the decoder's limit only stops a stream that grows far past it.
 */
export const decoderMaxPixels = (l: SourceLimits) => Math.min(2 ** 31 - 1, l.maxFramePixels * 2);

/**
 * Probes the source (sniffed only among ALLOWED_DEMUXERS, local files only), checks the frame size,
 * then measures the video stream by reading its packets: the duration and frame rate returned are
 * what the stream holds, whatever the container claims. Over a limit → SourceLimitError.
 */
export async function probeSource(file: string, signal?: AbortSignal, limits: SourceLimits = DEFAULT_SOURCE_LIMITS): Promise<SourceInfo> {
  let json: unknown;
  try {
    json = await probeJson(file, signal, ALLOWED_DEMUXERS);
  } catch (e) {
    if (e instanceof ProbeFailed) {
      // ffprobe reading our own local file fails only when the file is not a media file we can read.
      throw new UnsupportedInputError(`the source is not a readable video in an accepted container: ${lastLine(e.stderr) || e.message}`, tail(e.stderr));
    }
    throw e;
  }
  const info = parseProbe(json);
  if (!info.demuxer) throw new UnsupportedInputError(`the source's container (${info.formatName}) is not one we transcode`);
  const pixels = info.width * info.height;
  if (pixels > limits.maxFramePixels) {
    throw new SourceLimitError(`the source's frames are ${info.width}x${info.height} (${pixels} pixels), over MAX_FRAME_PIXELS (${limits.maxFramePixels})`);
  }
  const measured = await measureVideo(file, info, limits, signal);
  if (measured.fps > limits.maxFrameRate) {
    throw new SourceLimitError(`the source's video runs at ${measured.fps.toFixed(1)} frames per second, over MAX_FRAME_RATE (${limits.maxFrameRate})`);
  }
  if (Math.abs(measured.duration - info.duration) > 1) {
    log.warn(`the source claims ${info.duration}s; its video stream lasts ${measured.duration}s (used)`);
  }
  return { ...info, duration: measured.duration, fps: measured.fps };
}

/** The video stream's real span and packet rate, read from its packets (demuxed, not decoded). */
async function measureVideo(file: string, info: SourceInfo, limits: SourceLimits, signal?: AbortSignal): Promise<{ duration: number; fps: number }> {
  let first = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let packets = 0;
  // Enough packets for the longest allowed stream at the highest allowed rate; a flood stops here.
  const maxPackets = Math.ceil(limits.maxDurationSeconds * limits.maxFrameRate) + 100;
  let over: SourceLimitError | null = null;
  try {
    await scanPackets(file, {
      demuxer: info.demuxer!,
      stream: info.videoStream,
      signal,
      onPacket: (p) => {
        packets++;
        first = Math.min(first, p.at);
        end = Math.max(end, p.at + p.duration);
        if (end - first > limits.maxDurationSeconds) {
          over = new SourceLimitError(`the source's video stream lasts more than MAX_DURATION_SECONDS (${limits.maxDurationSeconds} s)`);
        } else if (packets > maxPackets) {
          over = new SourceLimitError(`the source's video stream has more than ${maxPackets} frames, over MAX_DURATION_SECONDS × MAX_FRAME_RATE`);
        }
        return over === null;
      },
    });
  } catch (e) {
    if (e instanceof ProbeFailed) throw new UnsupportedInputError(`the source's video stream cannot be read: ${lastLine(e.stderr) || e.message}`, tail(e.stderr));
    throw e;
  }
  if (over) throw over;
  if (packets === 0) throw new UnsupportedInputError("the source's video stream has no frames");
  // One frame of unknown length: count it as one frame of the declared rate.
  const duration = Math.round(Math.max(end - first, 1 / (info.fps ?? 25)) * 1000) / 1000;
  return { duration, fps: packets / duration };
}

export async function transcodeToHls(p: {
  input: string;
  outputDir: string;
  settings: TranscodeSettings;
  signal?: AbortSignal;
  /** 0..1 of the ffmpeg run. */
  onProgress?: (fraction: number) => void;
}): Promise<TranscodeResult> {
  const { settings: s } = p;
  const limits = s.limits ?? DEFAULT_SOURCE_LIMITS;
  const source = await probeSource(p.input, p.signal, limits);
  const rungs = planLadder(source, s.ladder);

  const format = s.segmentFormat ?? "ts";
  const ladder = (fmt: SegmentFormat, dir: string, onProgress?: (t: number) => void) =>
    runLadder({ input: p.input, outputDir: p.outputDir, dir, format: fmt, source, rungs, settings: s, limits, signal: p.signal, onProgress });
  // With both containers the second run shares the progress bar: each gets half.
  const share = s.bothContainers ? 0.5 : 1;
  const primary = await ladder(format, "", (t) => p.onProgress?.(share * clamp01(t / source.duration)));
  let alternates: RenditionOutput[] = [];
  let warnings = primary.warnings;
  if (s.bothContainers) {
    const other: SegmentFormat = format === "ts" ? "fmp4" : "ts";
    const alt = await ladder(other, alternateDir(other), (t) => p.onProgress?.(share + share * clamp01(t / source.duration)));
    alternates = alt.renditions;
    warnings += alt.warnings;
  }
  const renditions = primary.renditions;
  // Our own master: ffmpeg 5.1 declares BANDWIDTH from the target rates, we measure the real peak.
  await writeFile(path.join(p.outputDir, MASTER_PLAYLIST), writeMasterPlaylist(renditions.map((r) => r.rendition), source.fps));

  const poster = await extractPoster(p.input, p.outputDir, source, s, p.signal);
  const top = renditions[0]!;
  const duration = top.segmentDurations.reduce((a, b) => a + b, 0);
  const storyboard = s.storyboard ? await makeStoryboard(p.input, p.outputDir, source, top.rendition, s.storyboard, s, p.signal) : undefined;
  if (storyboard) for (const r of renditions) r.rendition.storyboard = storyboard.vtt;
  return {
    source,
    rungs,
    renditions,
    alternates,
    master: MASTER_PLAYLIST,
    poster,
    storyboard,
    duration: Math.round(duration * 1000) / 1000,
    segmentCount: top.segmentDurations.length,
    warnings,
  };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * One ffmpeg run of the ladder in one container, into `dir` (relative to outputDir, "" or alternateDir()),
 * and what it wrote, read back: renditions with their measured bandwidth, segments (init segment first).
 */
async function runLadder(p: {
  input: string;
  outputDir: string;
  dir: string;
  format: SegmentFormat;
  source: SourceInfo;
  rungs: PlannedRung[];
  settings: TranscodeSettings;
  limits: SourceLimits;
  signal?: AbortSignal;
  onProgress?: (seconds: number) => void;
}): Promise<{ renditions: RenditionOutput[]; warnings: string }> {
  const { source, settings: s, limits } = p;
  const base = path.join(p.outputDir, p.dir);
  await mkdir(base, { recursive: true });
  const inv = buildHlsCommand({
    input: p.input,
    inputFormat: source.demuxer!,
    maxPixels: decoderMaxPixels(limits),
    outputDir: base,
    rungs: p.rungs,
    source,
    segmentSeconds: s.segmentSeconds,
    preset: s.preset,
    silentAudio: s.silentAudio,
    segmentFormat: p.format,
  });
  let warnings = "";
  try {
    const r = await runFfmpeg(inv, {
      signal: p.signal,
      // ffmpeg only warns and drops the frames: a stream that grew past the cap must fail instead.
      failOn: OVER_MAX_PIXELS,
      onProgress: (t) => p.onProgress?.(t),
    });
    warnings = r.stderrTail;
  } catch (e) {
    if (e instanceof FfmpegRunFailed) {
      if (OVER_MAX_PIXELS.test(e.stderrTail)) {
        throw new SourceLimitError(`a frame of the source is larger than MAX_FRAME_PIXELS (${limits.maxFramePixels}) allows`);
      }
      if (looksLikeBadInput(e.stderrTail)) {
        throw new UnsupportedInputError(`ffmpeg could not decode the source: ${e.message}`, e.stderrTail);
      }
      throw new FfmpegError(`ffmpeg failed: ${e.message}`, e.stderrTail);
    }
    throw e;
  }

  const written = readMasterPlaylist(await readFile(path.join(base, MASTER_PLAYLIST), "utf8"));
  // An alternate ladder is listed by the primary's renditions, not by a master of its own.
  if (p.dir) await rm(path.join(base, MASTER_PLAYLIST), { force: true });
  const renditions: RenditionOutput[] = [];
  for (const rung of p.rungs) {
    const playlist = p.dir + renditionPlaylist(rung.name);
    const media = readMediaPlaylist(await readFile(path.join(p.outputDir, playlist), "utf8"), playlist);
    const init = p.format === "fmp4" ? media.segments[0]?.map?.uri : undefined;
    if (p.format === "fmp4" && init !== p.dir + initSegment(rung.name)) throw new FfmpegError(`rendition ${playlist} has no EXT-X-MAP ${initSegment(rung.name)}`, "");
    const segments = media.segments.map((seg) => seg.uri);
    const sizes = await Promise.all(segments.map(async (rel) => (await stat(path.join(p.outputDir, rel))).size));
    const bw = measureBandwidth(media.segments.map((seg, i) => ({ duration: seg.duration, bytes: sizes[i]! })));
    const declared = written.find((v) => v.uri === renditionPlaylist(rung.name));
    renditions.push({
      rendition: {
        name: rung.name,
        bandwidth: bw.peak,
        averageBandwidth: bw.average,
        width: declared?.width ?? rung.width,
        height: declared?.height ?? rung.height,
        codecs: declared?.codecs ?? (source.hasAudio || s.silentAudio ? "avc1.640028,mp4a.40.2" : "avc1.640028"),
        playlist,
        container: p.format,
      },
      segments: init ? [init, ...segments] : segments,
      segmentDurations: media.segments.map((seg) => seg.duration),
    });
  }
  return { renditions, warnings };
}

/** A frame at ~10 % of the duration. Optional: a failure here costs the poster, not the job. */
async function extractPoster(
  input: string,
  outputDir: string,
  source: SourceInfo,
  s: TranscodeSettings,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const [size] = planLadder(source, [{ name: "poster", height: s.posterHeight, videoKbps: 1000, audioKbps: 64 }]);
  const output = path.join(outputDir, POSTER_FRAME);
  const maxPixels = decoderMaxPixels(s.limits ?? DEFAULT_SOURCE_LIMITS);
  try {
    await runFfmpeg(
      buildPosterCommand({ input, inputFormat: source.demuxer!, maxPixels, output, at: source.duration * s.posterAt, width: size!.width, height: size!.height }),
      { signal },
    );
    const st = await stat(output);
    return st.size > 0 ? POSTER_FRAME : undefined;
  } catch (e) {
    if (signal?.aborted) throw e;
    log.warn(`poster frame failed: ${(e as Error).message}`);
    return undefined;
  }
}

/** Thumbnails per sprite sheet (columns × rows). */
export const STORYBOARD_GRID = { columns: 5, rows: 5 };

const vttTime = (t: number) => {
  const ms = Math.round(t * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${sec.toFixed(3).padStart(6, "0")}`;
};

/** The WebVTT track of a storyboard: cue i covers [i·interval, (i+1)·interval) and points at its tile. */
export function storyboardVtt(p: { count: number; interval: number; duration: number; width: number; height: number; columns: number; rows: number }): string {
  const perSheet = p.columns * p.rows;
  let out = "WEBVTT\n";
  for (let i = 0; i < p.count; i++) {
    const start = i * p.interval;
    const end = Math.min((i + 1) * p.interval, p.duration);
    const at = i % perSheet;
    const x = (at % p.columns) * p.width;
    const y = Math.floor(at / p.columns) * p.height;
    const sprite = path.posix.basename(storyboardSprite(Math.floor(i / perSheet)));
    out += `\n${vttTime(start)} --> ${vttTime(end)}\n${sprite}#xywh=${x},${y},${p.width},${p.height}\n`;
  }
  return out;
}

/** Seek previews (a second ffmpeg pass). Optional: a failure here costs the previews, not the job. */
async function makeStoryboard(
  input: string,
  outputDir: string,
  source: SourceInfo,
  top: Rendition,
  sb: { interval: number; width: number },
  s: TranscodeSettings,
  signal?: AbortSignal,
): Promise<TranscodeResult["storyboard"]> {
  const width = Math.min(sb.width, top.width) & ~1;
  const height = Math.max(2, Math.round((width * top.height) / top.width / 2) * 2);
  const count = Math.max(1, Math.ceil(source.duration / sb.interval - 1e-6));
  const { columns, rows } = STORYBOARD_GRID;
  const sheets = Math.ceil(count / (columns * rows));
  try {
    await mkdir(path.join(outputDir, path.dirname(STORYBOARD_VTT)), { recursive: true });
    await runFfmpeg(
      buildStoryboardCommand({
        input,
        inputFormat: source.demuxer!,
        maxPixels: decoderMaxPixels(s.limits ?? DEFAULT_SOURCE_LIMITS),
        output: path.join(outputDir, STORYBOARD_SPRITE_PATTERN),
        interval: sb.interval,
        width,
        height,
        columns,
        rows,
        duration: source.duration,
      }),
      { signal },
    );
    const sprites = Array.from({ length: sheets }, (_, i) => storyboardSprite(i));
    for (const f of sprites) if (!((await stat(path.join(outputDir, f))).size > 0)) throw new Error(`${f} is empty`);
    // Sheets past the ones the cues name (fps rounding at the very end) are not kept.
    for (const e of await readdir(path.join(outputDir, path.dirname(STORYBOARD_VTT)))) {
      const rel = `${path.dirname(STORYBOARD_VTT)}/${e}`;
      if (rel !== STORYBOARD_VTT && !sprites.includes(rel)) await rm(path.join(outputDir, rel), { force: true });
    }
    await writeFile(path.join(outputDir, STORYBOARD_VTT), storyboardVtt({ count, interval: sb.interval, duration: source.duration, width, height, columns, rows }));
    return { vtt: STORYBOARD_VTT, sprites };
  } catch (e) {
    if (signal?.aborted) throw e;
    log.warn(`storyboard failed: ${(e as Error).message}`);
    await rm(path.join(outputDir, path.dirname(STORYBOARD_VTT)), { recursive: true, force: true });
    return undefined;
  }
}

/** Every file of a result, in upload order: each rendition's segments then its playlist, poster, master last. */
export function uploadOrder(r: TranscodeResult): string[] {
  const files: string[] = [];
  for (const rend of [...r.renditions, ...r.alternates]) files.push(...rend.segments, rend.rendition.playlist);
  if (r.poster) files.push(r.poster);
  if (r.storyboard) files.push(...r.storyboard.sprites, r.storyboard.vtt);
  files.push(r.master);
  return files;
}

/** Files ffmpeg left that no playlist names (none expected); for the logs. */
export async function strayFiles(outputDir: string, r: TranscodeResult): Promise<string[]> {
  const known = new Set([...uploadOrder(r), MASTER_PLAYLIST]);
  const found: string[] = [];
  for (const e of await readdir(outputDir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(outputDir, path.join(e.parentPath, e.name)).split(path.sep).join("/");
    if (!known.has(rel)) found.push(rel);
  }
  return found;
}

function lastLine(s: string): string {
  return s.trim().split("\n").filter(Boolean).pop()?.slice(0, 300) ?? "";
}

function tail(s: string, n = 20): string {
  return s.trim().split("\n").slice(-n).join("\n");
}
