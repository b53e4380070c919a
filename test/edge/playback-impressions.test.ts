import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { utcDay } from "../../edge/lib/days";
import { call, seedFilmAd } from "./playback-fixtures";

const M = "/api/v1/resource/media/";
const ADMIN = { Authorization: "Bearer test-admin-token" };

async function impressions(adId: string): Promise<Array<{ day: string; count: number }>> {
  const r = await env.DB.prepare("SELECT day, count FROM ad_impressions WHERE ad_id = ? ORDER BY day").bind(adId).all<{ day: string; count: number }>();
  return r.results;
}

describe("ad impressions", () => {
  it("counts one per fetch of an ad's first segment, in any rendition, per day", async () => {
    const ad = await seedFilmAd({
      renditions: [
        { name: "low", bandwidth: 600_000, durations: [4, 4], segments: true },
        { name: "high", bandwidth: 3_000_000, durations: [4, 4], segments: true },
      ],
    });
    const first = (r: string) => `${M}${ad.prefix}${r}/seg_00000.ts`;
    const firstRes = await call(first("low"));
    expect(firstRes.status).toBe(200);
    // Revalidated every time, so a replay from the player's cache still reaches the edge and counts.
    expect(firstRes.headers.get("cache-control")).toBe("public, no-cache");
    await call(first("high"));
    const etag = firstRes.headers.get("etag")!;
    expect((await call(first("low"), { headers: { "If-None-Match": etag } })).status).toBe(304);
    // Not impressions: the second segment, a HEAD, a range that does not start the segment, a 404.
    await call(`${M}${ad.prefix}low/seg_00001.ts`);
    await call(first("low"), { method: "HEAD" });
    expect((await call(first("low"), { headers: { Range: "bytes=100-" } })).status).toBe(206);
    await call(`${M}${ad.prefix}mid/seg_00000.ts`);

    expect(await impressions(ad.id)).toEqual([{ day: utcDay(), count: 3 }]);
  });

  it("adds to the day's row and leaves other days alone; an unknown ad counts nothing", async () => {
    const ad = await seedFilmAd({ renditions: [{ name: "low", bandwidth: 600_000, durations: [4], segments: true }] });
    await env.DB.prepare("INSERT INTO ad_impressions (ad_id, day, count) VALUES (?, '2020-01-01', 7)").bind(ad.id).run();
    await call(`${M}${ad.prefix}low/seg_00000.ts`);
    await call(`${M}${ad.prefix}low/seg_00000.ts`);
    expect(await impressions(ad.id)).toEqual([
      { day: "2020-01-01", count: 7 },
      { day: utcDay(), count: 2 },
    ]);

    const ghost = crypto.randomUUID();
    await env.MEDIA.put(`ads/${ghost}/hls/${crypto.randomUUID()}/low/seg_00000.ts`, new Uint8Array(4));
    const list = await env.MEDIA.list({ prefix: `ads/${ghost}/` });
    expect((await call(M + list.objects[0]!.key)).status).toBe(200);
    expect(await impressions(ghost)).toEqual([]);
  });
});

describe("GET /api/v1/admin/ads/{id}", () => {
  it("shows the ad and its impressions by day", async () => {
    const ad = await seedFilmAd({ renditions: [{ name: "low", bandwidth: 600_000, durations: [4, 3.5], segments: true }] });
    await env.DB.prepare("INSERT INTO ad_impressions (ad_id, day, count) VALUES (?, '2021-06-01', 4)").bind(ad.id).run();
    await call(`${M}${ad.prefix}low/seg_00000.ts`);
    const res = await call(`/api/v1/admin/ads/${ad.id}`, { headers: ADMIN });
    expect(res.status).toBe(200);
    const report = await res.json<Record<string, unknown>>();
    expect(report).toMatchObject({
      id: ad.id,
      type: "FILM",
      status: "ready",
      url: `https://cdn.test/api/v1/resource/media/${ad.prefix}master.m3u8`,
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
