import { describe, expect, it } from "vitest";
import { parseMasterPlaylist } from "../../edge/hls";
import { body, call, onlyFilmAds, planOf, seedEpisode, seedFilmAd, variantUris } from "./playback-fixtures";

const sixty = Array(10).fill(6);
const twoRenditions = () => [
  { name: "720p", bandwidth: 2_800_000, durations: sixty },
  { name: "360p", bandwidth: 800_000, durations: sixty },
];
const adRenditions = (bw: number[]) => bw.map((b, i) => ({ name: `r${i}`, bandwidth: b, durations: [5, 5] }));

describe("GET /media_list/{route}/{id}/{episode}", () => {
  it("once warm, makes no D1 query; a deleted episode stops getting new plans at once", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    // The answer cache on (the suite's config renders everything anew), the catalog version read recently.
    const cached = { CATALOG_FRESH_SECONDS: "30", CATALOG_STALE_SECONDS: "30", CATALOG_VERSION_CHECK_SECONDS: "60" };
    expect((await call(ep.path, {}, cached)).status).toBe(200);
    const warm = await call(ep.path, {}, cached);
    expect([warm.status, warm.headers.get("x-d1-queries")]).toEqual([200, "0"]);
    const deleted = await call(`/api/v1/upload/media/resource/${ep.route}/${ep.filmId}/${ep.episode}`, { method: "DELETE", headers: { authorization: "Bearer test-admin-token" } }, cached);
    expect(deleted.status).toBe(200);
    expect((await call(ep.path, {}, cached)).status).toBe(404);
  });

  it("answers 400 naming the field for a bad id, route or episode", async () => {
    const bad = await call("/api/v1/resource/media_list/line1/not-a-uuid/1");
    expect(bad.status).toBe(400);
    expect((await bad.json<{ reason: string }>()).reason).toMatch(/^param\.id:/);
    const badRoute = await call(`/api/v1/resource/media_list/${"x".repeat(64)}/${crypto.randomUUID()}/1`);
    expect((await badRoute.json<{ reason: string }>()).reason).toMatch(/^param\.route:/);
    const badEp = await call(`/api/v1/resource/media_list/line1/${crypto.randomUUID()}/%20hidden`);
    expect(badEp.status).toBe(400);
  });

  it("lists the storyboard (seek previews) as EXT-X-SESSION-DATA with its media URL, and none when there is none", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions().map((r) => ({ ...r, storyboard: "storyboard/thumbnails.vtt" })) });
    const text = await body(await call(ep.path));
    const tag = text.split("\n").find((l) => l.startsWith("#EXT-X-SESSION-DATA:"));
    expect(tag).toBe(`#EXT-X-SESSION-DATA:DATA-ID="com.edge-stream.storyboard",VALUE="https://cdn.test/api/v1/resource/media/${ep.prefix}storyboard/thumbnails.vtt"`);
    expect(parseMasterPlaylist(text).variants).toHaveLength(2);
    const plain = await seedEpisode({ renditions: twoRenditions() });
    expect(await body(await call(plain.path))).not.toContain("#EXT-X-SESSION-DATA");
  });

  it("answers 404 {reason} for an unknown episode and for one still processing", async () => {
    const unknown = await call(`/api/v1/resource/media_list/line1/${crypto.randomUUID()}/1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toHaveProperty("reason");
    const processing = await seedEpisode({ renditions: twoRenditions(), status: "processing" });
    const res = await call(processing.path);
    expect(res.status).toBe(404);
    expect((await res.json<{ reason: string }>()).reason).toMatch(/not ready/);
  });

  it("lists every rendition with absolute variant URIs that carry one signed plan: a different ad at 30 % and 70 %", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const a = await seedFilmAd({ renditions: adRenditions([600_000, 4_000_000]) });
    const b = await seedFilmAd({ renditions: adRenditions([1_000_000]) });
    await onlyFilmAds([a.id, b.id]);

    const res = await call(ep.path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(res.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
    const text = await body(res);
    const master = parseMasterPlaylist(text);
    expect(master.variants.map((v) => new URL(v.uri).pathname)).toEqual([
      `${ep.path}/v/720p.m3u8`,
      `${ep.path}/v/360p.m3u8`,
    ]);
    for (const v of master.variants) expect(v.uri.startsWith("https://cdn.test/api/v1/resource/media_list/")).toBe(true);
    const plans = variantUris(text).map((u) => new URL(u).searchParams.get("plan"));
    expect(new Set(plans).size).toBe(1);
    const plan = planOf(variantUris(text)[0]!);
    expect(plan.s).toBe(`${ep.filmId}/line1/1`);
    expect(plan.b.map(([, at]) => at)).toEqual([18, 42]);
    expect(new Set(plan.b.map(([id]) => id))).toEqual(new Set([a.id, b.id]));
    expect(res.headers.get("x-ad-breaks")).toBe("2");

    // BANDWIDTH is the variant's peak, ads included: 720p meets A's 4 Mb/s rendition.
    expect(master.variants[0]!.bandwidth).toBe(4_000_000);
    expect(master.variants[1]!.bandwidth).toBe(1_000_000);
    const { width, height, codecs } = ep.renditions[0]!;
    expect(master.variants[0]).toMatchObject({ width, height, codecs });
  });

  it("picks at random, never the same ad for both breaks while there are several, and only ready unexpired FILM ads", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const ads = [];
    for (let i = 0; i < 3; i++) ads.push(await seedFilmAd({ renditions: adRenditions([800_000]) }));
    await onlyFilmAds(ads.map((a) => a.id));
    await seedFilmAd({ renditions: adRenditions([800_000]), status: "processing" });
    await seedFilmAd({ renditions: adRenditions([800_000]), expiresAt: Date.now() - 1000 });
    const firsts = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const plan = planOf(variantUris(await body(await call(ep.path)))[0]!);
      expect(plan.b).toHaveLength(2);
      expect(plan.b[0]![0]).not.toBe(plan.b[1]![0]);
      for (const [id] of plan.b) expect(ads.map((a) => a.id)).toContain(id);
      firsts.add(plan.b[0]![0]);
    }
    expect(firsts.size).toBeGreaterThan(1);
  });

  it("repeats the only ad when there are more breaks than ads, and plans nothing when there is none", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const only = await seedFilmAd({ renditions: adRenditions([800_000]) });
    await onlyFilmAds([only.id]);
    const plan = planOf(variantUris(await body(await call(ep.path)))[0]!);
    expect(plan.b).toEqual([[only.id, 18], [only.id, 42]]);

    await onlyFilmAds([]);
    const res = await call(ep.path);
    expect(res.headers.get("x-ad-breaks")).toBe("0");
    expect(planOf(variantUris(await body(res))[0]!).b).toEqual([]);
  });

  it("follows AD_BREAKS: pre, absolute seconds, post; breaks past the end of a short episode are dropped", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const ads = [await seedFilmAd({ renditions: adRenditions([800_000]) }), await seedFilmAd({ renditions: adRenditions([800_000]) })];
    await onlyFilmAds(ads.map((a) => a.id));
    const res = await call(ep.path, {}, { AD_BREAKS: "pre, 20s, 1:30, post" });
    expect(planOf(variantUris(await body(res))[0]!).b.map(([, at]) => at)).toEqual([0, 20, -1]);
  });

  it("plays without ads when AD_BREAKS is invalid (the error is logged, not a 500)", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const ad = await seedFilmAd({ renditions: adRenditions([800_000]) });
    await onlyFilmAds([ad.id]);
    const res = await call(ep.path, {}, { AD_BREAKS: "0.3,middle" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ad-breaks")).toBe("0");
    expect(variantUris(await body(res))).toHaveLength(2);
  });

  it("without a SIGNING_SECRET, serves variants without a plan (and so without ads) rather than failing", async () => {
    const ep = await seedEpisode({ renditions: twoRenditions() });
    const ad = await seedFilmAd({ renditions: adRenditions([800_000]) });
    await onlyFilmAds([ad.id]);
    const res = await call(ep.path, {}, { SIGNING_SECRET: "" });
    const uris = variantUris(await body(res));
    expect(uris.every((u) => !u.includes("plan="))).toBe(true);
    const variant = await call(uris[0]!, {}, { SIGNING_SECRET: "" });
    expect(variant.status).toBe(200);
    expect(await body(variant)).not.toContain("#EXT-X-CUE-OUT");
  });
});
