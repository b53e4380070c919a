import { describe, expect, it } from "vitest";
import { PlaylistError, UriError, parseMasterPlaylist, parseMediaPlaylist, resolveUri, serializeMaster } from "../../edge/hls";
import { vod } from "./hls-fixtures";

const KEY = "films/f/episodes/line1/1/hls/job/720p/index.m3u8";

describe("parseMediaPlaylist", () => {
  it("reads the header, durations and resolves segment URIs to object keys", () => {
    const pl = parseMediaPlaylist(vod({ durations: [6, 6, 3.5], mediaSequence: 7 }), KEY);
    expect(pl).toMatchObject({ version: 3, targetDuration: 6, mediaSequence: 7, endList: true, playlistType: "VOD" });
    expect(pl.segments.map((s) => s.uri)).toEqual([0, 1, 2].map((i) => `films/f/episodes/line1/1/hls/job/720p/seg_0000${i}.ts`));
    expect(pl.segments.map((s) => s.seq)).toEqual([7, 8, 9]);
    expect(pl.duration).toBeCloseTo(15.5);
    expect(pl.maxSegmentDuration).toBe(6);
  });

  it("accepts CRLF line ends, comments and a BOM", () => {
    const text = "\uFEFF" + vod({ durations: [2, 2] }).replaceAll("\n", "\r\n").replace("#EXT-X-PLAYLIST-TYPE:VOD", "# a comment\r\n#EXT-X-PLAYLIST-TYPE:VOD");
    const pl = parseMediaPlaylist(text, KEY);
    expect(pl.segments).toHaveLength(2);
    expect(pl.segments[0]!.tags).toEqual([]);
  });

  it("makes implicit byte-range offsets explicit", () => {
    const text = [
      "#EXTM3U",
      "#EXT-X-VERSION:4",
      "#EXT-X-TARGETDURATION:4",
      "#EXTINF:4.0,",
      "#EXT-X-BYTERANGE:1000@0",
      "main.ts",
      "#EXTINF:4.0,",
      "#EXT-X-BYTERANGE:2000",
      "main.ts",
      "#EXTINF:4.0,",
      "#EXT-X-BYTERANGE:500",
      "main.ts",
      "#EXT-X-ENDLIST",
    ].join("\n");
    const pl = parseMediaPlaylist(text, KEY);
    expect(pl.segments.map((s) => s.byteRange)).toEqual([
      { length: 1000, offset: 0 },
      { length: 2000, offset: 1000 },
      { length: 500, offset: 3000 },
    ]);
    expect(pl.segments[2]!.head).toContain("#EXT-X-BYTERANGE:500@3000\n");
    expect(pl.usesByteRange).toBe(true);
  });

  it("refuses an offset-less byte range that does not follow the same URI", () => {
    const text = ["#EXTM3U", "#EXT-X-TARGETDURATION:4", "#EXTINF:4,", "#EXT-X-BYTERANGE:10@0", "a.ts", "#EXTINF:4,", "#EXT-X-BYTERANGE:10", "b.ts"].join("\n");
    expect(() => parseMediaPlaylist(text, KEY)).toThrow(PlaylistError);
  });

  it("tracks key and map state per segment", () => {
    const text = [
      "#EXTM3U",
      "#EXT-X-VERSION:6",
      "#EXT-X-TARGETDURATION:4",
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXT-X-KEY:METHOD=AES-128,URI="../key.bin"',
      "#EXTINF:4,",
      "s0.m4s",
      "#EXT-X-KEY:METHOD=NONE",
      "#EXTINF:4,",
      "s1.m4s",
      '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k2",IV=0x0000000000000000000000000000ABCD',
      "#EXTINF:4,",
      "s2.m4s",
      "#EXT-X-ENDLIST",
    ].join("\n");
    const pl = parseMediaPlaylist(text, KEY);
    const [a, b, c] = pl.segments;
    expect(a!.keys).toEqual([{ method: "AES-128", uri: "films/f/episodes/line1/1/hls/job/key.bin", iv: undefined, keyformat: "identity", rest: [] }]);
    expect(b!.keys).toEqual([]);
    expect(c!.keys[0]).toMatchObject({ uri: "https://keys.example/k2", iv: "0x0000000000000000000000000000ABCD" });
    expect(a!.map).toEqual({ uri: "films/f/episodes/line1/1/hls/job/720p/init.mp4", rest: [] });
    expect(c!.map).toBe(a!.map);
    expect(pl).toMatchObject({ usesMap: true, usesKeys: true });
  });

  it("drops other systems' cue tags and keeps other segment tags", () => {
    const text = vod({
      durations: [4, 4, 4],
      before: { 1: ["#EXT-X-CUE-OUT:DURATION=30", "#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:04Z"], 2: ["#EXT-X-CUE-OUT-CONT:ElapsedTime=4,Duration=30", "#EXT-X-CUE-IN", "#EXT-OATCLS-SCTE35:/DAlAAAA"] },
    });
    const pl = parseMediaPlaylist(text, KEY);
    expect(pl.droppedCueTags).toBe(4);
    expect(pl.segments[1]!.tags).toEqual(["#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:04Z"]);
    expect(pl.segments[2]!.tags).toEqual([]);
  });

  it("reports what is wrong, with the line", () => {
    expect(() => parseMediaPlaylist("hello", KEY)).toThrow(/EXTM3U/);
    expect(() => parseMediaPlaylist("#EXTM3U\nseg.ts\n", KEY)).toThrow(/line 2: URI without/);
    expect(() => parseMediaPlaylist("#EXTM3U\n#EXTINF:abc,\nseg.ts\n", KEY)).toThrow(/line 2: bad #EXTINF/);
    expect(() => parseMediaPlaylist("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", KEY)).toThrow(/master playlist tag/);
    expect(() => parseMediaPlaylist("#EXTM3U\n#EXT-X-TARGETDURATION:4\n", KEY)).toThrow(/no segments/);
    expect(() => parseMediaPlaylist(vod({ durations: [1], uri: () => "../../../../../../../../../x.ts" }), KEY)).toThrow(UriError);
  });
});

describe("resolveUri", () => {
  it("resolves relative, parent, host-relative media and absolute URIs", () => {
    expect(resolveUri("ads/a/hls/j/low/index.m3u8", "seg_00000.ts")).toBe("ads/a/hls/j/low/seg_00000.ts");
    expect(resolveUri("ads/a/hls/j/low/index.m3u8", "./x/../seg.ts?v=1")).toBe("ads/a/hls/j/low/seg.ts");
    expect(resolveUri("ads/a/hls/j/low/index.m3u8", "../init.mp4")).toBe("ads/a/hls/j/init.mp4");
    expect(resolveUri("ads/a/hls/j/low/index.m3u8", "/api/v1/resource/media/films/f/x.ts")).toBe("films/f/x.ts");
    expect(resolveUri("ads/a/hls/j/low/index.m3u8", "https://other.example/s.ts")).toBe("https://other.example/s.ts");
    expect(() => resolveUri("ads/a/index.m3u8", "/etc/passwd")).toThrow(UriError);
    expect(() => resolveUri("ads/a/index.m3u8", "../../../x")).toThrow(UriError);
  });
});

describe("master playlists", () => {
  it("round-trips variants", () => {
    const text = serializeMaster({
      version: 3,
      independentSegments: true,
      variants: [
        { uri: "https://cdn/v/720p.m3u8?plan=x", bandwidth: 2_800_000, averageBandwidth: 2_500_000, width: 1280, height: 720, codecs: "avc1.64001f,mp4a.40.2" },
        { uri: "https://cdn/v/360p.m3u8?plan=x", bandwidth: 800_000, width: 640, height: 360, codecs: "avc1.42c01e,mp4a.40.2" },
      ],
    });
    expect(text).toContain('#EXT-X-STREAM-INF:BANDWIDTH=2800000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"\nhttps://cdn/v/720p.m3u8?plan=x\n');
    const back = parseMasterPlaylist(text);
    expect(back.variants).toHaveLength(2);
    expect(back.variants[1]).toMatchObject({ bandwidth: 800_000, width: 640, height: 360, codecs: "avc1.42c01e,mp4a.40.2" });
    expect(back).toMatchObject({ version: 3, independentSegments: true });
  });
});
