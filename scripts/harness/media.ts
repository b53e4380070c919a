// Generated media for the demo and the end-to-end tests: short clips from ffmpeg's test sources
// (`-f lavfi`) with a tone, and still images for posters and image ads. Everything is tiny and
// made on the spot, so nothing binary lives in the repository.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const FFMPEG = process.env.FFMPEG_PATH || "ffmpeg";

export interface ClipSpec {
  /** A lavfi video source with its options but without size/rate, e.g. "testsrc2", "mandelbrot". */
  pattern: string;
  /** Tone frequency in Hz (a different one per clip makes them easy to tell apart by ear). */
  tone: number;
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Text burnt into the picture (skipped when this ffmpeg has no fonts for drawtext). */
  label?: string;
  /** Label height as a fraction of the picture's: small ones sit at the bottom, big ones in the middle. */
  labelSize?: number;
  /** A beeping tone instead of a steady one. */
  beep?: boolean;
}

const escapeText = (s: string) => s.replace(/[\\':%]/g, (c) => `\\${c}`);

function ffmpeg(args: string[]) {
  const r = spawnSync(FFMPEG, ["-hide_banner", "-v", "error", "-y", ...args], { encoding: "utf8" });
  return { ok: r.status === 0, error: (r.stderr || r.error?.message || "").trim() };
}

/** Runs with the label drawn; without it when drawtext cannot work here (no font found). */
function withLabel(label: string | undefined, fontSize: number, y: string, build: (labelFilter: string) => string[]) {
  if (label) {
    const text = `,drawtext=text='${escapeText(label)}':fontsize=${fontSize}:fontcolor=white:borderw=3:bordercolor=black:x=(w-tw)/2:y=${y}`;
    const r = ffmpeg(build(text));
    if (r.ok) return;
  }
  const r = ffmpeg(build(""));
  if (!r.ok) throw new Error(`ffmpeg failed: ${r.error}`);
}

/** An H.264/AAC MP4 clip: the pattern, optionally labelled, with a sine tone. */
export function makeClip(out: string, spec: ClipSpec): string {
  const { width = 480, height = 270, fps = 25 } = spec;
  const video = `${spec.pattern}${spec.pattern.includes("=") ? ":" : "="}s=${width}x${height}:r=${fps}`;
  const audio = `sine=frequency=${spec.tone}:sample_rate=44100${spec.beep ? ":beep_factor=4" : ""}`;
  const labelSize = spec.labelSize ?? 0.1;
  withLabel(spec.label, Math.round(height * labelSize), labelSize >= 0.25 ? "(h-th)/2" : "h-th-h/12", (label) => [
    "-f", "lavfi", "-i", `${video}${label}`,
    "-f", "lavfi", "-i", audio,
    "-t", String(spec.seconds),
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-maxrate", "800k", "-bufsize", "1600k",
    "-pix_fmt", "yuv420p", "-g", String(fps),
    "-c:a", "aac", "-b:a", "64k",
    "-shortest", "-movflags", "+faststart", out,
  ]);
  if (!existsSync(out)) throw new Error(`ffmpeg wrote no ${out}`);
  return out;
}

/** A still image (PNG or JPEG by the file's extension) from a lavfi source, optionally labelled. */
export function makeImage(out: string, source: string, width: number, height: number, label?: string): string {
  const input = `${source}${source.includes("=") ? ":" : "="}s=${width}x${height}`;
  withLabel(label, Math.round(Math.min(height / 3, width / Math.max(4, (label?.length ?? 1) * 0.7))), "(h-th)/2", (text) => [
    "-f", "lavfi", "-i", `${input}${text}`,
    "-frames:v", "1", ...(out.endsWith(".jpg") ? ["-q:v", "4"] : []), out,
  ]);
  return out;
}

/** A short, unmistakable FILM ad: red picture with "AD" and a beep. */
export function makeAdClip(out: string, seconds = 2): string {
  return makeClip(out, { pattern: "color=c=0xC8102E", tone: 1000, beep: true, seconds, label: "AD", labelSize: 0.4 });
}
