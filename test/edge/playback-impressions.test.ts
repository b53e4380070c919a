import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { utcDay } from "../../edge/lib/days";
import { lines } from "./hls-fixtures";
import { type SeededEpisode, body, call, onlyFilmAds, seedEpisode, seedFilmAd, variantUris } from "./playback-fixtures";

const M = "/api/v1/resource/media/";
const ADMIN = { Authorization: "Bearer test-admin-token" };

async function impressions(adId: string): Promise<Array<{ day: string; count: number }>> {
  const r = await env.DB.prepare("SELECT day, count FROM ad_impressions WHERE ad_id = ? ORDER BY day").bind(adId).all<{ day: string; count: number }>();
  return r.results;
}

/**
 * A viewer: one master playlist (one signed plan) of an episode whose only ad is `adId`, and the URIs
 * of its stitched variants. AD_BREAKS of wrangler.toml: two mid-rolls.
 */
async function viewer(ep: SeededEpisode, vars: Record<string, string> = {}) {
  const master = await body(await call(ep.path, {}, vars));
  const variants = await Promise.all(variantUris(master).map(async (u) => body(await call(u, {}, vars))));
  const segments = variants.map((v) => lines(v).segments.map((s) => new URL(s.uri)));
  /** The URIs carrying an impression token, per variant, in break order. */
  const firsts = segments.map((segs) => segs.filter((u) => u.searchParams.has("imp")));
  return { segments, firsts, path: (u: URL) => u.pathname + u.search };
}

async function scene() {
  const ep = await seedEpisode({
    renditions: [
      { name: "720p", bandwidth: 2_000_000, durations: [6, 6, 6, 6, 6], segments: true },
      { name: "360p", bandwidth: 600_000, durations: [6, 6, 6, 6, 6], segments: true },
    ],
  });
  const ad = await seedFilmAd({
    renditions: [
      { name: "low", bandwidth: 600_000, durations: [4, 4], segments: true },
      { name: "high", bandwidth: 2_000_000, durations: [4, 4], segments: true },
    ],
  });
  await onlyFilmAds([ad.id]);
  return { ep, ad };
}

const total = async (adId: string) => (await impressions(adId)).reduce((n, r) => n + r.count, 0);

