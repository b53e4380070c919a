// Reads what the transcode needs out of `ffprobe -print_format json -show_format -show_streams`.
// Pure: the JSON comes from ffmpeg/fluent.ts.
import { UnsupportedInputError } from "./errors";
import type { SourceGeometry } from "./ladder";

/**
 * The containers we transcode (what the edge's magic-byte sniffing lets in): ffprobe's format_name
 * → the demuxer every later run is forced to use. Anything else (playlists, image sequences, raw
 * streams, concat lists…) is refused, whatever the file is called.
 */
export const DEMUXER_OF: Readonly<Record<string, string>> = {
  "mov,mp4,m4a,3gp,3g2,mj2": "mov",
  "matroska,webm": "matroska",
  mpegts: "mpegts",
  avi: "avi",
  flv: "flv",
};
/** The only demuxers ffprobe may sniff a source as. */
export const ALLOWED_DEMUXERS: readonly string[] = Object.values(DEMUXER_OF);

/** What a source may cost (config.ts's MAX_* variables); over one, the job fails for good. */
export interface SourceLimits {
  maxSourceBytes: number;
  maxDurationSeconds: number;
  maxFramePixels: number;
  maxFrameRate: number;
}

export const DEFAULT_SOURCE_LIMITS: Readonly<SourceLimits> = {
  maxSourceBytes: 10 * 1024 ** 3,
  maxDurationSeconds: 6 * 60 * 60,
  maxFramePixels: 4096 * 4096,
  maxFrameRate: 120,
};

export interface SourceInfo extends SourceGeometry {
  /** Seconds: the container's claim here; transcode.ts replaces it with the video stream's measured length. */
  duration: number;
  /** Frames per second, when the container says. */
  fps?: number;
  hasAudio: boolean;
  videoCodec: string;
  formatName: string;
  /** From DEMUXER_OF; undefined for a container we do not accept. */
  demuxer?: string;
  /** Index of the video stream among all streams (for ffprobe -select_streams). */
  videoStream: number;
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
  disposition?: { attached_pic?: number };
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; bit_rate?: string; format_name?: string };
}

function ratio(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const [a, b] = s.split(/[:/]/).map(Number);
  if (a === undefined || !Number.isFinite(a)) return undefined;
  if (b === undefined) return a;
  if (!Number.isFinite(b) || b === 0 || a === 0) return undefined;
  return a / b;
}

function positive(s: string | number | undefined): number | undefined {
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Rotation in degrees from the display matrix (newer ffprobe) or the `rotate` tag (older files). */
function rotationOf(s: ProbeStream): number {
  for (const sd of s.side_data_list ?? []) {
    if (sd.rotation !== undefined && Number.isFinite(Number(sd.rotation))) return Number(sd.rotation);
  }
  const tag = Number(s.tags?.rotate);
  return Number.isFinite(tag) ? tag : 0;
}

/** Throws UnsupportedInputError when there is nothing we can transcode (the job will not be retried). */
export function parseProbe(json: unknown): SourceInfo {
  const p = (json ?? {}) as ProbeJson;
  const streams = p.streams ?? [];
  // Cover art in an audio file is a "video" stream of one picture: not a film.
  const video = streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
  if (!video) throw new UnsupportedInputError("the source has no video stream");
  const width = positive(video.width);
  const height = positive(video.height);
  if (!width || !height) throw new UnsupportedInputError("the source's video stream has no frame size");
  const duration = positive(p.format?.duration) ?? positive(video.duration);
  if (!duration) throw new UnsupportedInputError("the source has no duration (not a finite video file)");
  const fps = ratio(video.avg_frame_rate) ?? ratio(video.r_frame_rate);
  const audio = streams.find((s) => s.codec_type === "audio");
  const videoBps = positive(video.bit_rate);
  const audioBps = audio ? positive(audio.bit_rate) : undefined;
  const totalBps = positive(p.format?.bit_rate);
  // Matroska and friends often give no per-stream bitrate: estimate video from the total.
  const videoKbps = videoBps ? videoBps / 1000 : totalBps ? Math.max(totalBps - (audioBps ?? (audio ? 128_000 : 0)), totalBps * 0.5) / 1000 : undefined;
  return {
    width,
    height,
    rotation: rotationOf(video),
    sampleAspect: ratio(video.sample_aspect_ratio) ?? 1,
    videoKbps: videoKbps ? Math.round(videoKbps) : undefined,
    duration,
    fps: fps && fps > 0 && fps < 1000 ? fps : undefined,
    hasAudio: audio !== undefined,
    videoCodec: video.codec_name ?? "unknown",
    formatName: p.format?.format_name ?? "unknown",
    demuxer: p.format?.format_name && Object.hasOwn(DEMUXER_OF, p.format.format_name) ? DEMUXER_OF[p.format.format_name] : undefined,
    videoStream: video.index ?? streams.indexOf(video),
  };
}
