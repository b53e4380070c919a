// Shared by the admin/upload/jobs/bridge/signing tests: requests as the admin or as the transcoder,
// synthetic files with the right magic bytes, and views of D1 rows and R2 objects.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { JobMessage } from "../../schema/jobs";
import { signGrant, signRequest } from "../../schema/signing";
import worker from "../../edge/index";

export const BASE = "https://edge.test";
export const ADMIN_TOKEN = "test-admin-token";
export const SIGNING_SECRET = "test-signing-secret";
export const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(path.startsWith("http") ? path : `${BASE}${path}`, init);
}

export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return call(path, { ...init, headers: { ...bearer, ...(init.headers as Record<string, string> | undefined) } });
}

export function adminJson(path: string, body: unknown, method = "POST"): Promise<Response> {
  return admin(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** A request signed as the transcoder signs its callbacks. */
export async function signedPost(path: string, body: unknown, opts: { secret?: string; now?: number } = {}): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const headers = await signRequest(opts.secret ?? SIGNING_SECRET, "POST", new URL(path, BASE).pathname, text, opts.now);
  return call(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text });
}

export async function grant(g: Parameters<typeof signGrant>[1], secret = SIGNING_SECRET): Promise<string> {
  return signGrant(secret, g);
}

export const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/**
 * A job row the object routes can check a job grant against (the transcoder's grants live only while
 * their job is queued or running). Returns its id.
 */
export async function liveJob(opts: { sourceKey?: string; outputPrefix?: string; status?: string } = {}): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO jobs (id, kind, status, source_key, output_prefix, created_at, updated_at) VALUES (?, 'episode', ?, ?, ?, ?, ?)",
  )
    .bind(id, opts.status ?? "running", opts.sourceKey ?? `films/${id}/episodes/line1/1/source/${id}`, opts.outputPrefix ?? `films/${id}/episodes/line1/1/hls/${id}/`, now, now)
    .run();
  return id;
}

export async function reasonOf(res: Response, status: number): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["reason"]);
  expect(typeof body.reason).toBe("string");
  return body.reason as string;
}

export const FILM = {
  title: "The Test Film",
  type: "TV_SERIES",
  category: "TV_SERIES_KR_SERIES",
  location: "KR",
  state: "coming soon",
  actors: ["Actor One", "Actor Two"],
  directors: ["Director One"],
  introduction: "An introduction.",
  releaseYear: 2024,
  language: "Korean",
};

export async function createFilm(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await adminJson("/api/v1/upload/media/", { ...FILM, ...overrides });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

// ---- synthetic files: the edge only looks at magic bytes, never decodes ----------------------

function filler(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function withHead(head: number[] | string, size: number, seed = 7): Uint8Array {
  const h = typeof head === "string" ? new TextEncoder().encode(head) : Uint8Array.from(head);
  const out = filler(Math.max(size, h.length), seed);
  out.set(h, 0);
  return out;
}

export const files = {
  /** An MP4: a box size, "ftyp", brand "isom". */
  mp4: (size = 4096, seed = 7) => withHead([0, 0, 0, 0x20, ...new TextEncoder().encode("ftypisom")], size, seed),
  png: (size = 2048) => withHead([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], size),
  jpeg: (size = 2048) => withHead([0xff, 0xd8, 0xff, 0xe0], size),
  gif: (size = 2048) => withHead("GIF89a", size),
  text: (size = 2048) => new TextEncoder().encode("just some text, not a picture or a video\n".repeat(Math.ceil(size / 41)).slice(0, size)),
};

export function form(fields: Record<string, string>, file?: { bytes: Uint8Array; name?: string; type?: string }, fileField = "file"): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append(fileField, new File([file.bytes], file.name ?? "upload.bin", { type: file.type ?? "application/octet-stream" }));
  return fd;
}

export function postForm(path: string, fd: FormData, headers: Record<string, string> = bearer): Promise<Response> {
  return call(path, { method: "POST", body: fd, headers });
}

export async function sha256(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- state ----------------------------------------------------------------------------------

export async function rows<T = Record<string, unknown>>(query: string, ...binds: unknown[]): Promise<T[]> {
  return (await env.DB.prepare(query).bind(...binds).all<T>()).results;
}

export async function count(query: string, ...binds: unknown[]): Promise<number> {
  const r = await env.DB.prepare(query).bind(...binds).first<{ n: number }>();
  return r?.n ?? 0;
}

export async function keysUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.MEDIA.list({ prefix, cursor });
    out.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out.sort();
}

/** Everything a refused request must leave alone for a film: its rows and its objects. */
export async function filmFootprint(filmId: string) {
  return {
    films: await count("SELECT count(*) AS n FROM films WHERE id = ?", filmId),
    film: await rows("SELECT title, state, poster_key, updated_at FROM films WHERE id = ?", filmId),
    people: await count("SELECT count(*) AS n FROM film_people WHERE film_id = ?", filmId),
    episodes: await rows("SELECT route, episode, status, job_id FROM episodes WHERE film_id = ? ORDER BY route, episode", filmId),
    jobs: await rows("SELECT id, status FROM jobs WHERE film_id = ? ORDER BY id", filmId),
    objects: await keysUnder(`films/${filmId}/`),
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- the Queue ------------------------------------------------------------------------------

type QueueHandler = NonNullable<typeof worker.queue>;
const handlers = worker as { queue: QueueHandler };
export const realQueueHandler: QueueHandler = handlers.queue;

/**
 * Takes the worker's place as the consumer of the real Queue: every message the routes send is
 * recorded here (and acked) instead of going to a transcoder that tests do not run.
 */
export function consumeQueueInTest() {
  const received: { queue: string; body: unknown }[] = [];
  handlers.queue = async (batch) => {
    for (const m of batch.messages) {
      received.push({ queue: batch.queue, body: m.body });
      m.ack();
    }
  };
  return {
    received,
    /** The message for a job, once the Queue delivered it; checked against the shared schema. */
    async messageFor(jobId: string): Promise<JobMessage> {
      const hit = await waitFor(`queue message of job ${jobId}`, async () =>
        received.find((m) => (m.body as { jobId?: string } | null)?.jobId === jobId),
      );
      return JobMessage.parse(hit.body);
    },
    restore() {
      handlers.queue = realQueueHandler;
    },
  };
}
