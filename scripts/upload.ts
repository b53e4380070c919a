// The admins' uploader: a large source through the signed multipart flow, with a progress bar,
// per-part retries and resume of an interrupted upload; then it follows the transcode job.
//
//   npm run upload -- ./film.mp4 --film <id> --route line1 --episode 1 [--state "updated to episode 1"]
//   npm run upload -- ./ad.mp4 --ad FILM --expires 2030-01-01T00:00:00Z
//
// Captions of an episode (WebVTT or SRT, at most 1 MiB; the edge converts SRT and checks every cue):
//   npm run upload -- --captions ./en.srt --lang en [--label English] --film <id> --route line1 --episode 1
//   npm run upload -- --list-captions --film <id> --route line1 --episode 1
//   npm run upload -- --delete-captions en --film <id> --route line1 --episode 1
// They print the edge's answer as JSON; a refusal (4xx) prints the edge's reason and exits 1.
//
// Options: --edge <url> (default http://127.0.0.1:8787, or EDGE_URL), --token <admin token> (or
// ADMIN_TOKEN, default dev-admin-token), --part-size <MiB> (8-64, default 16), --concurrency <n>
// (default 3), --no-wait (do not follow the job), --poll <seconds> (default 2).
// Resume state lives in $UPLOAD_STATE_DIR (default ~/.cache/edge-stream/uploads), one small JSON
// file per (file path, size, mtime, target).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { AdminClient, AdminError, type JobView } from "./harness/admin-client";

const MiB = 1024 * 1024;
const PART_ATTEMPTS = 5;

type Target =
  | { kind: "episode"; filmId: string; route: string; episode: string; state?: string }
  | { kind: "ad"; adType: "FILM"; expiresAt: string };

interface Options {
  file: string;
  target: Target;
  edge: string;
  token: string;
  partSize: number;
  concurrency: number;
  wait: boolean;
  pollMs: number;
  stateDir: string;
}

interface SavedState {
  uploadId: string;
  key: string;
  jobId?: string;
}

interface UploadView {
  id: string;
  key: string;
  status: "open" | "completed";
  size: number;
  partSize: number;
  partCount: number;
  expiresAt: string;
  parts: { number: number; size: number; etag: string }[];
  pending: { number: number; url: string }[];
  jobId?: string;
}

class CliError extends Error {}
class HelpRequested extends Error {}

/** What to do with an episode's captions instead of uploading a video. */
type CaptionsTask =
  | { kind: "put"; file: string; lang: string; label?: string }
  | { kind: "list" }
  | { kind: "delete"; lang: string };

interface CaptionsOptions {
  task: CaptionsTask;
  filmId: string;
  route: string;
  episode: string;
  edge: string;
  token: string;
}

const CONTENT_TYPES: Record<string, string> = {
  ".mp4": "video/mp4",
  ".m4v": "video/mp4",
  ".mov": "video/quicktime",
  ".mkv": "video/x-matroska",
  ".webm": "video/webm",
  ".ts": "video/mp2t",
  ".avi": "video/x-msvideo",
  ".flv": "video/x-flv",
};

function usage(): string {
  return [
    "usage: npm run upload -- <file> --film <id> --route <name> --episode <name> [--state <text>]",
    "       npm run upload -- <file> --ad FILM --expires <RFC 3339 time>",
    "       npm run upload -- --captions <file.vtt|file.srt> --lang <BCP 47 tag> [--label <name>] --film <id> --route <name> --episode <name>",
    "       npm run upload -- --list-captions | --delete-captions <lang>  --film <id> --route <name> --episode <name>",
    "options: --edge <url> --token <admin token> --part-size <MiB> --concurrency <n> --no-wait --poll <s>",
  ].join("\n");
}

