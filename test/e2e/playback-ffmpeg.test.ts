// End to end: ffmpeg, as an independent HLS client, plays the stitched master playlist of a real `wrangler dev`
// edge over HTTP, and what it decodes lasts as long as the content plus every ad.
//
// Content: 6 s, two renditions, 2 s MPEG-TS segments in separate files (the transcoder's layout). Ad: 2 s, two
// renditions, 1 s segments as byte ranges of one file (so ranges are exercised end to end too). Files go in
// through the signed PUT route the transcoder uses; rows through `wrangler d1 execute`.

import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseMasterPlaylist } from "../../edge/hls/m3u8";
import { signGrant } from "../../schema/signing";
import { completeJobSql, decodedSeconds, runningJobSql } from "../support/hls-media";
import { type DevEdge, TEST_SIGNING_SECRET, startEdge } from "../support/stack";

const run = promisify(execFile);
const CONTENT_SECONDS = 6;
const AD_SECONDS = 2;
const BREAKS = "pre,0.5,post";

const filmId = crypto.randomUUID();
const jobId = crypto.randomUUID();
const adId = crypto.randomUUID();
const adJob = crypto.randomUUID();
const contentPrefix = `films/${filmId}/episodes/line1/1/hls/${jobId}/`;
const adPrefix = `ads/${adId}/hls/${adJob}/`;

const contentRenditions = [
  { name: "180p", width: 320, height: 180, bandwidth: 450_000, kbps: "300k" },
  { name: "90p", width: 160, height: 90, bandwidth: 220_000, kbps: "120k" },
];
const adRenditions = [
  { name: "high", width: 320, height: 180, bandwidth: 420_000, kbps: "300k" },
  { name: "low", width: 160, height: 90, bandwidth: 200_000, kbps: "100k" },
];

let edge: DevEdge;
let dir: string;

async function encode(out: string, r: { width: number; height: number; kbps: string }, video: string, tone: number, seconds: number, segment: number, singleFile: boolean) {
  mkdirSync(out, { recursive: true });
  const args = ["-hide_banner", "-loglevel", "error", "-y"];
  args.push("-f", "lavfi", "-i", `${video}${video.includes("=") ? ":" : "="}size=${r.width}x${r.height}:rate=25`, "-f", "lavfi", "-i", `sine=frequency=${tone}:sample_rate=48000`);
  args.push("-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", r.kbps);
  args.push("-g", String(25 * segment), "-keyint_min", String(25 * segment), "-sc_threshold", "0", "-c:a", "aac", "-b:a", "64k", "-ac", "2");
  args.push("-f", "hls", "-hls_time", String(segment), "-hls_playlist_type", "vod");
  if (singleFile) args.push("-hls_flags", "single_file");
  else args.push("-hls_segment_filename", path.join(out, "seg_%05d.ts"));
  args.push(path.join(out, "index.m3u8"));
  await run("ffmpeg", args);
}

/**
 * Into the edge's R2 the way the transcoder writes its output: signed PUTs to the internal objects route
 * (seconds faster than a `wrangler r2 object put` per file).
 */
async function putAll(files: Array<{ key: string; file: string }>) {
  const grants = new Map<string, string>();
  for (const prefix of [contentPrefix, adPrefix]) {
    const job = prefix === adPrefix ? adJob : jobId;
    grants.set(prefix, await signGrant(TEST_SIGNING_SECRET, { u: "job-output", m: "PUT", p: prefix, e: Math.floor(Date.now() / 1000) + 600, s: 10 * 1024 * 1024, j: job }));
  }
  await Promise.all(
    files.map(async (f) => {
      const token = grants.get(f.key.startsWith(adPrefix) ? adPrefix : contentPrefix)!;
      const { status, text } = await http("PUT", `${edge.url}/api/v1/internal/objects/${f.key}?token=${token}`, readFileSync(f.file));
      if (status !== 201) throw new Error(`PUT ${f.key}: ${status} ${text}`);
    }),
  );
}

/**
 * One connection per request (node:http without an agent): the local dev server closes idle kept-alive
 * connections, and fetch's pool may hand such a dead socket to the next request ("other side closed").
 */
