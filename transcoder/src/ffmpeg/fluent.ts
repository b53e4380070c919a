// The one module that runs ffmpeg and ffprobe. fluent-ffmpeg is archived upstream, so it stays
// behind this small surface: if it has to go, only this file changes.
import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import ffmpeg from "fluent-ffmpeg";
import { type FfmpegInvocation, PROTOCOL_WHITELIST } from "../command";
import { abortReason } from "../errors";

export interface Binaries {
  ffmpeg: string;
  ffprobe: string;
}

let current: Binaries | null = null;

/** Every later run uses these binaries (see locate.ts for how they are found). */
export function useBinaries(b: Binaries): void {
  current = b;
  ffmpeg.setFfmpegPath(b.ffmpeg);
  ffmpeg.setFfprobePath(b.ffprobe);
}

function binaries(): Binaries {
  if (!current) throw new Error("ffmpeg binaries not configured: call locateFfmpeg() first");
  return current;
}

function execText(file: string, args: string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  return new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    execFile(
      file,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 0, signal: opts.signal, killSignal: "SIGKILL" },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return reject(new Error(`${file}: not found`));
        if (err && opts.signal?.aborted) return reject(abortReason(opts.signal));
        if (err && err.name === "AbortError") return reject(err);
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : null) : 0;
        resolve({ stdout: String(stdout), stderr: String(stderr), code });
      },
    );
  });
}

/** `ffmpeg -version`'s first line and the names of its encoders, for the start-up check. */
export async function inspectFfmpeg(path: string): Promise<{ version: string; encoders: Set<string> }> {
  const v = await execText(path, ["-hide_banner", "-version"], { timeoutMs: 20_000 });
  if (v.code !== 0) throw new Error(`${path} -version failed: ${v.stderr.trim().slice(0, 300)}`);
  const e = await execText(path, ["-hide_banner", "-encoders"], { timeoutMs: 20_000 });
  if (e.code !== 0) throw new Error(`${path} -encoders failed: ${e.stderr.trim().slice(0, 300)}`);
  const encoders = new Set<string>();
  // Lines look like " V....D libx264   libx264 H.264 / AVC ...".
  for (const line of e.stdout.split("\n")) {
    const m = /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
    if (m) encoders.add(m[1]!);
  }
  return { version: v.stdout.split("\n")[0]?.trim() ?? "", encoders };
}

/** `ffprobe -version`'s first line. */
export async function inspectFfprobe(path: string): Promise<string> {
  const v = await execText(path, ["-hide_banner", "-version"], { timeoutMs: 20_000 });
  if (v.code !== 0) throw new Error(`${path} -version failed: ${v.stderr.trim().slice(0, 300)}`);
  return v.stdout.split("\n")[0]?.trim() ?? "";
}

export class ProbeFailed extends Error {
  override name = "ProbeFailed";
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * ffprobe's JSON for a file. fluent-ffmpeg's own ffprobe() parses the text output into its own
 * shape and drops side data (rotation), so the JSON writer is asked for directly. `demuxers`:
 * the only ones ffprobe may sniff the file as.
 */
export async function probeJson(file: string, signal?: AbortSignal, demuxers?: readonly string[]): Promise<unknown> {
  const args = ["-v", "error", ...PROTOCOL_WHITELIST];
  if (demuxers) args.push("-format_whitelist", demuxers.join(","));
  args.push("-print_format", "json", "-show_format", "-show_streams", file);
  const r = await execText(binaries().ffprobe, args, { timeoutMs: 120_000, signal });
  if (r.code !== 0) throw new ProbeFailed(`ffprobe could not read the source (exit ${r.code})`, r.stderr);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new ProbeFailed("ffprobe wrote no readable JSON", r.stderr);
  }
}

/** One packet of a stream, in seconds: when it starts (pts, else dts) and how long it lasts (0 when unknown). */
export interface PacketTime {
  at: number;
  duration: number;
}

/**
 * Reads every packet of one stream (demuxing, no decoding), in file order, calling `onPacket` for
 * each; `onPacket` returning false stops ffprobe at once. Lines are read as they come, so a file of
 * millions of packets costs no memory.
 */
