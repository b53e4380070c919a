// Finds ffmpeg and ffprobe in the order the developer guide gives, then checks the ffmpeg found can
// encode what we make (H.264 with libx264, AAC). A missing encoder is a start-up error, not a
// failure on every job later.
import { accessSync, chmodSync, constants, existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { type Binaries, inspectFfmpeg, inspectFfprobe, useBinaries } from "./fluent";
import { hlsSelfTest } from "./selftest";

export type BinarySource = "env" | "ffmpeg-static" | "system" | "@ffmpeg-installer";

export interface LocatedFfmpeg extends Binaries {
  ffmpegFrom: BinarySource;
  ffprobeFrom: BinarySource;
  version: string;
  ffprobeVersion: string;
}

export const REQUIRED_ENCODERS = ["libx264", "aac"] as const;

const require = createRequire(import.meta.url);

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** npm installs these packages' binaries without running their postinstall `chmod u+x`. */
function makeExecutable(file: string): boolean {
  if (isExecutable(file)) return true;
  try {
    if (!existsSync(file)) return false;
    chmodSync(file, statSync(file).mode | 0o111);
    return isExecutable(file);
  } catch {
    return false;
  }
}

function onPath(name: string, envPath = process.env.PATH ?? ""): string | null {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

function fromPackage(load: () => unknown): string | null {
  try {
    const v = load();
    const file = typeof v === "string" ? v : (v as { path?: unknown } | null)?.path;
    return typeof file === "string" && makeExecutable(file) ? file : null;
  } catch {
    // Optional dependency not installed, or its binary download failed (offline install).
    return null;
  }
}

type Candidate = { from: BinarySource; find: () => string | null };

function ffmpegCandidates(env: NodeJS.ProcessEnv): Candidate[] {
  return [
    { from: "env", find: () => env.FFMPEG_PATH || null },
    { from: "ffmpeg-static", find: () => fromPackage(() => require("ffmpeg-static")) },
    { from: "system", find: () => onPath("ffmpeg", env.PATH) },
    { from: "@ffmpeg-installer", find: () => fromPackage(() => require("@ffmpeg-installer/ffmpeg")) },
  ];
}

function ffprobeCandidates(env: NodeJS.ProcessEnv): Candidate[] {
  return [
    { from: "env", find: () => env.FFPROBE_PATH || null },
    // ffmpeg-static ships no ffprobe.
    { from: "system", find: () => onPath("ffprobe", env.PATH) },
    { from: "@ffmpeg-installer", find: () => fromPackage(() => require("@ffprobe-installer/ffprobe")) },
  ];
}

function first(candidates: Candidate[], what: string): { file: string; from: BinarySource } {
  for (const c of candidates) {
    const file = c.find();
    if (!file) continue;
    if (c.from === "env" && !isExecutable(file)) {
      throw new Error(`${what} from the environment (${file}) is not an executable file`);
    }
    return { file, from: c.from };
  }
  throw new Error(
    `${what} not found: set ${what === "ffmpeg" ? "FFMPEG_PATH" : "FFPROBE_PATH"}, or install it (Debian: apt-get install ffmpeg, or bash scripts/system-deps.sh ffmpeg)`,
  );
}

/**
 * Finds both binaries, checks the encoders, makes them the ones every run uses, and runs a tiny
 * ladder with them (the self-test).
 */
export async function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<LocatedFfmpeg> {
  const f = first(ffmpegCandidates(env), "ffmpeg");
  const p = first(ffprobeCandidates(env), "ffprobe");
  const { version, encoders } = await inspectFfmpeg(f.file);
  const missing = REQUIRED_ENCODERS.filter((e) => !encoders.has(e));
  if (missing.length > 0) {
    throw new Error(
      `${f.file} (found via ${f.from}) lacks the ${missing.join(" and ")} encoder${missing.length > 1 ? "s" : ""}; ` +
        "use an ffmpeg built with libx264 and aac (Debian's ffmpeg has both), e.g. FFMPEG_PATH=/usr/bin/ffmpeg",
    );
  }
  const ffprobeVersion = await inspectFfprobe(p.file);
  const located = { ffmpeg: f.file, ffprobe: p.file, ffmpegFrom: f.from, ffprobeFrom: p.from, version, ffprobeVersion };
  useBinaries(located);
  try {
    await hlsSelfTest();
  } catch (e) {
    throw new Error(
      `${f.file} (found via ${f.from}; ${version}) cannot make our HLS ladder: ${(e as Error).message}\n` +
        "use ffmpeg 5 or newer (Debian's, or FFMPEG_PATH=/path/to/ffmpeg)",
    );
  }
  return located;
}