describe("ad impressions: one per (viewer plan, break)", () => {
  it("the stitched variant puts a short impression token on each ad's first segment only", async () => {
    const { ep, ad } = await scene();
    for (const vars of [{ MEDIA_SIGNING: "off" }, { MEDIA_SIGNING: "on" }]) {
      const v = await viewer(ep, vars);
      for (const [i, firsts] of v.firsts.entries()) {
        expect(firsts, `variant ${i}`).toHaveLength(2);
        for (const u of firsts) {
          expect(u.pathname).toMatch(new RegExp(`/${ad.prefix}(low|high)/seg_00000\\.ts$`));
          expect(u.searchParams.get("imp")!.length).toBeLessThan(80);
        }
        const adSegments = v.segments[i]!.filter((u) => u.pathname.includes("/ads/"));
        expect(adSegments.filter((u) => !u.searchParams.has("imp")).length).toBe(adSegments.length - 2);
      }
      // The same break carries the same token in every variant: it is one impression whichever plays.
      expect(v.firsts[0]!.map((u) => u.searchParams.get("imp"))).toEqual(v.firsts[1]!.map((u) => u.searchParams.get("imp")));
    }
  });

  it("repeated full GETs, every rendition of the break, ten 1-byte ranges from byte 0: one impression", async () => {
    const { ep, ad } = await scene();
    const v = await viewer(ep);
    const first = v.firsts[0]![0]!;
    const other = v.firsts[1]![0]!;
    for (let i = 0; i < 3; i++) expect((await call(v.path(first))).status).toBe(200);
    expect((await call(v.path(other))).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await call(v.path(first), { headers: { Range: "bytes=0-0" } })).status).toBe(206);
    expect(await impressions(ad.id)).toEqual([{ day: utcDay(), count: 1 }]);
    // The second break is another impression; so is another viewer's plan.
    await call(v.path(v.firsts[0]![1]!));
    expect(await total(ad.id)).toBe(2);
    const other2 = await viewer(ep);
    await call(other2.path(other2.firsts[0]![0]!));
    expect(await total(ad.id)).toBe(3);
  });

  it("counts none for ten 1-byte ranges past byte 0, a HEAD, a 304, no token, a forged one or another ad's", async () => {
    const { ep, ad } = await scene();
    const v = await viewer(ep);
    const first = v.firsts[0]![0]!;
    for (let i = 1; i <= 10; i++) expect((await call(v.path(first), { headers: { Range: `bytes=${i}-${i}` } })).status).toBe(206);
    expect((await call(v.path(first), { method: "HEAD" })).status).toBe(200);
    const etag = (await call(first.pathname)).headers.get("etag")!;
    expect((await call(v.path(first), { headers: { "If-None-Match": etag } })).status).toBe(304);
    const imp = first.searchParams.get("imp")!;
    const forged = imp.slice(0, -4) + (imp.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await call(`${first.pathname}?imp=${forged}`)).status).toBe(200);
    expect((await call(`${first.pathname}?imp=garbage`)).status).toBe(200);
    // Not an impression of this ad: the token is signed for another.
    const ghost = crypto.randomUUID();
    const ghostKey = `ads/${ghost}/hls/${crypto.randomUUID()}/low/seg_00000.ts`;
    await env.MEDIA.put(ghostKey, new Uint8Array(4));
    expect((await call(`${M}${ghostKey}?imp=${imp}`)).status).toBe(200);
    expect(await impressions(ad.id)).toEqual([]);
    expect(await impressions(ghost)).toEqual([]);
    // Revalidated every time, so a replay from the player's cache still reaches the edge.
    expect((await call(v.path(first))).headers.get("cache-control")).toBe("public, no-cache");
    expect(await impressions(ad.id)).toEqual([{ day: utcDay(), count: 1 }]);
  });

  it("adds to the day's row and leaves other days alone; an ad deleted since counts nothing", async () => {
    const { ep, ad } = await scene();
    await env.DB.prepare("INSERT INTO ad_impressions (ad_id, day, count) VALUES (?, '2020-01-01', 7)").bind(ad.id).run();
    const v = await viewer(ep);
    await call(v.path(v.firsts[0]![0]!));
    expect(await impressions(ad.id)).toEqual([
      { day: "2020-01-01", count: 7 },
      { day: utcDay(), count: 1 },
    ]);
    await env.DB.prepare("DELETE FROM ads WHERE id = ?").bind(ad.id).run();
    await call(v.path(v.firsts[0]![1]!));
    expect(await impressions(ad.id)).toEqual([]);
  });
});

describe("GET /api/v1/admin/ads/{id}", () => {
  it("shows the ad and its impressions by day", async () => {
    const ad = await seedFilmAd({ renditions: [{ name: "low", bandwidth: 600_000, durations: [4, 3.5], segments: true }] });
    await env.DB.prepare("INSERT INTO ad_impressions (ad_id, day, count) VALUES (?, '2021-06-01', 4)").bind(ad.id).run();
    await env.DB.prepare("INSERT INTO ad_impressions (ad_id, day, count) VALUES (?, ?, 1)").bind(ad.id, utcDay()).run();
    const res = await call(`/api/v1/admin/ads/${ad.id}`, { headers: ADMIN });
    expect(res.status).toBe(200);
    const report = await res.json<Record<string, unknown>>();
    expect(report).toMatchObject({
      id: ad.id,
      type: "FILM",
      status: "ready",
      url: `https://cdn.test/api/v1/resource/ad_list/${ad.id}/master.m3u8`,
      duration: 7.5,
      expired: false,
      renditions: ad.renditions,
      impressions: { total: 5, byDay: [{ day: "2021-06-01", count: 4 }, { day: utcDay(), count: 1 }] },
    });
    expect(new Date(report.expiresAt as string).getTime()).toBeGreaterThan(Date.now());
  });

  it("needs the admin token, a valid id and an existing ad", async () => {
    const ad = await seedFilmAd({ renditions: [{ name: "low", bandwidth: 600_000, durations: [4] }] });
    expect((await call(`/api/v1/admin/ads/${ad.id}`)).status).toBe(401);
    expect((await call(`/api/v1/admin/ads/${ad.id}`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    const bad = await call("/api/v1/admin/ads/nope", { headers: ADMIN });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ reason: string }>()).reason).toMatch(/^param\.id:/);
    const missing = await call(`/api/v1/admin/ads/${crypto.randomUUID()}`, { headers: ADMIN });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toHaveProperty("reason");
  });
});
