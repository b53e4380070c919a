// The ffmpeg command lines, built as data. Pure: ffmpeg/fluent.ts runs them, tests read them, and the
// bench runs the very same argv by hand.
import path from "node:path";
import { INIT_PATTERN, MASTER_PLAYLIST, type SegmentFormat, renditionPlaylist, segmentPattern } from "../../schema/keys";
import type { PlannedRung } from "./ladder";

/** One ffmpeg run: inputs with their options, then output options and the output. */
export interface FfmpegInvocation {
  inputs: { source: string; options: string[] }[];
  outputOptions: string[];
  output: string;
}

export interface HlsCommandInput {
  input: string;
  /** The demuxer the probe found (from the allow-list in probe.ts); never guessed again by ffmpeg. */
  inputFormat: string;
  /** Largest frame the decoder may allocate, in pixels: a stream that grows mid-way stops there. */
  maxPixels?: number;
  /** Absolute directory; it receives master.m3u8 and one sub-directory per rung. */
  outputDir: string;
  rungs: PlannedRung[];
  source: { hasAudio: boolean; duration: number; fps?: number };
  /** Target segment length in seconds; keyframes are forced on its multiples. */
  segmentSeconds: number;
  /** x264 preset (ultrafast … veryslow). */
  preset: string;
  /**
   * Give a source without audio a silent AAC track, so every rendition (and every ad spliced
   * into it) has the same tracks: players stumble on track changes at discontinuities.
   */
  silentAudio: boolean;
  /** MPEG-TS segments, or fMP4 (CMAF) ones with an initialization segment per rendition (HLS version 7). Default ts. */
  segmentFormat?: SegmentFormat;
}

/** Options that apply to the run as a whole (progress on stdout, warnings and errors on stderr). */
const GLOBAL_OPTIONS = ["-hide_banner", "-nostdin", "-loglevel", "warning", "-nostats", "-progress", "pipe:1"];

/**
 * Local files only: a source is bytes someone uploaded, and a playlist or reference inside it must
 * never make ffmpeg or ffprobe open a URL.
 */
export const PROTOCOL_WHITELIST = ["-protocol_whitelist", "file,pipe"] as const;

/** Input options of every run on a source: no protocol but files, the probed demuxer forced. */
export function sourceInputOptions(format: string, maxPixels?: number): string[] {
  const o = [...PROTOCOL_WHITELIST, "-f", format];
  if (maxPixels) o.push("-max_pixels", String(maxPixels));
  return o;
}

/**
 * One process for the whole ladder: the source is decoded once, `split` feeds one `scale` per rung,
 * every rendition is encoded (H.264 + AAC) with keyframes on segment boundaries so all renditions
 * switch cleanly, and the HLS muxer writes the VOD playlists and the master (`-var_stream_map`).
 */
