// Viewers never receive a playlist without their ads: the raw playlists of a job's output (an episode's
// or a FILM ad's) are refused by the media route and the side route, with MEDIA_SIGNING on or off and
// whatever token the viewer found in a stitched playlist. Segments, keys and init sections still play.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { lines } from "./hls-fixtures";
import { body, call, onlyFilmAds, seedEpisode, seedFilmAd, variantUris } from "./playback-fixtures";

const M = "/api/v1/resource/media/";

async function scene(vars: Record<string, string>) {
  const ep = await seedEpisode({ renditions: [{ name: "720p", bandwidth: 2_000_000, durations: [6, 6, 6, 6], segments: true }] });
  const ad = await seedFilmAd({ renditions: [{ name: "only", bandwidth: 2_000_000, durations: [4, 4], segments: true }] });
  await onlyFilmAds([ad.id]);
  for (const key of [`${ep.prefix}master.m3u8`, `${ad.prefix}master.m3u8`]) await env.MEDIA.put(key, "#EXTM3U\n");
  await env.MEDIA.put(`${ep.prefix}key.bin`, new Uint8Array(16));
  await env.MEDIA.put(`${ep.prefix}720p/init.mp4`, new Uint8Array(32));
  const master = await body(await call(ep.path, {}, vars));
  const stitched = await body(await call(variantUris(master)[0]!, {}, vars));
  const segs = lines(stitched).segments.map((s) => new URL(s.uri));
  return { ep, ad, stitched, segs };
}

async function refused(res: Response) {
  expect(res.status).toBe(403);
  expect(((await res.json()) as { reason: string }).reason).toMatch(/^file: playlists are served only stitched/);
}

for (const [label, vars] of [
  ["MEDIA_SIGNING on", { MEDIA_SIGNING: "on" }],
  ["MEDIA_SIGNING off", { MEDIA_SIGNING: "off" }],
] as const) {
  describe(`raw playlists, ${label}`, () => {
    it("the media route refuses every playlist of an episode's or an ad's output, even with the viewer's own token", async () => {
      const { ep, ad, stitched, segs } = await scene(vars);
      expect(stitched).toContain("#EXT-X-CUE-OUT");
      const contentToken = segs.find((u) => u.pathname.includes("/films/"))!.search;
      const adToken = segs.find((u) => u.pathname.includes("/ads/"))!.search;
      for (const [key, query] of [
        [`${ep.prefix}master.m3u8`, contentToken],
        [`${ep.prefix}720p/index.m3u8`, contentToken],
        [`${ep.prefix}720p/INDEX.M3U8`, contentToken],
        [`${ep.prefix}720p/index.m3u`, contentToken],
        [`${ad.prefix}master.m3u8`, adToken],
        [`${ad.prefix}only/index.m3u8`, adToken],
      ] as const) {
        await refused(await call(`${M}${key}${query}`, {}, vars));
        expect((await call(`${M}${key}${query}`, { method: "HEAD" }, vars)).status).toBe(403);
      }
    });

    it("the side route refuses playlists beside the episode's playlist", async () => {
      const { ep, segs } = await scene(vars);
      const token = segs.find((u) => u.pathname.includes("/films/"))!.search;
      for (const name of ["master.m3u8", "index.m3u8", "MASTER.M3U8", "x.m3u"]) await refused(await call(`${ep.path}/${name}${token}`, {}, vars));
      // Refused before the episode is even looked up: no way to probe for one.
      await refused(await call(`/api/v1/resource/media_list/line1/${crypto.randomUUID()}/1/master.m3u8`, {}, vars));
    });

    it("segments (content and ad), keys and init sections are still served", async () => {
      const { ep, segs } = await scene(vars);
      for (const u of segs) expect((await call(u.pathname + u.search, {}, vars)).status, u.pathname).toBe(200);
      const token = segs.find((u) => u.pathname.includes("/films/"))!.search;
      expect((await call(`${ep.path}/key.bin${token}`, {}, vars)).status).toBe(200);
      expect((await call(`${M}${ep.prefix}720p/init.mp4${token}`, {}, vars)).status).toBe(200);
      expect((await call(`${M}${ep.prefix}key.bin${token}`, {}, vars)).status).toBe(200);
    });
  });
}
