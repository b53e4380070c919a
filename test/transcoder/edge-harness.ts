// The transcoder against the real edge: `wrangler dev` (D1, R2, Queues, the bridge), an own Redis,
// and the transcoder as child processes (so a test can SIGKILL or SIGTERM one mid-job).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { Miniflare } from "miniflare";
import { signGrant } from "../../schema/signing";
import { redisOptions } from "../../transcoder/src/queue";
import { type HostileProxy, startHostileProxy } from "../support/hostile-proxy";
import { freePort, waitFor } from "../support/ports";
import { type RedisServer, startRedis } from "../support/redis";
import { type DevEdge, ROOT, TEST_ADMIN_TOKEN, TEST_SIGNING_SECRET, startEdge } from "../support/wrangler-dev";

export const QUEUE_NAME = "transcode";

export interface Harness {
  edge: DevEdge;
  redis: RedisServer;
  /** The port the edge's TRANSCODER_URL points at. */
  intakePort: number;
  intakeUrl: string;
  /** BullMQ's view of the queue, for assertions. */
  queue: Queue;
  /**
   * With `startHarness({ edgeProxy: true })`: the one way transcoders reach the edge (their
   * EDGE_URL and the edge's PUBLIC_BASE_URL, which must share an origin), for a test to cut.
   */
  edgeProxy?: HostileProxy;
  stop(): Promise<void>;
}

export async function startHarness(opts: { edgeProxy?: boolean } = {}): Promise<Harness> {
  const redis = await startRedis();
  const intakePort = await freePort();
  const intakeUrl = `http://127.0.0.1:${intakePort}`;
  const edgeProxy = opts.edgeProxy ? await startHostileProxy() : undefined;
  let edge: DevEdge;
  try {
    edge = await startEdge({ vars: { TRANSCODER_URL: intakeUrl, ...(edgeProxy ? { PUBLIC_BASE_URL: edgeProxy.url } : {}) } });
  } catch (e) {
    await edgeProxy?.close();
    await redis.stop();
    throw e;
  }
  if (edgeProxy) edgeProxy.target = edge.url;
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(redis.url) });
  return {
    edge,
    redis,
    intakePort,
    intakeUrl,
    queue,
    edgeProxy,
    async stop() {
      await queue.close().catch(() => {});
      await edge.stop();
      await edgeProxy?.close();
      await redis.stop();
    },
  };
}

