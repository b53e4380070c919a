import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signPlan } from "../../edge/hls";
import { clearParsedPlaylists } from "../../edge/playback/playlist-store";
import { count, headerValue, lines, specProblems } from "./hls-fixtures";
import { body, call, onlyFilmAds, planOf, seedEpisode, seedFilmAd, variantUris } from "./playback-fixtures";

const SECRET = "test-signing-secret";
const MEDIA = "https://cdn.test/api/v1/resource/media/";

/** Content: 720p and 360p, 60 s of 6 s segments (the 360p one ends on a 7.4 s segment). Ads: A with three renditions, B with one. */
async function scene() {
  const ep = await seedEpisode({
    renditions: [
      { name: "720p", bandwidth: 2_800_000, durations: Array(10).fill(6) },
      { name: "360p", bandwidth: 800_000, durations: [...Array(9).fill(6), 7.4] },
    ],
  });
  const a = await seedFilmAd({
    renditions: [
      { name: "low", bandwidth: 600_000, durations: [5, 5, 4] },
      { name: "mid", bandwidth: 1_500_000, durations: [5, 5, 4] },
      { name: "high", bandwidth: 4_000_000, durations: [5, 5, 4] },
    ],
  });
  const b = await seedFilmAd({ renditions: [{ name: "only", bandwidth: 1_000_000, durations: [4, 4, 8.6] }] });
  await onlyFilmAds([a.id, b.id]);
  return { ep, a, b };
}

