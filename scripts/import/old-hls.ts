// The old worker's HLS as `mc mirror` left it: `<bucket>/<stem>.m3u8` naming `<stem>-<n>.ts` beside it
// (stem = `<film id>-<episode>` or an ad's uuid). Read through the playlist only (a deleted or
// re-uploaded episode leaves strays that share the prefix), renamed to seg_NNNNN.ts, the number kept so
// old segment URLs still find their segment (edge/playback/legacy-media.ts).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export class MissingObject extends Error {}
export class BadHls extends Error {}

export interface OldHls {
  /** import-<16 hex>: the same export lands under the same prefix. */
  version: string;
  /** The playlist to store as index.m3u8. */
  playlist: string;
  segments: Array<{ name: string; file: string; size: number; duration: number }>;
  duration: number;
}

/** Tags of a plain ffmpeg VOD playlist; anything else (keys, maps, byte ranges) is not what the old worker wrote. */
const KEPT_TAGS = /^#(EXTM3U|EXT-X-VERSION|EXT-X-TARGETDURATION|EXT-X-MEDIA-SEQUENCE|EXT-X-PLAYLIST-TYPE|EXT-X-ENDLIST|EXT-X-DISCONTINUITY|EXT-X-ALLOW-CACHE|EXT-X-INDEPENDENT-SEGMENTS|EXTINF)(:|$)/;

export const segmentName = (n: number) => `seg_${String(n).padStart(5, "0")}.ts`;

/** `<minio>/<bucket>/<name>`, refused unless it stays inside `<minio>/<bucket>` (names are data). */
export function objectPath(minio: string, bucket: string, name: string): string {
  const dir = path.resolve(minio, bucket);
  const file = path.resolve(dir, name);
  if (path.dirname(file) !== dir || name.includes("/") || name.includes("\\") || name === "." || name === "..") throw new BadHls(`unsafe object name ${JSON.stringify(name)}`);
  return file;
}

export async function readOldHls(minio: string, bucket: string, stem: string): Promise<OldHls> {
  const playlistName = `${stem}.m3u8`;
  const playlistFile = objectPath(minio, bucket, playlistName);
  let text: string;
  try {
    text = await readFile(playlistFile, "utf8");
  } catch {
    throw new MissingObject(`missing object ${bucket}/${playlistName}`);
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "#EXTM3U") throw new BadHls(`${bucket}/${playlistName}: not an m3u8 playlist`);
  const out: string[] = [];
  const segments: OldHls["segments"] = [];
  let extinf: number | null = null;
  let ended = false;
  const uri = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d{1,9})\\.ts$`);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (!KEPT_TAGS.test(line)) throw new BadHls(`${bucket}/${playlistName}: unexpected tag ${line.slice(0, 40)}`);
      if (line.startsWith("#EXTINF:")) {
        extinf = Number.parseFloat(line.slice(8));
        if (!Number.isFinite(extinf) || extinf <= 0) throw new BadHls(`${bucket}/${playlistName}: bad ${line}`);
      }
      if (line === "#EXT-X-ENDLIST") ended = true;
      out.push(line);
      continue;
    }
    const m = uri.exec(line);
    if (!m || extinf === null) throw new BadHls(`${bucket}/${playlistName}: segment ${JSON.stringify(line.slice(0, 80))} is not ${stem}-<n>.ts`);
    const file = objectPath(minio, bucket, line);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      throw new MissingObject(`missing object ${bucket}/${line}`);
    }
    const name = segmentName(Number(m[1]));
    if (segments.some((s) => s.name === name)) throw new BadHls(`${bucket}/${playlistName}: segment ${line} listed twice`);
    segments.push({ name, file, size, duration: extinf });
    out.push(name);
    extinf = null;
  }
  if (!ended) throw new BadHls(`${bucket}/${playlistName}: incomplete (no #EXT-X-ENDLIST)`);
  if (segments.length === 0) throw new BadHls(`${bucket}/${playlistName}: no segments`);
  const playlist = `${out.join("\n")}\n`;
  const version = `import-${createHash("sha256")
    .update(playlist)
    .update(segments.map((s) => s.size).join(","))
    .digest("hex")
    .slice(0, 16)}`;
  return { version, playlist, segments, duration: segments.reduce((s, x) => s + x.duration, 0) };
}

export interface Rendition {
  bandwidth: number;
  averageBandwidth: number;
  width: number;
  height: number;
  codecs: string;
}

const AVC_PROFILES: Record<string, string> = { "Constrained Baseline": "42E0", Baseline: "4200", Main: "4D40", High: "6400" };

/** What the master playlist advertises, from ffprobe of the first segment (read as MPEG-TS, nothing else). */
export async function probeRendition(hls: OldHls, ffprobe = process.env.FFPROBE_PATH || "ffprobe"): Promise<Rendition> {
  const { stdout } = await run(ffprobe, ["-v", "error", "-f", "mpegts", "-show_streams", "-of", "json", `file:${hls.segments[0]!.file}`], { maxBuffer: 4 * 1024 * 1024 });
  const streams = (JSON.parse(stdout) as { streams?: Array<Record<string, unknown>> }).streams ?? [];
  const video = streams.find((s) => s.codec_type === "video");
  if (!video || typeof video.width !== "number" || typeof video.height !== "number") throw new BadHls("first segment has no video stream");
  const codecs: string[] = [];
  if (video.codec_name === "h264") {
    const profile = AVC_PROFILES[String(video.profile)] ?? "4200";
    const level = typeof video.level === "number" && video.level > 0 ? video.level : 30;
    codecs.push(`avc1.${profile}${level.toString(16).toUpperCase().padStart(2, "0")}`);
  } else {
    throw new BadHls(`video codec ${String(video.codec_name)} is not H.264`);
  }
  const audio = streams.find((s) => s.codec_type === "audio");
  if (audio?.codec_name === "aac") codecs.push(String(audio.profile).startsWith("HE") ? "mp4a.40.5" : "mp4a.40.2");
  else if (audio?.codec_name === "mp3") codecs.push("mp4a.40.34");
  const peak = Math.max(...hls.segments.map((s) => (s.size * 8) / s.duration));
  const average = (hls.segments.reduce((n, s) => n + s.size, 0) * 8) / hls.duration;
  return { bandwidth: Math.ceil(peak), averageBandwidth: Math.ceil(average), width: video.width, height: video.height, codecs: codecs.join(",") };
}
