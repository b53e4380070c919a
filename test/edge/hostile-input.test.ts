// The hostile-input table (issue 7): hundreds of malformed requests across every route, from
// test/support/hostile-cases.ts. For each: never a 5xx, and every 4xx is `{"reason": string}` as JSON.
// Around the whole table: every D1 table (FTS shadow tables included) has the same rows, byte for byte,
// R2 holds the same objects, and nothing reached the Queue. Odd-but-valid search texts answer 200.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../edge/index";
import { signRequest } from "../../schema/signing";
import { type HostileFixtures, type HostileRequest, HOSTILE_CASES, MP4, ODD_SEARCHES, PNG } from "../support/hostile-cases";
import { seedEpisode, seedFilmAd } from "./playback-fixtures";
import { ADMIN_TOKEN, SIGNING_SECRET, adminJson, consumeQueueInTest, createFilm, form, postForm, rows } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

/** Calls the worker with some vars changed and waits for its waitUntil work, so a late write is seen too. */
async function send(r: HostileRequest): Promise<Response> {
  const ctx = createExecutionContext();
  const req = new Request(`https://edge.test${r.path}`, { method: r.method, headers: r.headers, body: r.body ?? undefined });
  const res = await worker.fetch!(req as Request<unknown, IncomingRequestCfProperties>, { ...env, ...r.vars } as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

// ---- state: every table's rows and every object --------------------------------------------------

async function tableNames(): Promise<string[]> {
  // D1's own _cf_ tables cannot be read; everything else is ours (FTS5 shadow tables included).
  const r = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*' ORDER BY name").all<{ name: string }>();
  return r.results.map((t) => t.name);
}

const hexOf = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

async function digest(text: string): Promise<string> {
  return hexOf(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

interface State {
  counts: Record<string, number>;
  /** SHA-256 of each table's rows (sorted), so an UPDATE shows as well as an INSERT or DELETE. */
  contents: Record<string, string>;
  objects: number;
  /** Key, size and etag of every object. */
  objectList: string;
}

async function snapshot(): Promise<State> {
  const counts: Record<string, number> = {};
  const contents: Record<string, string> = {};
  for (const name of await tableNames()) {
    const all = await env.DB.prepare(`SELECT * FROM "${name}"`).all<Record<string, unknown>>();
    counts[name] = all.results.length;
    const lines = all.results.map((row) => JSON.stringify(row, (_, v: unknown) => (v instanceof ArrayBuffer ? hexOf(v) : v))).sort();
    contents[name] = await digest(lines.join("\n"));
  }
  const objects: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.MEDIA.list({ cursor });
    objects.push(...page.objects.map((o) => `${o.key} ${o.size} ${o.etag}`));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { counts, contents, objects: objects.length, objectList: objects.sort().join("\n") };
}

// ---- fixtures: real rows for the cases to aim at ---------------------------------------------------

let fx: HostileFixtures;
let before: State;
let queuedBefore: number;

beforeAll(async () => {
  const filmId = await createFilm({ title: "Hostile target", actors: ["Star Actor"], directors: ["Star Director"] });

  const durations = [6, 6, 6];
  const ready = await seedEpisode({
    renditions: [
      { name: "720p", bandwidth: 2_800_000, durations, segments: true },
      { name: "360p", bandwidth: 800_000, durations, segments: true },
    ],
  });
  const filmAd = await seedFilmAd({ renditions: [{ name: "ad", bandwidth: 1_000_000, durations: [2], segments: true }] });

  const imageAd = await postForm("/api/v1/upload/ad", form({ advertisement_type: "WEB", expired_time: "2099-01-01T00:00:00Z" }, { bytes: PNG() }));
  expect(imageAd.status, await imageAd.clone().text()).toBe(200);
  const imageAdId = ((await imageAd.json()) as { id: string }).id;
  const [imageRow] = await rows<{ asset_key: string }>("SELECT asset_key FROM ads WHERE id = ?", imageAdId);

  const processingFilm = await createFilm({ title: "Hostile processing" });
  const up = await postForm(`/api/v1/upload/media/resource/line1/${processingFilm}/1`, form({}, { bytes: MP4() }));
  expect(up.status, await up.clone().text()).toBe(200);
  const { jobId } = (await up.json()) as { jobId: string };
  await queue.messageFor(jobId);
  const [job] = await rows<{ source_key: string; output_prefix: string }>("SELECT source_key, output_prefix FROM jobs WHERE id = ?", jobId);

  const partSize = 8 * 1024 * 1024;
  const started = await adminJson("/api/v1/admin/uploads", {
    target: { kind: "episode", filmId, route: "line1", episode: "2" },
    size: partSize + 100,
    partSize,
    contentType: "video/mp4",
  });
  expect(started.status, await started.clone().text()).toBe(201);
  const upload = (await started.json()) as { id: string; partCount: number };

  // The ready episode's job, complete (its grants must be dead), and a /urls answered once (its nonce used).
  const now = Date.now();
  await env.DB.prepare("INSERT INTO jobs (id, kind, status, film_id, route, episode, source_key, output_prefix, created_at, updated_at) VALUES (?, 'episode', 'complete', ?, ?, ?, ?, ?, ?, ?)")
    .bind(ready.jobId, ready.filmId, ready.route, ready.episode, `films/${ready.filmId}/episodes/${ready.route}/${ready.episode}/source/${ready.jobId}`, ready.prefix, now, now)
    .run();
  const urlsPath = `/api/v1/internal/jobs/${jobId}/urls`;
  const urlsHeaders = await signRequest(SIGNING_SECRET, "POST", urlsPath, "");
  expect((await send({ method: "POST", path: urlsPath, headers: urlsHeaders })).status).toBe(200);

  fx = {
    adminToken: ADMIN_TOKEN,
    signingSecret: SIGNING_SECRET,
    filmId,
    ready: {
      filmId: ready.filmId,
      route: ready.route,
      episode: ready.episode,
      prefix: ready.prefix,
      rendition: "720p",
      segmentKey: `${ready.prefix}720p/seg_00000.ts`,
      jobId: ready.jobId,
    },
    processing: { filmId: processingFilm, route: "line1", episode: "1", jobId, outputPrefix: job!.output_prefix, sourceKey: job!.source_key },
    filmAdId: filmAd.id,
    filmAdSegmentKey: `${filmAd.prefix}ad/seg_00000.ts`,
    usedUrls: { path: urlsPath, headers: urlsHeaders },
    imageAdKey: imageRow!.asset_key,
    upload: { id: upload.id, partSize, partCount: upload.partCount },
    unknownId: crypto.randomUUID(),
  };
  queuedBefore = queue.received.length;
  before = await snapshot();
});

// ---- the table -------------------------------------------------------------------------------------

/** What came back, as the failure message shows it. */
function shown(res: Response, text: string): string {
  return `${res.status} ${res.headers.get("content-type") ?? "(no content type)"} ${text.slice(0, 300)}`;
}

describe(`hostile input: ${HOSTILE_CASES.length} malformed requests`, () => {
  it("is a table of at least 200 distinct cases", () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(200);
    expect(new Set(HOSTILE_CASES.map((c) => c.name)).size).toBe(HOSTILE_CASES.length);
  });

  for (const c of HOSTILE_CASES) {
    it(c.name, async () => {
      const r = await c.request(fx);
      const res = await send(r);
      const text = r.method === "HEAD" ? "" : await res.text();
      const what = `${r.method} ${r.path.slice(0, 200)} → ${shown(res, text)}`;
      expect(res.status, what).toBeLessThan(500);

      // The URL parser folds dot segments (`%2e%2e` too) before the worker sees the path: the request
      // then reaches another route, which must still refuse it, but maybe with another 4xx.
      const rawPath = r.path.split("?")[0]!;
      const rewritten = new URL(`https://edge.test${r.path}`).pathname !== rawPath;
      if (c.expect === "4xx" || (rewritten && typeof c.expect === "number" && c.expect >= 400)) {
        expect(res.status, what).toBeGreaterThanOrEqual(400);
      } else if (typeof c.expect === "number") {
        expect(res.status, what).toBe(c.expect);
      }

      if (res.status >= 400 && r.method !== "HEAD") {
        expect(res.headers.get("content-type"), what).toMatch(/^application\/json\b/);
        let body: unknown;
        expect(() => (body = JSON.parse(text)), what).not.toThrow();
        expect(Object.keys(body as object), what).toEqual(["reason"]);
        expect(typeof (body as { reason: unknown }).reason, what).toBe("string");
        expect((body as { reason: string }).reason.length, what).toBeGreaterThan(0);
      }
    });
  }

  it("left every table's rows, every R2 object and the Queue as they were", async () => {
    const after = await snapshot();
    expect(Object.keys(after.counts)).toEqual(Object.keys(before.counts));
    expect(after.counts).toEqual(before.counts);
    for (const table of Object.keys(before.contents)) expect(after.contents[table], `rows of ${table}`).toBe(before.contents[table]);
    expect(after.objects).toBe(before.objects);
    expect(after.objectList).toBe(before.objectList);
    expect(queue.received.length).toBe(queuedBefore);
  });
});

describe(`odd but valid search texts: ${ODD_SEARCHES.length} requests answer 200`, () => {
  for (const s of ODD_SEARCHES) {
    it(`${s.name} → 200 with a list`, async () => {
      const res = await send({ method: "GET", path: s.path });
      const text = await res.text();
      expect(res.status, `${s.path.slice(0, 200)} → ${shown(res, text)}`).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json\b/);
      expect(Array.isArray((JSON.parse(text) as { search_films: unknown }).search_films)).toBe(true);
    });
  }

  it("finds the film by an actor's name wrapped in FTS syntax, and the exact name by celebrity", async () => {
    const content = await send({ method: "GET", path: `/api/v1/affair/search/content?content=${encodeURIComponent('"Star Actor" AND title:*')}` });
    const found = (await content.json()) as { search_films: { id: string }[] };
    expect(found.search_films.map((f) => f.id)).toContain(fx.filmId);
    const celebrity = await send({ method: "GET", path: `/api/v1/affair/search/celebrity?content=${encodeURIComponent("Star Actor")}` });
    expect(((await celebrity.json()) as { search_films: { id: string }[] }).search_films.map((f) => f.id)).toEqual([fx.filmId]);
  });
});
