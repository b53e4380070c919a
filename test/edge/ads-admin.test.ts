import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, seedFilmAd } from "./playback-fixtures";

const auth = { authorization: "Bearer test-admin-token" };
const adSpec = [{ name: "r0", bandwidth: 1_000_000, durations: [4, 4], segments: true }];

async function creativeWithBeacons() {
  const ad = await seedFilmAd({ renditions: adSpec });
  const url = `https://ads.example/${ad.id}.mp4`;
  await env.DB.batch([
    env.DB.prepare("UPDATE ads SET origin = 'vast' WHERE id = ?").bind(ad.id),
    env.DB.prepare("INSERT INTO creatives (url_hash, url, ad_id, status, bytes, created_at, updated_at) VALUES (?, ?, ?, 'queued', 1234, 0, 0)").bind(`h-${ad.id}`, url, ad.id),
    env.DB.prepare("INSERT INTO ad_beacons (decision_id, entry, event, ad_id, day, sent, ok, created_at) VALUES (?1, 0, 'impression', ?3, '2026-11-29', 2, 2, 0), (?1, 0, 'start', ?3, '2026-11-29', 1, 0, 0), (?2, 0, 'impression', ?3, '2026-11-30', 2, 1, 0)").bind(`d1-${ad.id}`, `d2-${ad.id}`, ad.id),
    env.DB.prepare("INSERT INTO ad_impressions (ad_id, day, count) VALUES (?, '2026-11-30', 3)").bind(ad.id),
  ]);
  return { ...ad, url };
}

describe("admin: ads", () => {
  it("lists ads with their origin and creative URL, and the ad server's outcomes", async () => {
    const c = await creativeWithBeacons();
    const own = await seedFilmAd({ renditions: adSpec });
    await env.DB.prepare("INSERT INTO ad_server_outcomes (day, outcome, count) VALUES ('2026-11-30', 'timeout', 2) ON CONFLICT DO UPDATE SET count = 2").run();
    const res = await call("/api/v1/admin/ads?limit=200", { headers: auth });
    expect(res.status).toBe(200);
    const list = await res.json<{ ads: Array<{ id: string; origin: string; creativeUrl: string | null }>; adServer: Array<{ outcome: string; count: number }> }>();
    expect(list.ads.find((a) => a.id === c.id)).toMatchObject({ origin: "vast", creativeUrl: c.url });
    expect(list.ads.find((a) => a.id === own.id)).toMatchObject({ origin: "upload", creativeUrl: null });
    expect(list.adServer).toContainEqual({ day: "2026-11-30", outcome: "timeout", count: 2 });
    const vastOnly = await (await call("/api/v1/admin/ads?origin=vast&limit=200", { headers: auth })).json<{ ads: Array<{ origin: string }> }>();
    expect(vastOnly.ads.every((a) => a.origin === "vast")).toBe(true);
    const bad = await call("/api/v1/admin/ads?origin=mars", { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty("reason");
    expect((await call("/api/v1/admin/ads")).status).toBe(401);
  });

  it("inspects an ad: impressions and beacons by day", async () => {
    const c = await creativeWithBeacons();
    const r = await (await call(`/api/v1/admin/ads/${c.id}`, { headers: auth })).json<Record<string, unknown>>();
    expect(r).toMatchObject({
      origin: "vast",
      creative: { url: c.url, status: "queued", bytes: 1234, error: null },
      impressions: { total: 3, byDay: [{ day: "2026-11-30", count: 3 }] },
      beacons: {
        total: 3,
        byDay: [
          { day: "2026-11-29", event: "impression", count: 1, pinged: 2, answered: 2 },
          { day: "2026-11-29", event: "start", count: 1, pinged: 1, answered: 0 },
          { day: "2026-11-30", event: "impression", count: 1, pinged: 2, answered: 1 },
        ],
      },
    });
  });

  it("deletes an ad with its creative, beacons and objects; then 404", async () => {
    const c = await creativeWithBeacons();
    expect(await env.MEDIA.head(`${c.prefix}r0/index.m3u8`)).not.toBe(null);
    const res = await call(`/api/v1/admin/ads/${c.id}`, { method: "DELETE", headers: auth });
    expect([res.status, await res.json()]).toEqual([200, { id: c.id, deleted: true }]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM creatives WHERE ad_id = ?").bind(c.id).first()).toEqual({ n: 0 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ad_beacons WHERE ad_id = ?").bind(c.id).first()).toEqual({ n: 0 });
    expect(await env.MEDIA.head(`${c.prefix}r0/index.m3u8`)).toBe(null);
    expect((await call(`/api/v1/admin/ads/${c.id}`, { headers: auth })).status).toBe(404);
    expect((await call(`/api/v1/admin/ads/${c.id}`, { method: "DELETE", headers: auth })).status).toBe(404);
    expect((await call(`/api/v1/admin/ads/not-an-id`, { method: "DELETE", headers: auth })).status).toBe(400);
  });
});

describe("roll-up: ad-server decisions", () => {
  it("prunes decisions older than their retention, keeps recent ones and every beacon row", async () => {
    const { rollupViews } = await import("../../edge/rollup");
    const { DECISION_RETENTION_MS } = await import("../../edge/ads");
    const { drizzle } = await import("drizzle-orm/d1");
    const now = Date.now();
    const old = `old-${crypto.randomUUID()}`;
    const recent = `new-${crypto.randomUUID()}`;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO ad_decisions (id, scope, entries, created_at) VALUES (?, 's', '[]', ?), (?, 's', '[]', ?)").bind(old, now - DECISION_RETENTION_MS - 1, recent, now),
      env.DB.prepare("INSERT INTO ad_beacons (decision_id, entry, event, ad_id, day, created_at) VALUES (?, 0, 'impression', 'a', '2026-01-01', 0)").bind(old),
    ]);
    await rollupViews(drizzle(env.DB), now);
    const ids = await env.DB.prepare("SELECT id FROM ad_decisions WHERE id IN (?, ?)").bind(old, recent).all<{ id: string }>();
    expect(ids.results.map((r) => r.id)).toEqual([recent]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ad_beacons WHERE decision_id = ?").bind(old).first()).toEqual({ n: 1 });
  });
});