describe("GET /media_list/{route}/{id}/{episode}/v/{rendition}.m3u8", () => {
  it("stitches the plan into every variant: same ads, same places, one target duration", async () => {
    const { ep, a, b } = await scene();
    const uris = variantUris(await body(await call(ep.path, {}, { AD_BREAKS: "pre,0.5,post" })));
    const plan = planOf(uris[0]!);
    expect(plan.b.map(([, at]) => at)).toEqual([0, 30, -1]);

    const outs = [];
    for (const uri of uris) {
      const res = await call(uri);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
      expect(res.headers.get("cache-control")).toMatch(/^private/);
      outs.push(await body(res));
    }
    for (const text of outs) {
      expect(specProblems(text)).toEqual([]);
      expect(headerValue(lines(text), "#EXT-X-TARGETDURATION")).toBe("9"); // B's 8.6 s segment, in both variants
      expect(count(text, "#EXT-X-DISCONTINUITY")).toBe(4);
      expect(count(text, "#EXT-X-CUE-OUT")).toBe(3);
      expect(count(text, "#EXT-X-CUE-IN")).toBe(2);
      expect(text.trimEnd().endsWith("#EXT-X-ENDLIST")).toBe(true);
    }
    // Which ad is where, and when it starts in the viewer's timeline.
    const breaks = outs.map((text) => {
      let t = 0;
      const seen: Array<[string, number]> = [];
      for (const s of lines(text).segments) {
        if (s.tags.some((x) => x.startsWith("#EXT-X-CUE-OUT"))) seen.push([/\/ads\/([^/]+)\//.exec(s.uri)![1]!, Math.round(t * 1000) / 1000]);
        t += s.duration;
      }
      return seen;
    });
    const ids = plan.b.map(([id]) => id);
    // Ads are picked at random: the mid-roll starts after whichever pre-roll came first (A 14 s, B 16.6 s).
    const preRoll = ids[0] === a.id ? 14 : 16.6;
    expect(breaks[0]).toEqual([[ids[0], 0], [ids[1], preRoll + 30], [ids[2], expect.any(Number)]]);
    expect(breaks[1]!.slice(0, 2)).toEqual(breaks[0]!.slice(0, 2));
    // Closest bandwidth: A's "high" in 720p and "low" in 360p; B's only rendition in both.
    const adUris = (text: string, adId: string) => [...new Set(lines(text).segments.filter((s) => s.uri.includes(`/ads/${adId}/`)).map((s) => s.uri.split("/").at(-2)))];
    if (ids.includes(a.id)) {
      expect(adUris(outs[0]!, a.id)).toEqual(["high"]);
      expect(adUris(outs[1]!, a.id)).toEqual(["low"]);
    }
    if (ids.includes(b.id)) expect(adUris(outs[1]!, b.id)).toEqual(["only"]);
    // Content URIs are absolute, under the episode's current prefix.
    expect(lines(outs[0]!).segments.find((s) => s.uri.includes("/films/"))!.uri).toBe(`${MEDIA}${ep.prefix}720p/seg_00000.ts`);
  });

  it("once warm, reads neither D1 nor R2; the cost is in the headers", async () => {
    const { ep } = await scene();
    const uri = variantUris(await body(await call(ep.path)))[0]!;
    const ads = new Set(planOf(uri).b.map(([id]) => id)).size;
    // The answer cache on (the suite's config renders everything anew), the catalog version read recently.
    const cached = { CATALOG_FRESH_SECONDS: "30", CATALOG_STALE_SECONDS: "30", CATALOG_VERSION_CHECK_SECONDS: "60" };
    const first = await call(uri, {}, cached);
    expect(first.status).toBe(200);
    // Both content renditions (for the common target duration) and the chosen ad renditions.
    expect(Number(first.headers.get("x-r2-reads"))).toBeGreaterThanOrEqual(3);
    // The episode's row and each ad's.
    expect(first.headers.get("x-d1-batches")).toBe(String(1 + ads));
    expect(first.headers.get("server-timing")).toMatch(/^d1;dur=\d+;desc="\d+ queries", r2;dur=\d+;desc="\d+ reads"$/);
    const again = await call(uri, {}, cached);
    expect([again.headers.get("x-d1-batches"), again.headers.get("x-d1-queries")]).toEqual(["0", "0"]);
    expect(again.headers.get("x-r2-reads")).toBe("0");
    expect(again.headers.get("x-playlist-sources")).toMatch(/^lru=[1-9]\d*, cache=0, r2=0$/);
    expect(await body(again)).toBe(await body(first));

    // Another isolate (simulated by forgetting the parsed playlists) finds them in the Cache API.
    clearParsedPlaylists();
    const third = await call(uri);
    expect(third.headers.get("x-r2-reads")).toBe("0");
    expect(third.headers.get("x-playlist-sources")).toMatch(/^lru=\d+, cache=[1-9]\d*, r2=0$/);
  });

  it("refuses a forged, expired or foreign plan (403) and a missing one (400)", async () => {
    const { ep, a } = await scene();
    const uri = new URL(variantUris(await body(await call(ep.path)))[0]!);
    const token = uri.searchParams.get("plan")!;
    const [payload, sig] = token.split(".");

    const tampered = new URL(uri);
    const forgedPayload = btoa(JSON.stringify({ v: 1, s: `${ep.filmId}/line1/1`, b: [], e: 4_000_000_000 })).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
    tampered.searchParams.set("plan", `${forgedPayload}.${sig}`);
    const r1 = await call(tampered.href);
    expect(r1.status).toBe(403);
    expect(await r1.json()).toEqual({ reason: "plan: bad ad plan signature" });

    const truncated = new URL(uri);
    truncated.searchParams.set("plan", `${payload}.${sig!.slice(0, -2)}`);
    expect((await call(truncated.href)).status).toBe(403);

    const expired = new URL(uri);
    expired.searchParams.set("plan", await signPlan(SECRET, { scope: `${ep.filmId}/line1/1`, breaks: [[a.id, 0]], exp: Math.floor(Date.now() / 1000) - 1 }));
    const r2 = await call(expired.href);
    expect(r2.status).toBe(403);
    expect(await r2.json()).toEqual({ reason: "plan: ad plan expired" });

    const other = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_800_000, durations: [6, 6] }] });
    const foreign = new URL(`https://cdn.test${other.path}/v/720p.m3u8`);
    foreign.searchParams.set("plan", token);
    const r3 = await call(foreign.href);
    expect(r3.status).toBe(403);
    expect(await r3.json()).toEqual({ reason: "plan: ad plan is for another episode" });

    const none = new URL(uri);
    none.search = "";
    const r4 = await call(none.href);
    expect(r4.status).toBe(400);
    expect((await r4.json<{ reason: string }>()).reason).toMatch(/^query\.plan:/);
  });

  it("answers 404 for an unknown rendition or episode and 400 for a bad variant name", async () => {
    const { ep } = await scene();
    const uri = new URL(variantUris(await body(await call(ep.path)))[0]!);
    const unknown = new URL(uri.href.replace("/v/720p.m3u8", "/v/1080p.m3u8"));
    const r1 = await call(unknown.href);
    expect(r1.status).toBe(404);
    expect((await r1.json<{ reason: string }>()).reason).toMatch(/no rendition 1080p/);
    const bad = await call(uri.href.replace("/v/720p.m3u8", "/v/720p.txt"));
    expect(bad.status).toBe(400);
    expect((await bad.json<{ reason: string }>()).reason).toMatch(/^param\.variant:/);
    await env.DB.prepare("UPDATE episodes SET status = 'processing' WHERE film_id = ?").bind(ep.filmId).run();
    expect((await call(uri.href)).status).toBe(404);
  });

  it("leaves out an ad deleted since the master was made, and keeps the others", async () => {
    const { ep, a, b } = await scene();
    const uri = variantUris(await body(await call(ep.path)))[0]!;
    const plan = planOf(uri);
    await env.DB.prepare("DELETE FROM ads WHERE id = ?").bind(a.id).run();
    const text = await body(await call(uri));
    expect(text).not.toContain(`/ads/${a.id}/`);
    expect(count(text, "#EXT-X-CUE-OUT")).toBe(plan.b.filter(([id]) => id === b.id).length);
    expect(specProblems(text)).toEqual([]);
  });

  it("fMP4 content takes an ad's fMP4 ladder (EXT-X-MAP of the ad, then the content's again); TS-only ads are not planned", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_800_000, durations: Array(5).fill(4), container: "fmp4" }] });
    // As the transcoder leaves an ad: its TS ladder, and the same in fMP4 under fmp4/.
    const both = await seedFilmAd({
      renditions: [
        { name: "360p", bandwidth: 800_000, durations: [4, 2], container: "ts" },
        { name: "360p", bandwidth: 800_000, durations: [4, 2], container: "fmp4", dir: "fmp4/" },
      ],
    });
    const tsOnly = await seedFilmAd({ renditions: [{ name: "old", bandwidth: 800_000, durations: [4, 2] }] });
    await onlyFilmAds([both.id, tsOnly.id]);
    const uris = variantUris(await body(await call(ep.path, {}, { AD_BREAKS: "pre,0.5" })));
    const plan = planOf(uris[0]!);
    // Both breaks planned, each with the ad that has an fMP4 ladder.
    expect(plan.b.map(([adId]) => adId)).toEqual([both.id, both.id]);

    const text = await body(await call(uris[0]!));
    expect(specProblems(text)).toEqual([]);
    expect(count(text, "#EXT-X-CUE-OUT")).toBe(2);
    const maps = text.split("\n").filter((l) => l.startsWith("#EXT-X-MAP"));
    expect(maps).toEqual([
      expect.stringContaining(`${both.prefix}fmp4/360p/init_360p.mp4`),
      expect.stringContaining(`${ep.prefix}720p/init_720p.mp4`),
      expect.stringContaining(`${both.prefix}fmp4/360p/init_360p.mp4`),
      expect.stringContaining(`${ep.prefix}720p/init_720p.mp4`),
    ]);
    expect(lines(text).segments.filter((sg) => sg.uri.includes(both.prefix)).every((sg) => sg.uri.includes("/fmp4/360p/seg_"))).toBe(true);
    expect(text).not.toContain(tsOnly.prefix);
  });

  it("TS content keeps taking an ad's TS ladder when the ad has both", async () => {
    const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_800_000, durations: Array(5).fill(4) }] });
    const both = await seedFilmAd({
      renditions: [
        { name: "360p", bandwidth: 800_000, durations: [4, 2], container: "ts" },
        { name: "360p", bandwidth: 800_000, durations: [4, 2], container: "fmp4", dir: "fmp4/" },
      ],
    });
    await onlyFilmAds([both.id]);
    const uris = variantUris(await body(await call(ep.path, {}, { AD_BREAKS: "pre" })));
    const text = await body(await call(uris[0]!));
    expect(count(text, "#EXT-X-CUE-OUT")).toBe(1);
    expect(text).not.toContain("#EXT-X-MAP");
    expect(text).toContain(`${both.prefix}360p/seg_00000.ts`);
  });

  it("serves the content alone when the plan is empty", async () => {
    const { ep } = await scene();
    await onlyFilmAds([]);
    const uri = variantUris(await body(await call(ep.path)))[1]!;
    const text = await body(await call(uri));
    expect(count(text, "#EXT-X-DISCONTINUITY")).toBe(0);
    expect(lines(text).segments.map((s) => s.uri)).toEqual(Array.from({ length: 10 }, (_, i) => `${MEDIA}${ep.prefix}360p/seg_0000${i}.ts`));
    expect(specProblems(text)).toEqual([]);
  });

  it("answers 404 when the rendition's playlist is missing from R2 and 502 when it is corrupt", async () => {
    const { ep } = await scene();
    const uris = variantUris(await body(await call(ep.path)));
    await env.MEDIA.delete(`${ep.prefix}720p/index.m3u8`);
    await env.MEDIA.put(`${ep.prefix}360p/index.m3u8`, "not a playlist");
    const missing = await call(uris[0]!);
    expect(missing.status).toBe(404);
    expect((await missing.json<{ reason: string }>()).reason).toMatch(/missing/);
    const corrupt = await call(uris[1]!);
    expect(corrupt.status).toBe(502);
    expect((await corrupt.json<{ reason: string }>()).reason).toMatch(/stored playlist is invalid/);
  });
});
