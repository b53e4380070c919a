// The transcoder against the real edge, for the pipeline and fault tests (test/e2e): `wrangler dev` (D1,
// R2, Queues, the bridge), an own Redis, and transcoders as child processes (so a test can SIGKILL or
// SIGTERM one mid-job), all from the development harness (scripts/harness/ through ./stack); plus the
// admin calls and R2/D1 inspection these tests share.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import { Miniflare } from "miniflare";
import { AdminClient, type FilmInput } from "../../scripts/harness/admin-client";
import { type JobView, jobIsOver } from "../../schema/jobs";
import * as keys from "../../schema/keys";
import { redisOptions } from "../../transcoder/src/queue";
import { type HostileProxy, startHostileProxy } from "./hostile-proxy";
import { listKeys } from "./hostile-storage";
import {
  type DevEdge,
  type RedisServer,
  ROOT,
  type RunningTranscoder,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_SECRET,
  freePort,
  startEdge,
  startRedis,
  startTestTranscoder,
} from "./stack";

export type { JobView } from "../../schema/jobs";
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

/** `vars`: more edge vars (AD_SERVER_URL, AD_BREAKS …). */
export async function startHarness(opts: { edgeProxy?: boolean; vars?: Record<string, string> } = {}): Promise<Harness> {
  const redis = await startRedis();
  const intakePort = await freePort();
  const intakeUrl = `http://127.0.0.1:${intakePort}`;
  const edgeProxy = opts.edgeProxy ? await startHostileProxy() : undefined;
  let edge: DevEdge;
  try {
    edge = await startEdge({ vars: { TRANSCODER_URL: intakeUrl, ...(edgeProxy ? { PUBLIC_BASE_URL: edgeProxy.url } : {}), ...opts.vars } });
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

export type TranscoderProcess = RunningTranscoder;

/** The transcoder wired to the harness, with short timings for tests; waits until its /healthz answers. */
export function spawnTranscoder(h: Harness, env: Record<string, string> = {}): Promise<TranscoderProcess> {
  return startTestTranscoder({
    edgeUrl: h.edgeProxy?.url ?? h.edge.url,
    redisUrl: h.redis.url,
    intakePort: h.intakePort,
    graceMs: 15_000,
    env: { QUEUE_NAME, LADDER: "720:2800,360:800,240:400", PROGRESS_INTERVAL_MS: "500", JOB_BACKOFF_MS: "1000", ...env },
  });
}

// ---- the admin API (scripts/harness/admin-client.ts) ---------------------------------------------

const adminOf = (h: Harness) => new AdminClient(h.edge.url, TEST_ADMIN_TOKEN);

export function createFilm(h: Harness, title = "Transcoder test"): Promise<string> {
  const film: FilmInput = { title, type: "MOVIE", category: "MOVIE_DRAMA", location: "US", state: "", introduction: "", releaseYear: 2026 };
  return adminOf(h).createFilm(film);
}

/** The seed's multipart upload of an episode source; returns the job id. */
export function uploadEpisode(h: Harness, filmId: string, route: string, episode: string, file: string): Promise<string> {
  return adminOf(h).uploadEpisode(filmId, route, episode, file);
}

export function getJob(h: Harness, id: string): Promise<JobView> {
  return adminOf(h).job(id);
}

export function waitForJob(h: Harness, id: string, until: (j: JobView) => boolean, timeoutMs = 90_000): Promise<JobView> {
  return adminOf(h).followJob(id, { until, timeoutMs, pollMs: 250 });
}

export const finished = jobIsOver;

// ---- R2 ---------------------------------------------------------------------------------------

/**
 * Reads an object from the edge's R2 as stored (no route serves a finished job's raw playlists: the
 * internal route only while the job runs, the media route never), 404 when absent.
 */
export async function readObject(h: Harness, key: string): Promise<Response> {
  const obj = await inspect(h, (s) => s.read(key));
  return obj ? new Response(Buffer.from(obj.bytes), { status: 200, headers: { "content-type": obj.contentType } }) : new Response(null, { status: 404 });
}

export interface EdgeState {
  /** Every key under a prefix in R2, sorted. */
  list(prefix: string): Promise<string[]>;
  /** An object's bytes and the content type it was stored with, or null. */
  read(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
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
      list: (prefix) => listKeys(bucket, prefix),
      async read(key) {
        const obj = await bucket.get(key);
        return obj ? { bytes: new Uint8Array(await obj.arrayBuffer()), contentType: obj.httpMetadata?.contentType ?? "application/octet-stream" } : null;
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

/** A finished episode job's files beside its renditions: the master, the poster frame and the seek previews (one sprite sheet for a short clip). */
export const outputExtras = (prefix: string) => [prefix + keys.MASTER_PLAYLIST, prefix + keys.POSTER_FRAME, prefix + keys.storyboardSprite(0), prefix + keys.STORYBOARD_VTT];
