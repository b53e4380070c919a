// Test media, generated with ffmpeg's lavfi sources: tiny, a few seconds, made on demand.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface ClipOptions {
  width?: number;
  height?: number;
  seconds?: number;
  fps?: number;
  audio?: boolean;
  /** Display-matrix rotation written into the MP4 (degrees). */
  rotate?: number;
  /** Container by extension: .mp4 (default), .mkv, .mov. */
  ext?: string;
  /** lavfi video source (default testsrc). */
  pattern?: string;
}

export function ffmpegBin(): string {
  return process.env.FFMPEG_PATH || "ffmpeg";
}

function run(args: string[]): void {
  const r = spawnSync(ffmpegBin(), ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed: ${r.stderr}`);
}

export function makeTempDir(prefix = "clips-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a clip into `dir` and returns its path. */
export function makeClip(dir: string, name: string, o: ClipOptions = {}): string {
  const w = o.width ?? 640;
  const h = o.height ?? 360;
  const secs = o.seconds ?? 4;
  const fps = o.fps ?? 25;
  const file = path.join(dir, `${name}${o.ext ?? ".mp4"}`);
  const args = ["-f", "lavfi", "-i", `${o.pattern ?? "testsrc"}=size=${w}x${h}:rate=${fps}:duration=${secs}`];
  if (o.audio !== false) args.push("-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${secs}`);
  // yuv444p for odd sizes: 4:2:0 cannot hold them, and real odd-sized sources are rarely 4:2:0 anyway.
  const pix = w % 2 || h % 2 ? "yuv444p" : "yuv420p";
  args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix, "-g", String(fps));
  if (o.audio !== false) args.push("-c:a", "aac", "-b:a", "64k", "-shortest");
  const target = o.rotate ? path.join(dir, `${name}.norot${o.ext ?? ".mp4"}`) : file;
  run([...args, target]);
  if (o.rotate) {
    // The mov muxer turns the stream's `rotate` tag into a display matrix (ffmpeg 5.1).
    run(["-i", target, "-c", "copy", "-metadata:s:v:0", `rotate=${o.rotate}`, file]);
    rmSync(target);
  }
  return file;
}

/** A file that starts like an MP4 and then is garbage: what a broken upload looks like. */
export function makeCorruptClip(dir: string, name = "corrupt"): string {
  const good = makeClip(dir, `${name}.src`, { seconds: 2, width: 320, height: 240 });
  const bytes = readFileSync(good);
  // Keep the ftyp box so the edge's magic-byte sniffing accepts it as video, wreck the rest.
  const bad = Buffer.concat([bytes.subarray(0, 32), Buffer.alloc(Math.max(4096, bytes.length - 32), 0x5a)]);
  const file = path.join(dir, `${name}.mp4`);
  writeFileSync(file, bad);
  rmSync(good);
  return file;
}

/**
 * A real `seconds`-long video-only Matroska whose Segment Duration claims `claimSeconds`: what
 * ffprobe reports as the file's duration (the container's word), though the stream holds far less.
 */
export function makeLyingClip(dir: string, name: string, o: { seconds: number; claimSeconds: number; width?: number; height?: number }): string {
  const honest = makeClip(dir, `${name}.honest`, { seconds: o.seconds, width: o.width ?? 160, height: o.height ?? 120, fps: 10, audio: false, ext: ".mkv" });
  const bytes = readFileSync(honest);
  // EBML element 0x4489 (Duration) with an 8-byte float, in TimecodeScale units (ms by default).
  const at = bytes.indexOf(Buffer.from([0x44, 0x89, 0x88]));
  if (at < 0) throw new Error("no 8-byte Duration element in the Matroska file");
  bytes.writeDoubleBE(o.claimSeconds * 1000, at + 3);
  const file = path.join(dir, `${name}.mkv`);
  writeFileSync(file, bytes);
  rmSync(honest);
  return file;
}

/** Runs ffmpeg with these arguments (after -y); for media the options above cannot describe. */
export function ffmpegMake(args: string[]): void {
  run(args);
}
