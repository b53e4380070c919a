// Pods (several ads in one break) and per-segment queries (the beacons of ad-server ads).
import { describe, expect, it } from "vitest";
import { type AdInsertion, type MediaPlaylist, type UriStyle, parseMediaPlaylist, stitch } from "../../edge/hls";
import { lines, specProblems, vod } from "./hls-fixtures";

const BASE = "https://cdn.test/api/v1/resource/media/";
const plain: UriStyle = { base: BASE, query: "" };
const signed: UriStyle = { base: BASE, query: "?token=t" };
const CONTENT = "films/f1/episodes/line1/1/hls/job1/";
const content = () => parseMediaPlaylist(vod({ durations: Array(10).fill(6) }), `${CONTENT}720p/index.m3u8`);
const adPl = (prefix: string, durations: number[]) => parseMediaPlaylist(vod({ durations }), `${prefix}low/index.m3u8`);
const ad = (id: string, at: number, playlist: MediaPlaylist, extra: Partial<AdInsertion> = {}): AdInsertion => ({ id, at, playlist, style: plain, ...extra });

describe("stitch: pods", () => {
  it("ads planned at the same time play in order in one break: one CUE-OUT of the pod's duration, a discontinuity between them", () => {
    const r = stitch({ content: content(), contentStyle: plain, ads: [ad("A", 30, adPl("ads/a/hls/j/", [5, 5])), ad("B", 30, adPl("ads/b/hls/j/", [4])), ad("C", 60, adPl("ads/c/hls/j/", [3]))] });
    expect(specProblems(r.text)).toEqual([]);
    expect(r.placed.map((p) => [p.id, p.at, p.position])).toEqual([["A", 30, "mid"], ["B", 30, "mid"], ["C", 60, "post"]]);
    const ls = lines(r.text);
    const uris = ls.segments.map((s) => s.uri.replace(BASE, ""));
    expect(uris.slice(5, 9)).toEqual(["ads/a/hls/j/low/seg_00000.ts", "ads/a/hls/j/low/seg_00001.ts", "ads/b/hls/j/low/seg_00000.ts", `${CONTENT}720p/seg_00005.ts`]);
    expect(ls.segments[5]!.tags).toContain("#EXT-X-CUE-OUT:DURATION=14.000");
    expect(ls.segments[7]!.tags).toEqual(["#EXT-X-DISCONTINUITY", "#EXTINF:4.000000,"]);
    expect(ls.segments[8]!.tags).toContain("#EXT-X-CUE-IN");
    expect(r.text.match(/CUE-OUT/g)).toHaveLength(2);
    expect(r.duration).toBe(60 + 14 + 3);
  });

  it("appends a segment's own query after the style's", () => {
    const q = (i: number) => (i === 1 ? "" : `bcn=${i}`);
    const r = stitch({ content: content(), contentStyle: plain, ads: [ad("A", 0, adPl("ads/a/hls/j/", [5, 5, 5]), { style: signed, segmentQuery: q }), ad("B", 12, adPl("ads/b/hls/j/", [5]), { segmentQuery: q })] });
    const uris = lines(r.text).segments.map((s) => s.uri.replace(BASE, ""));
    expect(uris.slice(0, 3)).toEqual(["ads/a/hls/j/low/seg_00000.ts?token=t&bcn=0", "ads/a/hls/j/low/seg_00001.ts?token=t", "ads/a/hls/j/low/seg_00002.ts?token=t&bcn=2"]);
    expect(uris[5]).toBe("ads/b/hls/j/low/seg_00000.ts?bcn=0");
  });
});