function http(method: "GET" | "PUT", url: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = body ? { "Content-Length": String(body.length) } : {};
    const req = httpRequest(url, { method, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function filesUnder(local: string, prefix: string): Array<{ key: string; file: string }> {
  return readdirSync(local, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => {
      const file = path.join(d.parentPath, d.name);
      return { key: prefix + path.relative(local, file).split(path.sep).join("/"), file };
    });
}

const renditionJson = (rs: typeof contentRenditions) =>
  JSON.stringify(rs.map((r) => ({ name: r.name, bandwidth: r.bandwidth, width: r.width, height: r.height, codecs: "avc1.42c00d,mp4a.40.2", playlist: `${r.name}/index.m3u8` })));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "playback-e2e-"));
  // allSettled: if an encode fails, the edge still gets assigned, so afterAll can stop it.
  const settled = await Promise.allSettled([
    startEdge({ vars: { AD_BREAKS: BREAKS } }).then((e) => (edge = e)),
    ...contentRenditions.map((r) => encode(path.join(dir, "content", r.name), r, "testsrc2", 440, CONTENT_SECONDS, 2, false)),
    ...adRenditions.map((r) => encode(path.join(dir, "ad", r.name), r, "color=c=red", 880, AD_SECONDS, 1, true)),
  ]);
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  // Output grants work only while their job runs: the jobs run while the files go in, then complete.
  edge.sql(runningJobSql(jobId, contentPrefix) + runningJobSql(adJob, adPrefix));
  await putAll([...filesUnder(path.join(dir, "content"), contentPrefix), ...filesUnder(path.join(dir, "ad"), adPrefix)]);
  const now = Date.now();
  edge.sql(
    completeJobSql(jobId) +
      completeJobSql(adJob) +
    `INSERT INTO films (id, title, type, category, location, created_at, updated_at) VALUES ('${filmId}', 'e2e film', 'MOVIE', 'MOVIE_DRAMA', 'US', ${now}, ${now});` +
      `INSERT INTO episodes (film_id, route, episode, status, job_id, hls_prefix, master_key, duration, renditions, created_at, updated_at) VALUES ` +
      `('${filmId}', 'line1', '1', 'ready', '${jobId}', '${contentPrefix}', '${contentPrefix}master.m3u8', ${CONTENT_SECONDS}, '${renditionJson(contentRenditions)}', ${now}, ${now});` +
      `INSERT INTO ads (id, type, status, asset_key, hls_prefix, job_id, duration, renditions, expires_at, created_at) VALUES ` +
      `('${adId}', 'FILM', 'ready', '${adPrefix}master.m3u8', '${adPrefix}', '${adJob}', ${AD_SECONDS}, '${renditionJson(adRenditions)}', ${now + 86_400_000}, ${now});`,
  );
}, 240_000);

afterAll(async () => {
  await edge?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("ffmpeg decodes the stitched master completely: content plus every ad", async () => {
  const masterUrl = `${edge.url}/api/v1/resource/media_list/line1/${filmId}/1`;
  const res = await http("GET", masterUrl);
  expect(res.status).toBe(200);
  const master = parseMasterPlaylist(res.text);
  expect(master.variants.map((v) => new URL(v.uri).pathname.split("/").at(-1))).toEqual(["180p.m3u8", "90p.m3u8"]);

  // Each variant: three breaks, the ad's rendition closest in bandwidth, byte ranges of its single file.
  for (const [i, v] of master.variants.entries()) {
    const { text } = await http("GET", v.uri);
    expect(text.match(/^#EXT-X-CUE-OUT:DURATION=/gm)).toHaveLength(3);
    // After the pre-roll, around the mid-roll, before the post-roll.
    expect(text.match(/^#EXT-X-DISCONTINUITY$/gm)).toHaveLength(4);
    expect(text).toContain(`${adPrefix}${i === 0 ? "high" : "low"}/index.ts`);
    expect(text).toMatch(/^#EXT-X-BYTERANGE:\d+@\d+$/m);
  }

  const { seconds, log } = await decodedSeconds(masterUrl);
  const expected = CONTENT_SECONDS + 3 * AD_SECONDS;
  // Two variants, each a video and an audio stream.
  expect(Object.keys(seconds)).toHaveLength(4);
  for (const [stream, s] of Object.entries(seconds)) expect(Math.abs(s - expected), `stream ${stream}: ${s} s\n${log}`).toBeLessThan(0.25);
}, 180_000);