export function buildHlsCommand(job: HlsCommandInput): FfmpegInvocation {
  const n = job.rungs.length;
  if (n === 0) throw new Error("a ladder needs at least one rung");
  const seg = job.segmentSeconds;
  const withAudio = job.source.hasAudio || job.silentAudio;

  const graph: string[] = [];
  const videoIn = n > 1 ? job.rungs.map((_, i) => `[vs${i}]`) : ["[0:v:0]"];
  if (n > 1) graph.push(`[0:v:0]split=${n}${videoIn.join("")}`);
  job.rungs.forEach((r, i) => {
    // setsar=1: the output has square pixels at the display aspect ratio (anamorphic sources too).
    graph.push(`${videoIn[i]}scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p[v${i}]`);
  });
  if (withAudio) {
    const audioOut = job.rungs.map((_, i) => `[a${i}]`).join("");
    const src = job.source.hasAudio
      ? "[0:a:0]aresample=48000"
      : `anullsrc=channel_layout=stereo:sample_rate=48000,atrim=duration=${round3(job.source.duration)}`;
    graph.push(`${src},asplit=${n}${audioOut}`);
  }

  // GOP = one segment, no scene-cut keyframes: segment boundaries fall on the forced keyframes.
  const gop = Math.max(1, Math.round((job.source.fps ?? 30) * seg));
  const out: string[] = ["-filter_complex", graph.join(";")];
  job.rungs.forEach((_, i) => {
    out.push("-map", `[v${i}]`);
    if (withAudio) out.push("-map", `[a${i}]`);
  });
  out.push("-c:v", "libx264", "-preset", job.preset, "-profile:v", "high");
  job.rungs.forEach((r, i) => {
    out.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${r.maxrateKbps}k`, `-bufsize:v:${i}`, `${r.bufsizeKbps}k`);
  });
  out.push("-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0");
  out.push("-force_key_frames", `expr:gte(t,n_forced*${seg})`);
  if (withAudio) {
    out.push("-c:a", "aac", "-ac", "2", "-ar", "48000");
    job.rungs.forEach((r, i) => out.push(`-b:a:${i}`, `${r.audioKbps}k`));
  }
  // The real length of the video stream (probe.ts measures it): a longer audio track or a container
  // claiming hours cannot stretch the output past it.
  out.push("-t", String(round3(job.source.duration)));
  out.push("-max_muxing_queue_size", "4096");
  out.push(
    "-f", "hls",
    "-hls_time", String(seg),
    "-hls_playlist_type", "vod",
    "-hls_list_size", "0",
    "-hls_flags", "independent_segments",
  );
  const format = job.segmentFormat ?? "ts";
  // ffmpeg 5.1 expands %v in the init file's name only when there are several variant streams.
  const init = n === 1 ? INIT_PATTERN.replace("%v", job.rungs[0]!.name) : INIT_PATTERN;
  if (format === "fmp4") out.push("-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", init);
  else out.push("-hls_segment_type", "mpegts");
  out.push(
    "-hls_segment_filename", path.join(job.outputDir, "%v", segmentPattern(format)),
    "-master_pl_name", MASTER_PLAYLIST,
    "-var_stream_map", job.rungs.map((r, i) => (withAudio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`)).join(" "),
  );
  return {
    inputs: [{ source: job.input, options: [...GLOBAL_OPTIONS, ...sourceInputOptions(job.inputFormat, job.maxPixels)] }],
    outputOptions: out,
    output: path.join(job.outputDir, renditionPlaylist("%v")),
  };
}

/** A JPEG of one frame at `at` seconds, `width`x`height` (display orientation, square pixels). */
export function buildPosterCommand(p: {
  input: string;
  inputFormat: string;
  maxPixels?: number;
  output: string;
  at: number;
  width: number;
  height: number;
}): FfmpegInvocation {
  return {
    // -ss before -i seeks in the demuxer (fast), then decodes to the exact frame.
    inputs: [{ source: p.input, options: [...GLOBAL_OPTIONS, ...sourceInputOptions(p.inputFormat, p.maxPixels), "-ss", String(round3(p.at))] }],
    outputOptions: ["-map", "0:v:0", "-frames:v", "1", "-vf", `scale=${p.width}:${p.height},setsar=1`, "-q:v", "3", "-f", "image2", "-update", "1"],
    output: p.output,
  };
}

/**
 * Seek previews in a second, cheap pass: the source decoded once more, one frame every `interval` seconds
 * scaled to a thumbnail, `columns`×`rows` of them tiled per JPEG sprite sheet (the last sheet padded).
 */
export function buildStoryboardCommand(p: {
  input: string;
  inputFormat: string;
  maxPixels?: number;
  /** An image2 pattern, e.g. …/storyboard/sprite_%03d.jpg (numbered from 0). */
  output: string;
  interval: number;
  width: number;
  height: number;
  columns: number;
  rows: number;
  duration: number;
}): FfmpegInvocation {
  return {
    inputs: [{ source: p.input, options: [...GLOBAL_OPTIONS, ...sourceInputOptions(p.inputFormat, p.maxPixels)] }],
    outputOptions: [
      "-map", "0:v:0", "-an", "-sn", "-dn",
      // The first frame, then the first one at least `interval` later, and so on: unlike fps=1/N, this gives a
      // clip shorter than the interval its one thumbnail.
      "-vf", `select=isnan(prev_selected_t)+gte(t-prev_selected_t\\,${p.interval}),scale=${p.width}:${p.height}:flags=fast_bilinear,setsar=1,tile=${p.columns}x${p.rows}`,
      "-fps_mode", "vfr",
      "-t", String(round3(p.duration)),
      "-q:v", "5", "-f", "image2", "-start_number", "0",
    ],
    output: p.output,
  };
}

/** The exact argv fluent-ffmpeg runs for an invocation (inputs, `-y`, output options, output). */
export function toArgv(inv: FfmpegInvocation): string[] {
  return [...inv.inputs.flatMap((i) => [...i.options, "-i", i.source]), "-y", ...inv.outputOptions, inv.output];
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
