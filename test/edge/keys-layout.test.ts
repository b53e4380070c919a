import { describe, expect, it } from "vitest";
import * as keys from "../../schema/keys";

describe("schema/keys: every key it builds, it reads back", () => {
  const episode = { kind: "episode", filmId: "f1", route: "line1", episode: "2" } as const;
  const ad = { kind: "ad", adId: "a1" } as const;

  it("classifies posters, ad images, sources and outputs", () => {
    expect(keys.classifyKey(keys.posterKey("f1", "v1", "jpg"))).toEqual({ kind: "poster", filmId: "f1" });
    expect(keys.classifyKey(keys.adImageKey("a1", "png"))).toEqual({ kind: "ad-image", adId: "a1" });
    expect(keys.classifyKey(keys.episodeSourceKey("f1", "line1", "2", "j1"))).toEqual({ kind: "source", owner: episode });
    expect(keys.classifyKey(keys.adSourceKey("a1", "j1"))).toEqual({ kind: "source", owner: ad });
    const segment = `${keys.episodeOutputPrefix("f1", "line1", "2", "j1")}${keys.renditionPlaylist("720p")}`;
    expect(keys.classifyKey(segment)).toEqual({ kind: "output", owner: episode, jobId: "j1", file: "720p/index.m3u8" });
    expect(keys.classifyKey(keys.adOutputPrefix("a1", "j1") + keys.POSTER_FRAME)).toEqual({ kind: "output", owner: ad, jobId: "j1", file: "poster.jpg" });
  });

  it("calls anything else other", () => {
    for (const k of ["films/f1", "films//poster/x", "films/f1/poster/v/extra", "films/f1/episodes/line1/source/j", "ads/a1/image.png/x", "ads/a1/hls/", "other/a/b"]) {
      expect(keys.classifyKey(k), k).toEqual({ kind: "other" });
    }
  });

  it("knows the first segment of a rendition, the one that counts an ad impression", () => {
    const first = "720p/" + keys.SEGMENT_PATTERN.replace("%05d", "00000");
    expect(keys.isFirstSegment(first)).toBe(true);
    expect(keys.isFirstSegment("seg_00000.ts")).toBe(true);
    expect(keys.isFirstSegment("720p/seg_00001.ts")).toBe(false);
    expect(keys.isFirstSegment("a/b/seg_00000.ts")).toBe(false);
    // An ad's fMP4 ladder (its alternate container): the first media segment counts, not the init segment.
    const alt = keys.alternateDir("fmp4") + "360p/" + keys.segmentPattern("fmp4").replace("%05d", "00000");
    expect(keys.isFirstSegment(alt)).toBe(true);
    expect(keys.isFirstSegment(keys.alternateDir("fmp4") + keys.initSegment("360p"))).toBe(false);
    expect(keys.isFirstSegment("fmp4/360p/seg_00001.m4s")).toBe(false);
  });
});