const OPTIONS = {
  film: { type: "string" },
  route: { type: "string" },
  episode: { type: "string" },
  state: { type: "string" },
  ad: { type: "string" },
  expires: { type: "string" },
  edge: { type: "string" },
  token: { type: "string" },
  "part-size": { type: "string" },
  concurrency: { type: "string" },
  "no-wait": { type: "boolean" },
  poll: { type: "string" },
  captions: { type: "string" },
  lang: { type: "string" },
  label: { type: "string" },
  "list-captions": { type: "boolean" },
  "delete-captions": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const edgeOf = (value: string | undefined, env: NodeJS.ProcessEnv) => (value ?? env.EDGE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const tokenOf = (value: string | undefined, env: NodeJS.ProcessEnv) => value ?? env.ADMIN_TOKEN ?? "dev-admin-token";

/** The captions options when the arguments ask for a captions task, else null (a video upload). */
export function parseCaptionsOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): CaptionsOptions | null {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const asked = [values.captions !== undefined, values["list-captions"] === true, values["delete-captions"] !== undefined].filter(Boolean).length;
  if (asked === 0) {
    if (values.lang !== undefined || values.label !== undefined) throw new CliError(`--lang and --label go with --captions\n${usage()}`);
    return null;
  }
  if (values.help) throw new HelpRequested(usage());
  if (asked > 1) throw new CliError("one of --captions, --list-captions and --delete-captions, please");
  if (positionals.length > 0) throw new CliError(`--captions takes the caption file; no other file, please\n${usage()}`);
  if (!values.film || !values.route || !values.episode) throw new CliError(`--film, --route and --episode are required\n${usage()}`);
  let task: CaptionsTask;
  if (values.captions !== undefined) {
    if (!values.lang) throw new CliError("--lang: the captions' language, a BCP 47 tag such as en, pt-BR or zh-Hans");
    task = { kind: "put", file: path.resolve(values.captions), lang: values.lang, ...(values.label !== undefined ? { label: values.label } : {}) };
  } else if (values["delete-captions"] !== undefined) {
    task = { kind: "delete", lang: values["delete-captions"] };
  } else {
    task = { kind: "list" };
  }
  return { task, filmId: values.film, route: values.route, episode: values.episode, edge: edgeOf(values.edge, env), token: tokenOf(values.token, env) };
}

/** Runs a captions task; answers the exit code (0 done, 1 the edge refused). */
async function captions(opts: CaptionsOptions): Promise<number> {
  const admin = new AdminClient(opts.edge, opts.token);
  const { task, filmId, route, episode } = opts;
  const where = `${filmId} ${route}/${episode}`;
  try {
    if (task.kind === "put") {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(task.file);
      } catch (e) {
        throw new CliError(`${task.file}: ${(e as Error).message}`);
      }
      const stored = await admin.putCaptions(filmId, route, episode, task.lang, bytes, task.label);
      const { created, ...entry } = stored;
      process.stderr.write(`${created ? "added" : "replaced"} the ${entry.label} (${entry.lang}) captions of ${where}: ${entry.cues} cues from ${entry.format.toUpperCase()}\n`);
      process.stdout.write(`${JSON.stringify({ ...entry, status: created ? "created" : "replaced" })}\n`);
    } else if (task.kind === "list") {
      const list = await admin.listCaptions(filmId, route, episode);
      process.stderr.write(list.length ? list.map((c) => `${c.lang}\t${c.label}\t${c.cues} cues\t${c.bytes} bytes\t${c.updatedAt}\n`).join("") : `no captions on ${where}\n`);
      process.stdout.write(`${JSON.stringify({ captions: list })}\n`);
    } else {
      await admin.deleteCaptions(filmId, route, episode, task.lang);
      process.stderr.write(`deleted the ${task.lang} captions of ${where}\n`);
      process.stdout.write(`${JSON.stringify({ lang: task.lang, status: "deleted" })}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    // The edge's refusal: its reason says what to fix.
    process.stderr.write(`upload: ${e.status} ${e.reason}\n`);
    return 1;
  }
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
  if (values.help) throw new HelpRequested(usage());
  if (positionals.length !== 1) throw new CliError(`one file to upload, please\n${usage()}`);
  let target: Target;
  if (values.ad !== undefined) {
    if (values.ad !== "FILM") throw new CliError("--ad: only FILM ads are transcoded; upload images with POST /api/v1/upload/ad");
    if (!values.expires || Number.isNaN(Date.parse(values.expires))) throw new CliError("--expires: an RFC 3339 time, e.g. 2030-01-01T00:00:00Z");
    target = { kind: "ad", adType: "FILM", expiresAt: values.expires };
  } else {
    if (!values.film || !values.route || !values.episode) throw new CliError(`--film, --route and --episode are required\n${usage()}`);
    target = { kind: "episode", filmId: values.film, route: values.route, episode: values.episode, ...(values.state !== undefined ? { state: values.state } : {}) };
  }
  const partSizeMiB = Number(values["part-size"] ?? 16);
  if (!Number.isInteger(partSizeMiB) || partSizeMiB < 8 || partSizeMiB > 64) throw new CliError("--part-size: whole MiB from 8 to 64");
  const concurrency = Number(values.concurrency ?? 3);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new CliError("--concurrency: 1 to 16");
  return {
    file: path.resolve(positionals[0]!),
    target,
    edge: edgeOf(values.edge, env),
    token: tokenOf(values.token, env),
    partSize: partSizeMiB * MiB,
    concurrency,
    wait: !values["no-wait"],
    pollMs: Math.max(0.2, Number(values.poll ?? 2)) * 1000,
    stateDir: env.UPLOAD_STATE_DIR ?? path.join(homedir(), ".cache", "edge-stream", "uploads"),
  };
}

// ---- progress -------------------------------------------------------------------------------

const fmtMiB = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  constructor(
    private readonly total: number,
    private readonly label: string,
    already = 0,
  ) {
    this.done = already;
  }
  add(n: number) {
    this.done += n;
    this.draw();
  }
  draw(force = false) {
    const now = Date.now();
    if (!force && now - this.lastDraw < 200 && this.done < this.total) return;
    this.lastDraw = now;
    const ratio = this.total === 0 ? 1 : this.done / this.total;
    const width = 30;
    const filled = Math.round(ratio * width);
    const rate = this.done / Math.max(0.001, (now - this.started) / 1000);
    const line = `${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${fmtMiB(this.done)}/${fmtMiB(this.total)} ${fmtMiB(rate)}/s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else process.stderr.write(`${line}\n`);
  }
  end() {
    this.draw(true);
    if (process.stderr.isTTY) process.stderr.write("\n");
  }
}

// ---- HTTP -----------------------------------------------------------------------------------

/** The admin API (scripts/harness/admin-client.ts): every answer, whatever its status. */
const api = <T>(opts: Options, method: string, route: string, body?: object) => new AdminClient(opts.edge, opts.token).request<T>(method, route, body);

function refused(what: string, r: { status: number; json: unknown }): never {
  const reason = (r.json as { reason?: string } | null)?.reason ?? JSON.stringify(r.json);
  throw new CliError(`${what}: ${r.status} ${reason}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- resume state ---------------------------------------------------------------------------

function stateFile(opts: Options, size: number, mtimeMs: number): string {
  const id = createHash("sha256").update(JSON.stringify([opts.file, size, Math.floor(mtimeMs), opts.target, opts.edge])).digest("hex").slice(0, 32);
  return path.join(opts.stateDir, `${id}.json`);
}

function readState(file: string): SavedState | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SavedState;
  } catch {
    return null;
  }
}

function writeState(file: string, state: SavedState) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state));
}

// ---- the upload -----------------------------------------------------------------------------

async function putPart(file: Awaited<ReturnType<typeof open>>, view: { size: number; partSize: number; id: string }, part: { number: number; url: string }, refreshUrl: (n: number) => Promise<string>, progress: Progress) {
  const offset = (part.number - 1) * view.partSize;
  const length = Math.min(view.partSize, view.size - offset);
  const buf = Buffer.alloc(length);
  const { bytesRead } = await file.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new CliError(`the file changed while uploading (part ${part.number} is short)`);
  let url = part.url;
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    try {
      const res = await fetch(url, { method: "PUT", body: buf, headers: { "content-type": "application/octet-stream" } });
      if (res.ok) {
        await res.body?.cancel();
        progress.add(length);
        return;
      }
      failure = `${res.status} ${(await res.text()).slice(0, 200)}`;
      // An expired or refused token: ask for a fresh URL. Other 4xx will not get better.
      if (res.status === 403) url = await refreshUrl(part.number);
      else if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new CliError(`part ${part.number}: ${failure}`);
    } catch (e) {
      if (e instanceof CliError) throw e;
      failure = String(e);
    }
    if (attempt >= PART_ATTEMPTS) throw new CliError(`part ${part.number} failed ${attempt} times; last: ${failure}. Run the same command again to resume.`);
    const delay = Math.min(30_000, 1000 * 2 ** (attempt - 1));
    process.stderr.write(`\npart ${part.number}: ${failure}; retrying in ${delay / 1000}s\n`);
    await sleep(delay);
  }
}

interface Uploaded {
  uploadId: string;
  key: string;
  jobId: string;
  adId?: string;
  /** The resume file, removed once the job is over. */
  stateAt: string;
}

async function upload(opts: Options): Promise<Uploaded> {
  const stat = statSync(opts.file);
  if (!stat.isFile() || stat.size === 0) throw new CliError(`${opts.file}: not a non-empty file`);
  const stateAt = stateFile(opts, stat.size, stat.mtimeMs);
  const saved = readState(stateAt);

  let view: UploadView | null = null;
  if (saved) {
    const r = await api<UploadView>(opts, "GET", `/api/v1/admin/uploads/${saved.uploadId}`);
    if (r.status === 200 && (r.json.status === "completed" || Date.parse(r.json.expiresAt) > Date.now() + 60_000)) {
      view = r.json;
      process.stderr.write(
        view.status === "completed"
          ? `upload ${view.id} is already complete\n`
          : `resuming upload ${view.id}: ${view.parts.length} of ${view.partCount} parts already received\n`,
      );
    } else {
      process.stderr.write(`previous upload ${saved.uploadId} is gone or expired; starting again\n`);
    }
  }
  if (!view) {
    const contentType = CONTENT_TYPES[path.extname(opts.file).toLowerCase()] ?? "application/octet-stream";
    const r = await api<{ id: string }>(opts, "POST", "/api/v1/admin/uploads", { target: opts.target, size: stat.size, contentType, partSize: opts.partSize });
    if (r.status !== 201) refused("starting the upload", r);
    writeState(stateAt, { uploadId: r.json.id, key: "" });
    const v = await api<UploadView>(opts, "GET", `/api/v1/admin/uploads/${r.json.id}`);
    if (v.status !== 200) refused("reading the upload", v);
    view = v.json;
    writeState(stateAt, { uploadId: view.id, key: view.key });
    process.stderr.write(`upload ${view.id}: ${fmtMiB(view.size)} in ${view.partCount} parts of ${fmtMiB(view.partSize)} → ${view.key}\n`);
  }

  if (view.status === "open") {
    const current = view;
    const receivedBytes = current.parts.reduce((n, p) => n + p.size, 0);
    const progress = new Progress(current.size, "upload", receivedBytes);
    progress.draw(true);
    const refreshUrl = async (n: number) => {
      const r = await api<UploadView>(opts, "GET", `/api/v1/admin/uploads/${current.id}`);
      if (r.status !== 200) refused("refreshing part URLs", r);
      const fresh = r.json.pending.find((p) => p.number === n);
      if (!fresh) throw new CliError(`part ${n} has no fresh URL (upload ${r.json.status})`);
      return fresh.url;
    };
    const queue = [...current.pending];
    const fh = await open(opts.file, "r");
    try {
      await Promise.all(
        Array.from({ length: Math.min(opts.concurrency, queue.length) }, async () => {
          for (let part = queue.shift(); part; part = queue.shift()) await putPart(fh, current, part, refreshUrl, progress);
        }),
      );
    } finally {
      await fh.close();
    }
    progress.end();
  }

  const done = await api<{ id: string; key: string; jobId: string; adId?: string }>(opts, "POST", `/api/v1/admin/uploads/${view.id}/complete`);
  if (done.status !== 200) {
    if (done.status === 415 || done.status === 404) rmSync(stateAt, { force: true });
    refused("completing the upload", done);
  }
  writeState(stateAt, { uploadId: view.id, key: done.json.key, jobId: done.json.jobId });
  process.stderr.write(`uploaded ${done.json.key}; transcode job ${done.json.jobId} queued\n`);
  return { uploadId: view.id, key: done.json.key, jobId: done.json.jobId, ...(done.json.adId ? { adId: done.json.adId } : {}), stateAt };
}

async function follow(opts: Options, jobId: string): Promise<JobView> {
  const progress = new Progress(1000, "transcode");
  let shown = 0;
  const job = await new AdminClient(opts.edge, opts.token).followJob(jobId, {
    pollMs: opts.pollMs,
    timeoutMs: Infinity,
    onPoll: (j) => {
      const now = Math.round(j.progress * 1000);
      if (now > shown) {
        progress.add(now - shown);
        shown = now;
      }
    },
  });
  progress.end();
  return job;
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  try {
    const captionsOpts = parseCaptionsOptions(argv);
    if (captionsOpts) return await captions(captionsOpts);
    const opts = parseOptions(argv);
    const result = await upload(opts);
    const { stateAt, ...summary } = result;
    if (!opts.wait) {
      process.stdout.write(`${JSON.stringify({ ...summary, status: "queued" })}\n`);
      return 0;
    }
    const job = await follow(opts, result.jobId);
    rmSync(stateAt, { force: true });
    process.stdout.write(`${JSON.stringify({ ...summary, status: job.status, attempts: job.attempts, error: job.error })}\n`);
    return job.status === "complete" ? 0 : 1;
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(`${e.message}\n`);
      return 0;
    }
    process.stderr.write(`\nupload: ${e instanceof CliError || e instanceof AdminError ? e.message : String(e)}\n`);
    return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().then((code) => process.exit(code));
}
