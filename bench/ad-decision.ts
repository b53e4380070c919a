// Ad-decision bench: the latency of the master playlist when it asks the ad server (AD_SERVER_URL set:
// a VAST request to a local fake ad server, the creative looked up in D1, the decision stored) against
// the same master without an ad server (the site's ads, rows from the answer cache), in the same run,
// as a ratio. The ad server answers at once on loopback: what is measured is the edge's own cost of a
// decision (the fetch, the parse, the D1 round trips), not a real ad server's think time.
//
//   npx tsx bench/ad-decision.ts [--requests 200]   → prints and writes bench/out/ad-decision.json
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { urlHash } from "../edge/ads/urls";
import { startFakeAdServer } from "../test/support/fake-ad-server";
import { ROOT, migrate, sql, startDevEdge } from "./lib/services";

const { values } = parseArgs({ options: { requests: { type: "string", default: "200" } } });
const N = Number(values.requests);
const WARMUP = 20;

function get(url: string): Promise<{ status: number; ms: number; sources: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, sources: String(res.headers["x-ad-sources"] ?? "") }));
    });
    req.on("error", reject);
    req.end();
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: +q(0.5).toFixed(2), p95: +q(0.95).toFixed(2), mean: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2) };
};

async function measure(url: string, expectSources: string) {
  for (let i = 0; i < WARMUP; i++) await get(url);
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const r = await get(url);
    if (r.status !== 200 || r.sources !== expectSources) throw new Error(`master answered ${r.status} with sources "${r.sources}", expected "${expectSources}"`);
    ms.push(r.ms);
  }
  return stats(ms);
}

const dir = mkdtempSync(path.join(tmpdir(), "bench-ads-"));
const ads = await startFakeAdServer();
try {
  migrate(dir);
  const film = crypto.randomUUID();
  const siteAd = crypto.randomUUID();
  const vastAd = crypto.randomUUID();
  const media = `${ads.url}/media/creative.mp4`;
  const now = Date.now();
  const renditions = (bw: number) => JSON.stringify([{ name: "720p", bandwidth: bw, width: 1280, height: 720, codecs: "avc1.64001f,mp4a.40.2", playlist: "720p/index.m3u8" }]);
  sql(
    dir,
    `INSERT INTO films (id, title, type, category, location, created_at, updated_at) VALUES ('${film}', 'bench', 'MOVIE', 'MOVIE_DRAMA', 'US', ${now}, ${now});` +
      `INSERT INTO episodes (film_id, route, episode, status, job_id, hls_prefix, master_key, duration, renditions, created_at, updated_at) VALUES ('${film}', 'line1', '1', 'ready', 'j', 'films/${film}/episodes/line1/1/hls/j/', 'm', 600, '${renditions(2_800_000)}', ${now}, ${now});` +
      `INSERT INTO ads (id, type, status, origin, asset_key, hls_prefix, job_id, duration, renditions, expires_at, created_at) VALUES ('${siteAd}', 'FILM', 'ready', 'upload', 'a', 'ads/${siteAd}/hls/j/', 'j', 10, '${renditions(2_000_000)}', ${now + 86_400_000}, ${now}),` +
      ` ('${vastAd}', 'FILM', 'ready', 'vast', 'a', 'ads/${vastAd}/hls/j/', 'j', 10, '${renditions(2_000_000)}', ${now + 86_400_000}, ${now});` +
      `INSERT INTO creatives (url_hash, url, ad_id, status, created_at, updated_at) VALUES ('${await urlHash(media)}', '${media}', '${vastAd}', 'queued', ${now}, ${now});`,
  );
  const master = `/api/v1/resource/media_list/line1/${film}/1`;
  const adTag = `${ads.url}/vast/inline?media=${encodeURIComponent(media)}&cid=[CONTENT_ID]&pos=[BREAK_POSITION]&cb=[CACHEBUSTING]`;

  const results: Record<string, unknown> = { requests: N, breaks: 2 };
  // Two edges on the same state, one after the other: the var is the only difference.
  for (const [name, vars, sources] of [
    ["decision", { AD_SERVER_URL: adTag }, "ad-server,ad-server"],
    ["cached", {}, "site,site"],
  ] as const) {
    const edge = await startDevEdge(dir, vars);
    try {
      results[name] = await measure(edge.url + master, sources);
    } finally {
      await edge.stop();
    }
  }
  const d = results.decision as ReturnType<typeof stats>;
  const c = results.cached as ReturnType<typeof stats>;
  results.ratio = { p50: +(d.p50 / c.p50).toFixed(2), p95: +(d.p95 / c.p95).toFixed(2) };
  results.adServerRequests = ads.hits.filter((h) => h.startsWith("/vast/")).length;
  mkdirSync(path.join(ROOT, "bench/out"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench/out/ad-decision.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(JSON.stringify(results, null, 2));
} finally {
  await ads.close();
  rmSync(dir, { recursive: true, force: true });
}
