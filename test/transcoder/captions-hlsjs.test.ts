// What the edge writes for captions, read by hls.js's own playlist parser (its build, in Node): the master's
// SUBTITLES renditions and the stitched subtitle playlist (fragments, start times and discontinuity numbers
// like the video variant's: hls.js pairs a caption segment with the media of the same discontinuity).
// Where hls.js then puts the cues on screen needs its media pipeline: the browser test checks that.
import { beforeAll, describe, expect, it } from "vitest";
import { subtitlePlaylist } from "../../edge/captions";
import { parseMediaPlaylist, serializeMaster, stitch } from "../../edge/hls";
import { vod } from "../edge/hls-fixtures";

// hls.js's own build (it exports its playlist parser); no browser needed to parse.
type HlsModule = typeof import("hls.js");
let M3U8Parser: HlsModule["M3U8Parser"];
let SUBTITLE: HlsModule["PlaylistLevelType"]["SUBTITLE"];
let MAIN: HlsModule["PlaylistLevelType"]["MAIN"];
beforeAll(async () => {
  const hls = await import("hls.js");
  M3U8Parser = hls.M3U8Parser;
  SUBTITLE = hls.PlaylistLevelType.SUBTITLE;
  MAIN = hls.PlaylistLevelType.MAIN;
});

const content = parseMediaPlaylist(vod({ durations: [6, 6, 6, 6, 4.5] }), "films/f/episodes/l/1/hls/j/720p/index.m3u8");
const ad = parseMediaPlaylist(vod({ durations: [5, 5, 2.2] }), "ads/a/hls/j/360p/index.m3u8");
const ads = [
  { id: "a", at: 0, playlist: ad },
  { id: "a", at: 12, playlist: ad },
  { id: "a", at: -1, playlist: ad },
];
const style = { base: "https://cdn.test/api/v1/resource/media/", query: "" };

describe("hls.js reads the edge's captions", () => {
  it("master: one subtitle track per language, in the group the variants name", () => {
    const text = serializeMaster({
      independentSegments: false,
      media: [
        { type: "SUBTITLES", groupId: "subs", name: "English", language: "en", default: false, autoselect: true, uri: "https://cdn.test/s/en.m3u8?plan=p" },
        { type: "SUBTITLES", groupId: "subs", name: "português (Brasil)", language: "pt-BR", default: false, autoselect: true, uri: "https://cdn.test/s/pt-BR.m3u8?plan=p" },
      ],
      variants: [{ uri: "https://cdn.test/v/720p.m3u8?plan=p", bandwidth: 2_800_000, width: 1280, height: 720, codecs: "avc1.42c01e,mp4a.40.2", subtitles: "subs" }],
    });
    const parsed = M3U8Parser.parseMasterPlaylist(text, "https://cdn.test/master");
    expect(parsed.levels[0]!.attrs.SUBTITLES).toBe("subs");
    const media = M3U8Parser.parseMasterPlaylistMedia(text, "https://cdn.test/master", parsed);
    expect(media.SUBTITLES!.map((s) => [s.groupId, s.name, s.lang, s.url, s.default, s.autoselect])).toEqual([
      ["subs", "English", "en", "https://cdn.test/s/en.m3u8?plan=p", false, true],
      ["subs", "português (Brasil)", "pt-BR", "https://cdn.test/s/pt-BR.m3u8?plan=p", false, true],
    ]);
  });

  it("subtitle playlist: the video's fragments, start times and discontinuity numbers", () => {
    const video = stitch({ content, contentStyle: style, ads: ads.map((a) => ({ ...a, style })), targetDuration: 7 }).text;
    const subs = subtitlePlaylist({ content, segmentUrl: (f, t) => `https://cdn.test/c/en/v.vtt?from=${f / 1000}&to=${t / 1000}`, emptyUrl: "https://cdn.test/empty.vtt", ads, targetDuration: 7 }).text;
    const v = M3U8Parser.parseLevelPlaylist(video, "https://cdn.test/v.m3u8", 0, MAIN, 0, null);
    const s = M3U8Parser.parseLevelPlaylist(subs, "https://cdn.test/s.m3u8", 0, SUBTITLE, 0, null);
    const shape = (d: typeof v) => d.fragments.map((f) => [f.sn, f.cc, f.start, f.duration]);
    expect(shape(s)).toEqual(shape(v));
    expect(new Set(s.fragments.map((f) => f.cc))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(s.fragments.every((f) => !f.initSegment && !f.decryptdata?.encrypted)).toBe(true);
  });
});
