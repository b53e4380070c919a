// The FILM ad URL of /affair/ad/FILM plays with MEDIA_SIGNING=on (edge/playback/ad-playlists.ts).
import { describe, expect, it } from "vitest";
import { lines, specProblems } from "./hls-fixtures";
import { body, call, onlyFilmAds, seedFilmAd, variantUris } from "./playback-fixtures";

const ON = { MEDIA_SIGNING: "on" };

describe("GET /affair/ad/FILM with MEDIA_SIGNING=on", () => {
  it("hands out a playlist whose every URI is absolute and tokened, down to the segments", async () => {
    const ad = await seedFilmAd({ renditions: [{ name: "only", bandwidth: 800_000, durations: [4, 4], segments: true }] });
    await onlyFilmAds([ad.id]);
    const answer = (await (await call("/api/v1/affair/ad/FILM", {}, ON)).json()) as { URL: string };
    expect(answer.URL).toBe(`https://cdn.test/api/v1/resource/ad_list/${ad.id}/master.m3u8`);

    const master = await body(await call(answer.URL, {}, ON));
    const [variant] = variantUris(master);
    expect(new URL(variant!).searchParams.get("token")).toBeTruthy();
    const media = await body(await call(variant!, {}, ON));
    expect(specProblems(media)).toEqual([]);
    const segments = lines(media).segments.map((s) => s.uri);
    expect(segments).toHaveLength(2);
    for (const uri of segments) {
      expect(uri).toContain(`/api/v1/resource/media/${ad.prefix}`);
      expect((await call(uri, {}, ON)).status).toBe(200);
    }
    // The variant without its token, or with one for another prefix, is refused.
    const bare = new URL(variant!);
    bare.search = "";
    expect((await call(bare.href, {}, ON)).status).toBe(403);
  });

  it("answers the ad's playlist route while signing is off too (raw playlists are never served), and 404 for an ad that is not a ready FILM ad", async () => {
    const ad = await seedFilmAd({ renditions: [{ name: "only", bandwidth: 800_000, durations: [4], segments: true }] });
    await onlyFilmAds([ad.id]);
    const answer = (await (await call("/api/v1/affair/ad/FILM")).json()) as { URL: string };
    expect(answer.URL).toBe(`https://cdn.test/api/v1/resource/ad_list/${ad.id}/master.m3u8`);
    expect((await call(answer.URL)).status).toBe(200);
    expect((await call(`/api/v1/resource/ad_list/${crypto.randomUUID()}/master.m3u8`)).status).toBe(404);
    expect((await call("/api/v1/resource/ad_list/not-a-uuid/master.m3u8")).status).toBe(400);
  });
});
