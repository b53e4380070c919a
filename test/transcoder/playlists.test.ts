import { describe, expect, it } from "vitest";
import { PlaylistError } from "../../edge/hls/m3u8";
import { measureBandwidth, readMasterPlaylist, readMediaPlaylist, writeMasterPlaylist } from "../../transcoder/src/playlists";

// What the transcoder asks of ffmpeg's playlists, on top of the shared parser (test/edge/hls-m3u8.test.ts).
describe("playlists", () => {
  const media = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.000000,\nseg_00000.ts\n#EXTINF:2.5,\nseg_00001.ts\n#EXT-X-ENDLIST\n";

  it("reads a rendition's media playlist, segment URIs relative to the output directory", () => {
    const pl = readMediaPlaylist(media, "360p/index.m3u8");
    expect(pl).toMatchObject({ targetDuration: 4, playlistType: "VOD", endList: true });
    expect(pl.segments.map((s) => ({ uri: s.uri, duration: s.duration }))).toEqual([
      { uri: "360p/seg_00000.ts", duration: 4 },
      { uri: "360p/seg_00001.ts", duration: 2.5 },
    ]);
  });

  it.each([
    ["no header", "#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n"],
    ["no target duration", "#EXTM3U\n#EXTINF:4,\na.ts\n"],
    ["a segment without EXTINF", "#EXTM3U\n#EXT-X-TARGETDURATION:4\na.ts\n"],
    ["a segment longer than the target", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:5.6,\na.ts\n"],
    ["no segments", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n"],
  ])("refuses a media playlist with %s", (_, text) => {
    expect(() => readMediaPlaylist(text, "360p/index.m3u8")).toThrow(PlaylistError);
  });

  it("refuses a master playlist without variants", () => {
    expect(() => readMasterPlaylist("#EXTM3U\n#EXT-X-VERSION:6\n")).toThrow(PlaylistError);
  });

  it("writes a master playlist that parses back, largest rendition first", () => {
    const text = writeMasterPlaylist(
      [
        { name: "240p", bandwidth: 300_000, averageBandwidth: 250_000, width: 426, height: 240, codecs: "avc1.4d4015,mp4a.40.2", playlist: "240p/index.m3u8" },
        { name: "360p", bandwidth: 900_000, averageBandwidth: 700_000, width: 640, height: 360, codecs: "avc1.4d401e,mp4a.40.2", playlist: "360p/index.m3u8" },
      ],
      25,
    );
    expect(text.startsWith("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n")).toBe(true);
    const variants = readMasterPlaylist(text);
    expect(variants.map((v) => v.uri)).toEqual(["360p/index.m3u8", "240p/index.m3u8"]);
    expect(variants[0]).toEqual({
      uri: "360p/index.m3u8",
      bandwidth: 900_000,
      averageBandwidth: 700_000,
      width: 640,
      height: 360,
      codecs: "avc1.4d401e,mp4a.40.2",
      frameRate: 25,
    });
  });

  it("measures BANDWIDTH as the peak segment bit rate and AVERAGE-BANDWIDTH over the whole", () => {
    const bw = measureBandwidth([
      { duration: 4, bytes: 400_000 },
      { duration: 4, bytes: 200_000 },
      { duration: 0.5, bytes: 100_000 },
    ]);
    expect(bw.peak).toBe(800_000);
    expect(bw.average).toBe(Math.ceil((700_000 * 8) / 8.5));
  });
});
