// End to end with a fake third-party ad server (a Node http server in this process, not our stack): the
// real edge (wrangler dev) asks it for a VAST, fetches the creative into R2 and has the real transcoder
// condition it; the next viewer gets it stitched; a player's playback fires the server-side beacons in
// order, a replay fires none again; ffmpeg decodes the stitched stream to the right duration.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseMasterPlaylist } from "../../edge/hls/m3u8";
import { type FakeAdServer, startFakeAdServer } from "../support/fake-ad-server";
import { decodedSeconds } from "../support/hls-media";
import { type Harness, type TranscoderProcess, createFilm, finished, spawnTranscoder, startHarness, uploadEpisode, waitForJob } from "../support/edge-harness";
import { makeClip, makeTempDir } from "../transcoder/clips";

const CONTENT_SECONDS = 8;
const AD_SECONDS = 4;

let ads: FakeAdServer;
let h: Harness;
let transcoder: TranscoderProcess;
let tmp: ReturnType<typeof makeTempDir>;
let masterUrl: string;
let sink: string;

/** One connection per request: wrangler dev closes idle kept-alive sockets (see playback-ffmpeg.test.ts). */
function get(url: string): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("latin1"), headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Beacon hits at the fake server, waiting until there are at least `n`. */
async function beacons(n: number): Promise<string[]> {
  const r = await fetch(`${ads.url}/__hits?prefix=${encodeURIComponent(new URL(sink).pathname)}&n=${n}&timeout=30000`);
  return ((await r.json()) as string[]).map((x) => x.slice(new URL(sink).pathname.length));
}

beforeAll(async () => {
  tmp = makeTempDir("ads-e2e-");
  ads = await startFakeAdServer();
  sink = `${ads.url}/t/${crypto.randomUUID()}`;
  const adClip = makeClip(tmp.dir, "ad", { seconds: AD_SECONDS, width: 426, height: 240, pattern: "smptebars" });
  const media = `${ads.url}/media/ad.mp4?file=${encodeURIComponent(adClip)}`;
  const adTag = `${ads.url}/vast/inline?media=${encodeURIComponent(media)}&beacons=${encodeURIComponent(sink)}&cid=[CONTENT_ID]&cb=[CACHEBUSTING]`;
  h = await startHarness({ vars: { AD_SERVER_URL: adTag, AD_BREAKS: "0.5" } });
  transcoder = await spawnTranscoder(h, { LADDER: "240:400", SEGMENT_SECONDS: "2" });
  const filmId = await createFilm(h, "VAST e2e");
  const job = await uploadEpisode(h, filmId, "line1", "1", makeClip(tmp.dir, "content", { seconds: CONTENT_SECONDS, width: 426, height: 240 }));
  expect((await waitForJob(h, job, finished)).status).toBe("complete");
  masterUrl = `${h.edge.url}/api/v1/resource/media_list/line1/${filmId}/1`;
}, 240_000);

afterAll(async () => {
  await transcoder?.stop();
  await h?.stop();
  await ads?.close();
  tmp?.cleanup();
});

it("an unseen creative is conditioned by the real transcoder once, then stitched; beacons fire in order, once", async () => {
  // First viewer: the creative is unseen, so no ad from the server (and no site ad exists): no ads.
  const first = await get(masterUrl);
  expect([first.status, first.headers["x-ad-sources"]]).toEqual([200, ""]);
  const creative = await waitForCreativeJob();
  const done = await waitForJob(h, creative, finished).catch((e: unknown) => {
    throw new Error(`${String(e)}\nedge:\n${h.edge.logs().slice(-6000)}\ntranscoder:\n${transcoder.logs().slice(-4000)}`);
  });
  expect(done.status).toBe("complete");
  expect(h.edge.sql<{ n: number }>("SELECT count(*) AS n FROM creatives")[0]!.n).toBe(1);

  // Next viewer: the conditioned creative at 50 %.
  const second = await get(masterUrl);
  expect(second.headers["x-ad-sources"]).toBe("ad-server");
  const variantUri = parseMasterPlaylist(second.text).variants[0]!.uri;
  const variant = (await get(variantUri)).text;
  const segments = variant.split("\n").filter((l) => l.startsWith("http"));
  const adSegs = segments.filter((u) => u.includes("/ads/"));
  expect(adSegs).toHaveLength(AD_SECONDS / 2);

  // A player's playback, in order: each ad segment's beacons reach the ad server before the next is fetched.
  const expected = [["/imp", "/start", "/firstQuartile"], ["/midpoint", "/thirdQuartile", "/complete"]];
  let seen = 0;
  for (const u of segments) {
    expect((await get(u)).status).toBe(200);
    const i = adSegs.indexOf(u);
    if (i < 0) continue;
    seen += expected[i]!.length;
    const got = await beacons(seen);
    expect(got.slice(seen - expected[i]!.length).map((x) => x.replace(/\?.*/, ""))).toEqual(expected[i]);
  }
  // A replay of the same plan fires nothing again: one row per event, six pings.
  for (const u of adSegs) await get(u);
  const rows = () => h.edge.sql<{ n: number }>("SELECT count(*) AS n FROM ad_beacons")[0]!.n;
  expect(rows()).toBe(6);
  // A new viewer's plan is a new decision: its impression arrives after anything the replay could have sent.
  const third = parseMasterPlaylist((await get(masterUrl)).text).variants[0]!.uri;
  const thirdAd = (await get(third)).text.split("\n").find((l) => l.includes("/ads/"))!;
  await get(thirdAd);
  expect(await beacons(9)).toHaveLength(9);
  expect(rows()).toBe(9);
}, 240_000);

it("ffmpeg decodes the stitched stream: content plus the ad", async () => {
  const { seconds } = await decodedSeconds(masterUrl);
  expect(Object.keys(seconds).length).toBeGreaterThanOrEqual(2);
  for (const [stream, s] of Object.entries(seconds)) expect(Math.abs(s - (CONTENT_SECONDS + AD_SECONDS)), `stream ${stream}: ${s} s`).toBeLessThan(0.3);
}, 120_000);

/** The transcode job of the creative, once the edge has fetched it and registered the job. */
async function waitForCreativeJob(): Promise<string> {
  for (;;) {
    const row = h.edge.sql<{ id: string | null; status: string }>("SELECT j.id, c.status FROM creatives c LEFT JOIN jobs j ON j.ad_id = c.ad_id")[0];
    if (row?.status === "failed") throw new Error("the creative could not be fetched");
    if (row?.id) return row.id;
    // The edge registers the job in its waitUntil after answering the master: poll D1 until it is there.
    await new Promise((r) => setTimeout(r, 200));
  }
}
