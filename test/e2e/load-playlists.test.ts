// Load (issue 7): 50 viewers of one episode at once against the real edge (`wrangler dev`), each loading its
// master playlist and then 10 variant playlists concurrently. Every answer is a valid stitched playlist, each
// viewer's variants carry the same ads at the same places (as its signed plan says), and the edge logs no
// error. Loopback only; bounded in count (550 requests) and time (a timeout per request).
//
// Media: a 6 s episode and two 2 s FILM ads, each in two renditions, encoded by ffmpeg from lavfi sources and
// stored through the edge's own signed PUT route (the transcoder's way in), rows inserted with SQL.

import { Agent, request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMasterPlaylist, parseMediaPlaylist } from "../../edge/hls/m3u8";
import { completeJobSql, encodeHlsRendition, runningJobSql, storeDir } from "../support/hls-media";
import { type DevEdge, ROOT, TEST_SIGNING_SECRET, startEdge } from "../support/stack";


const VIEWERS = 50;
const REQUESTS_PER_VIEWER = 10;
const REQUEST_TIMEOUT_MS = 30_000;
const CONTENT_SECONDS = 6;
const AD_SECONDS = 2;

const filmId = crypto.randomUUID();
const jobId = crypto.randomUUID();
const contentPrefix = `films/${filmId}/episodes/line1/1/hls/${jobId}/`;
const ads = [crypto.randomUUID(), crypto.randomUUID()].map((id) => ({ id, job: crypto.randomUUID(), prefix: "" }));
for (const a of ads) a.prefix = `ads/${a.id}/hls/${a.job}/`;

const renditions = [
  { name: "180p", width: 320, height: 180, bandwidth: 450_000, kbps: "300k" },
  { name: "90p", width: 160, height: 90, bandwidth: 220_000, kbps: "120k" },
];

let edge: DevEdge;
let dir: string;

const renditionJson = () =>
  JSON.stringify(renditions.map((r) => ({ name: r.name, bandwidth: r.bandwidth, width: r.width, height: r.height, codecs: "avc1.42c00d,mp4a.40.2", playlist: `${r.name}/index.m3u8` })));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "load-playlists-"));
  // allSettled: if an encode fails, the edge is still assigned, so afterAll can stop it.
  const settled = await Promise.allSettled([
    startEdge().then((e) => (edge = e)),
    ...renditions.map((r) => encodeHlsRendition(path.join(dir, "content", r.name), r, "testsrc2", CONTENT_SECONDS, 2)),
    ...renditions.map((r) => encodeHlsRendition(path.join(dir, "ad", r.name), r, "color=c=red", AD_SECONDS, 1)),
  ]);
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  edge.sql(runningJobSql(jobId, contentPrefix) + ads.map((a) => runningJobSql(a.job, a.prefix)).join(""));
  await storeDir(edge.url, TEST_SIGNING_SECRET, path.join(dir, "content"), contentPrefix, jobId);
  for (const a of ads) await storeDir(edge.url, TEST_SIGNING_SECRET, path.join(dir, "ad"), a.prefix, a.job);
  const now = Date.now();
  edge.sql(
    completeJobSql(jobId) +
      ads.map((a) => completeJobSql(a.job)).join("") +
    `INSERT INTO films (id, title, type, category, location, created_at, updated_at) VALUES ('${filmId}', 'load film', 'MOVIE', 'MOVIE_DRAMA', 'US', ${now}, ${now});` +
      "INSERT INTO episodes (film_id, route, episode, status, job_id, hls_prefix, master_key, duration, renditions, created_at, updated_at) VALUES " +
      `('${filmId}', 'line1', '1', 'ready', '${jobId}', '${contentPrefix}', '${contentPrefix}master.m3u8', ${CONTENT_SECONDS}, '${renditionJson()}', ${now}, ${now});` +
      ads
        .map(
          (a) =>
            "INSERT INTO ads (id, type, status, asset_key, hls_prefix, job_id, duration, renditions, expires_at, created_at) VALUES " +
            `('${a.id}', 'FILM', 'ready', '${a.prefix}master.m3u8', '${a.prefix}', '${a.job}', ${AD_SECONDS}, '${renditionJson()}', ${now + 86_400_000}, ${now});`,
        )
        .join(""),
  );
}, 240_000);