export function scanPackets(
  file: string,
  o: { demuxer: string; stream: number; signal?: AbortSignal; onPacket: (p: PacketTime) => boolean },
): Promise<{ stopped: boolean }> {
  const args = ["-v", "error", ...PROTOCOL_WHITELIST, "-f", o.demuxer, "-select_streams", String(o.stream)];
  args.push("-show_entries", "packet=pts_time,dts_time,duration_time", "-of", "compact=p=0", file);
  return new Promise((resolve, reject) => {
    const child = spawn(binaries().ffprobe, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stopped = false;
    let stderr = "";
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const onAbort = () => stop();
    if (o.signal?.aborted) stop();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 16_384) stderr += d.toString("utf8");
    });
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (stopped) return;
      const f = Object.fromEntries(line.split("|").map((kv) => kv.split("=", 2) as [string, string]));
      const at = Number(f.pts_time !== "N/A" ? f.pts_time : f.dts_time);
      if (!Number.isFinite(at)) return;
      const d = Number(f.duration_time);
      if (!o.onPacket({ at, duration: Number.isFinite(d) && d > 0 ? d : 0 })) {
        stopped = true;
        lines.close();
        stop();
      }
    });
    child.on("error", (e) => {
      o.signal?.removeEventListener("abort", onAbort);
      reject(e);
    });
    child.on("close", (code) => {
      o.signal?.removeEventListener("abort", onAbort);
      if (o.signal?.aborted) return reject(abortReason(o.signal));
      if (stopped) return resolve({ stopped: true });
      if (code !== 0) return reject(new ProbeFailed(`ffprobe could not read the source's packets (exit ${code})`, stderr));
      resolve({ stopped: false });
    });
  });
}

export interface RunOptions {
  /** Aborting kills ffmpeg (SIGKILL) and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Seconds of output written so far, from `-progress pipe:1`. */
  onProgress?: (outSeconds: number) => void;
  /** How many of the last stderr lines to keep for error reports. */
  stderrLines?: number;
  /**
   * A stderr line that means the run is lost though ffmpeg would go on (it treats decode errors
   * as warnings): ffmpeg is killed and the run fails with that line in its stderr tail.
   */
  failOn?: RegExp;
}

export class FfmpegRunFailed extends Error {
  override name = "FfmpegRunFailed";
  constructor(
    message: string,
    /** The last lines of stderr. */
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

/** Runs one invocation to completion. Resolves with the stderr tail (warnings). */
export function runFfmpeg(inv: FfmpegInvocation, opts: RunOptions = {}): Promise<{ stderrTail: string }> {
  binaries();
  const keep = opts.stderrLines ?? 30;
  const tail: string[] = [];
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const cmd = ffmpeg({ logger: silent, stdoutLines: 1 });
  for (const input of inv.inputs) {
    cmd.input(input.source);
    addOptions((...o) => cmd.inputOptions(...o), input.options);
  }
  addOptions((...o) => cmd.outputOptions(...o), inv.outputOptions);
  cmd.output(inv.output);

  return new Promise((resolve, reject) => {
    let started = false;
    let killed = false;
    const kill = () => {
      killed = true;
      if (started) cmd.kill("SIGKILL");
    };
    const onAbort = () => kill();
    if (opts.signal?.aborted) return reject(abortReason(opts.signal));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => opts.signal?.removeEventListener("abort", onAbort);

    cmd.on("start", () => {
      started = true;
      // fluent prepares (capability checks) before it spawns: an abort may already have come.
      if (killed) return cmd.kill("SIGKILL");
      const proc = (cmd as unknown as { ffmpegProc?: import("node:child_process").ChildProcess }).ffmpegProc;
      let buf = "";
      proc?.stdout?.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          // out_time_us is the muxed output position; "N/A" until the first packet.
          const m = /^out_time_us=(\d+)$/.exec(line);
          if (m && opts.onProgress) opts.onProgress(Number(m[1]) / 1e6);
        }
      });
    });
    let fatal: string | null = null;
    cmd.on("stderr", (line: string) => {
      tail.push(line);
      if (tail.length > keep) tail.shift();
      if (fatal === null && opts.failOn?.test(line)) {
        fatal = line;
        cmd.kill("SIGKILL");
      }
    });
    cmd.on("error", (err: Error) => {
      done();
      if (opts.signal?.aborted) return reject(abortReason(opts.signal));
      if (fatal !== null && !tail.includes(fatal)) tail.push(fatal);
      reject(new FfmpegRunFailed(fatal ?? firstLine(err.message), tail.join("\n")));
    });
    cmd.on("end", () => {
      done();
      if (opts.signal?.aborted) return reject(abortReason(opts.signal));
      if (fatal !== null) return reject(new FfmpegRunFailed(fatal, tail.join("\n")));
      resolve({ stderrTail: tail.join("\n") });
    });
    cmd.run();
  });
}

/**
 * fluent splits a lone "-opt value" string at its space; passing the options as separate
 * arguments turns that off, so values with spaces (-var_stream_map) stay whole.
 */
function addOptions(add: (...o: string[]) => unknown, options: string[]): void {
  if (options.length === 0) return;
  if (options.length === 1) {
    if (options[0]!.includes(" ")) throw new Error(`option "${options[0]}" would be split by fluent-ffmpeg`);
    add(options[0]!);
    return;
  }
  add(...options);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.slice(0, 500);
}