export interface TranscoderProcess {
  child: ChildProcess;
  intakeUrl: string;
  tempDir: string;
  logs(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Signals the whole process group (tsx, node, ffmpeg): SIGKILL is a container crash. */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** `tsx transcoder/src/main.ts` wired to the harness; waits until its /healthz answers. */
export async function spawnTranscoder(h: Harness, env: Record<string, string> = {}): Promise<TranscoderProcess> {
  const tempDir = mkdtempSync(path.join(tmpdir(), "transcoder-test-"));
  const port = env.INTAKE_PORT ?? String(h.intakePort);
  let logs = "";
  const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "transcoder/src/main.ts")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      EDGE_URL: h.edgeProxy?.url ?? h.edge.url,
      SIGNING_SECRET: TEST_SIGNING_SECRET,
      REDIS_URL: h.redis.url,
      QUEUE_NAME,
      INTAKE_PORT: port,
      TEMP_DIR: tempDir,
      X264_PRESET: "ultrafast",
      LADDER: "720:2800,360:800,240:400",
      PROGRESS_INTERVAL_MS: "500",
      JOB_BACKOFF_MS: "1000",
      ...env,
    },
  });
  child.stdout!.on("data", (d) => (logs += d));
  child.stderr!.on("data", (d) => (logs += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const signal = (sig: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  const intakeUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      "the transcoder's /healthz",
      async () => {
        if (child.exitCode !== null) throw new Error("exited");
        return (await fetch(`${intakeUrl}/healthz`)).ok;
      },
      60_000,
    );
  } catch (e) {
    signal("SIGKILL");
    throw new Error(`transcoder did not start: ${(e as Error).message}\n${logs}`);
  }
  return {
    child,
    intakeUrl,
    tempDir,
    logs: () => logs,
    exited,
    signal,
    async stop() {
      signal("SIGTERM");
      const t = setTimeout(() => signal("SIGKILL"), 15_000);
      await exited;
      clearTimeout(t);
      // A SIGKILLed group leaves its temp dir: the next worker on it would wipe it at start.
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

// ---- the admin API (bearer token) ----------------------------------------------------------------

/**
 * fetch, sent again when it died writing to a keep-alive socket the edge had closed while idle
 * (EPIPE/ECONNRESET before any answer): the edge never got that request, so a resend is safe.
 */
async function fetchFresh(url: string, init: RequestInit, tries = 3): Promise<Response> {
  for (let n = 1; ; n++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      const code = ((e as Error).cause as { code?: string } | undefined)?.code ?? "";
      if (n >= tries || !["EPIPE", "ECONNRESET", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(code)) throw e;
    }
  }
}

async function admin<T>(h: Harness, method: string, route: string, body?: BodyInit, type?: string): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  if (type) headers["content-type"] = type;
  const res = await fetchFresh(`${h.edge.url}${route}`, { method, headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function createFilm(h: Harness, title = "Transcoder test"): Promise<string> {
  const film = { title, type: "MOVIE", category: "MOVIE_DRAMA", location: "US", state: "", introduction: "", releaseYear: 2026 };
  return (await admin<{ id: string }>(h, "POST", "/api/v1/upload/media/", JSON.stringify(film), "application/json")).id;
}

/** The seed's multipart upload of an episode source; returns the job id. */
export async function uploadEpisode(h: Harness, filmId: string, route: string, episode: string, file: string): Promise<string> {
  const form = new FormData();
  form.set("file", new Blob([readFileSync(file)], { type: "video/mp4" }), path.basename(file));
  return (await admin<{ jobId: string }>(h, "POST", `/api/v1/upload/media/resource/${route}/${filmId}/${episode}`, form)).jobId;
}

export interface JobView {
  id: string;
  status: "queued" | "running" | "complete" | "failed" | "superseded";
  progress: number;
  attempts: number;
  error: string | null;
}

export function getJob(h: Harness, id: string): Promise<JobView> {
  return admin<JobView>(h, "GET", `/api/v1/admin/jobs/${id}`);
}

export async function waitForJob(h: Harness, id: string, done: (j: JobView) => boolean, timeoutMs = 90_000): Promise<JobView> {
  const end = Date.now() + timeoutMs;
  let last: JobView | undefined;
  while (Date.now() < end) {
    last = await getJob(h, id);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${id} did not get there in time; last seen: ${JSON.stringify(last)}`);
}

export const finished = (j: JobView) => j.status === "complete" || j.status === "failed" || j.status === "superseded";

// ---- R2 ---------------------------------------------------------------------------------------

/** Reads an object through the edge's signed GET route (the way the transcoder reads sources). */
export async function readObject(h: Harness, key: string): Promise<Response> {
  const token = await signGrant(TEST_SIGNING_SECRET, { m: "GET", k: key, e: Math.floor(Date.now() / 1000) + 600 });
  return fetch(`${h.edge.url}/api/v1/internal/objects/${key}?token=${encodeURIComponent(token)}`);
}

export interface EdgeState {
  /** Every key under a prefix in R2, sorted. */
  list(prefix: string): Promise<string[]>;
  /** A read-only query of D1. */
  sql<T>(query: string, ...params: unknown[]): Promise<T[]>;
}

/**
 * Looks at the edge's R2 and D1 as `wrangler dev` persists them, through miniflare (the simulator
 * wrangler itself runs): the edge has no R2 listing route, and one miniflare is much quicker than
 * a `wrangler d1 execute` per query.
 */
export async function inspect<T>(h: Harness, look: (state: EdgeState) => Promise<T>): Promise<T> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 204 }) } }",
    r2Buckets: { MEDIA: "edge-stream-media" },
    r2Persist: path.join(h.edge.persistDir, "v3", "r2"),
    d1Databases: { DB: D1_DATABASE_ID },
    d1Persist: path.join(h.edge.persistDir, "v3", "d1"),
  });
  try {
    const bucket = await mf.getR2Bucket("MEDIA");
    const db = await mf.getD1Database("DB");
    return await look({
      async list(prefix) {
        const keys: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await bucket.list({ prefix, cursor });
          keys.push(...page.objects.map((o) => o.key));
          cursor = page.truncated ? page.cursor : undefined;
        } while (cursor);
        return keys.sort();
      },
      async sql<R>(query: string, ...params: unknown[]) {
        return (await db.prepare(query).bind(...params).all<R>()).results;
      },
    });
  } finally {
    await mf.dispose();
  }
}

export const listObjects = (h: Harness, prefix: string) => inspect(h, (s) => s.list(prefix));

/** wrangler.toml's database_id: wrangler dev names the local database after it. */
const D1_DATABASE_ID = /database_id\s*=\s*"([^"]+)"/.exec(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"))![1]!;

/** Pids of the ffmpeg processes whose command line mentions `needle` (e.g. a worker's temp dir). */
export function ffmpegProcesses(needle: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (path.basename(cmd[0] ?? "") === "ffmpeg" && cmd.some((a) => a.includes(needle))) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