afterAll(async () => {
  // Kept as a test artifact (test-results/ is not committed): what the edge said during the run.
  if (edge) {
    mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
    writeFileSync(path.join(ROOT, "test-results", "load-playlists-edge.log"), edge.logs());
  }
  pool?.destroy();
  await edge?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  type: string | null;
  text: string;
  ms: number;
}

/**
 * The viewers' HTTP client: a pool of kept-alive connections, fresh for the load (so no socket idles long
 * enough for the dev server to close it under us). Bounded, because `wrangler dev` itself starts resetting
 * connections when a few hundred are opened at once (seen at 300 on this 2-core machine, with any route):
 * a limit of the local dev server, not of the Worker. The 500 requests are still all issued at once.
 */
const POOL_SOCKETS = 50;
let pool: Agent;

function fetchText(url: string, method: "GET" | "HEAD" = "GET"): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: pool, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"] ?? null, text, ms: performance.now() - started }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The ad plan signed into a variant URI: [ad id, seconds] per break (read, not verified: the edge verifies). */
function planOf(uri: string): Array<[string, number]> {
  const payload = new URL(uri).searchParams.get("plan")!.split(".")[0]!;
  return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { b: Array<[string, number]> }).b;
}

/**
 * Where the ads sit in a stitched variant, read from its raw lines: for each ad segment, its index among all
 * segments, its ad id and duration. Two variants of one viewer must give the same list (RFC 8216 §6.2.4).
 */
function adLayout(text: string): { layout: string[]; targetDuration: number } {
  const lines = text.split("\n");
  const layout: string[] = [];
  let index = 0;
  let duration = 0;
  for (const line of lines) {
    if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice("#EXTINF:".length));
    else if (line && !line.startsWith("#")) {
      const ad = /\/media\/ads\/([^/]+)\//.exec(line)?.[1];
      if (ad) layout.push(`${index}:${ad}:${duration.toFixed(3)}`);
      index++;
    }
  }
  const targetDuration = Number(/^#EXT-X-TARGETDURATION:(\d+)$/m.exec(text)?.[1]);
  return { layout, targetDuration };
}

/** The checks of one stitched variant playlist against the spec rules and our URL layout. */
function checkVariant(text: string, where: string) {
  const pl = parseMediaPlaylist(text, "variant/index.m3u8");
  expect(pl.endList, where).toBe(true);
  expect(text.startsWith("#EXTM3U\n"), where).toBe(true);
  expect(pl.segments.length, where).toBe(3 + 2 * 2);
  for (const s of pl.segments) {
    expect(Math.round(s.duration), where).toBeLessThanOrEqual(pl.targetDuration);
    expect(s.uri.startsWith(`${edge.url}/api/v1/resource/media/`), `${where}: ${s.uri}`).toBe(true);
  }
  const total = pl.segments.reduce((a, s) => a + s.duration, 0);
  expect(Math.abs(total - (CONTENT_SECONDS + 2 * AD_SECONDS)), where).toBeLessThan(0.3);
  // Two mid-rolls: a discontinuity into each ad and one back into the content.
  expect(text.match(/^#EXT-X-DISCONTINUITY$/gm)?.length, where).toBe(4);
  expect(text.match(/^#EXT-X-CUE-OUT:DURATION=/gm)?.length, where).toBe(2);
  expect(text.match(/^#EXT-X-CUE-IN$/gm)?.length, where).toBe(2);
  return pl.segments.map((s) => s.uri);
}

describe(`load: ${VIEWERS} viewers × ${REQUESTS_PER_VIEWER} concurrent variant playlist requests`, () => {
  it("answers every master and variant 200 and valid, each viewer's variants alike, with no error logged", async () => {
    const logStart = edge.logs().length;
    pool = new Agent({ keepAlive: true, maxSockets: POOL_SOCKETS });
    const masterUrl = `${edge.url}/api/v1/resource/media_list/line1/${filmId}/1`;
    const started = performance.now();

    const viewers = await Promise.all(
      Array.from({ length: VIEWERS }, async (_, v) => {
        const master = await fetchText(masterUrl);
        if (master.status !== 200) return { v, master, variants: [] as Array<Answer & { uri: string }>, uris: [] as string[] };
        const uris = parseMasterPlaylist(master.text).variants.map((x) => x.uri);
        const variants = await Promise.all(
          Array.from({ length: REQUESTS_PER_VIEWER }, async (_, i) => {
            const uri = uris[i % uris.length]!;
            return { ...(await fetchText(uri)), uri };
          }),
        );
        return { v, master, variants, uris };
      }),
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- the edge's log since the load began (tail) ---\n${edge.logs().slice(logStart).slice(-6000)}`);
    });
    const seconds = (performance.now() - started) / 1000;

    const segmentUris = new Set<string>();
    const orders = new Set<string>();
    for (const { v, master, variants, uris } of viewers) {
      expect(master.status, `viewer ${v} master: ${master.text.slice(0, 300)}`).toBe(200);
      expect(master.type).toBe("application/vnd.apple.mpegurl");
      expect(uris.map((u) => new URL(u).pathname.split("/").at(-1))).toEqual(["180p.m3u8", "90p.m3u8"]);
      const plan = planOf(uris[0]!);
      for (const u of uris) expect(planOf(u), `viewer ${v}: one plan in every variant URI`).toEqual(plan);
      expect(plan.map(([id]) => id).sort(), `viewer ${v}: a different ad at each break`).toEqual(ads.map((a) => a.id).sort());
      orders.add(plan.map(([id]) => id).join(","));

      expect(variants).toHaveLength(REQUESTS_PER_VIEWER);
      const layouts = new Set<string>();
      const targets = new Set<number>();
      for (const [i, res] of variants.entries()) {
        const where = `viewer ${v} request ${i} (${new URL(res.uri).pathname.split("/").at(-1)})`;
        expect(res.status, `${where}: ${res.text.slice(0, 300)}`).toBe(200);
        expect(res.type, where).toBe("application/vnd.apple.mpegurl");
        // An ad's first segment carries this viewer's impression token: the object is the same for all.
        for (const u of checkVariant(res.text, where)) {
          const url = new URL(u);
          url.searchParams.delete("imp");
          segmentUris.add(url.toString());
        }
        const { layout, targetDuration } = adLayout(res.text);
        layouts.add(layout.join(" "));
        targets.add(targetDuration);
        // The ads come in the plan's order, each as long as the ad.
        expect([...new Set(layout.map((l) => l.split(":")[1]))], where).toEqual(plan.map(([id]) => id));
      }
      expect([...layouts], `viewer ${v}: every variant has the same ads at the same places`).toHaveLength(1);
      expect([...targets], `viewer ${v}: one target duration across variants`).toHaveLength(1);
    }
    // Random plans: both orders of the two ads show up among 50 viewers (chance of not: 2^-49).
    expect(orders.size).toBe(2);

    // Everything the playlists point at exists.
    for (const uri of segmentUris) {
      const res = await fetchText(uri, "HEAD");
      expect(res.status, uri).toBe(200);
    }
    // Per rendition: 3 content segments and 2 of each ad.
    expect(segmentUris.size).toBe(renditions.length * (3 + 2 * ads.length));

    const logs = edge.logs().slice(logStart);
    expect(logs, "errors in the edge's log").not.toMatch(/\[ERROR\]|✘|Uncaught|unhandled error|internal error|exceeded/i);
    expect(logs.match(/\b5\d\d\b [A-Z]/g) ?? [], "5xx in the edge's request log").toEqual([]);

    const all = viewers.flatMap((x) => [x.master, ...x.variants]).map((a) => a.ms).sort((a, b) => a - b);
    const pct = (p: number) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))]!.toFixed(1);
    // Latency here includes the wait for one of the pool's connections: a figure for the report, not an assertion.
    console.log(`load: ${all.length} playlist requests from ${VIEWERS} viewers in ${seconds.toFixed(2)} s; p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
  }, 180_000);
});
