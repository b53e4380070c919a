// The ffmpeg half on its own: real ffmpeg/ffprobe, generated clips, output in a local directory.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnsupportedInputError } from "../../transcoder/src/errors";
import { probeJson } from "../../transcoder/src/ffmpeg/fluent";
import { locateFfmpeg } from "../../transcoder/src/ffmpeg/locate";
import { parseLadder } from "../../transcoder/src/ladder";
import { readMasterPlaylist, readMediaPlaylist } from "../../transcoder/src/playlists";
import { type TranscodeResult, type TranscodeSettings, strayFiles, transcodeToHls, uploadOrder } from "../../transcoder/src/transcode";
import { makeClip, makeCorruptClip, makeTempDir } from "./clips";

const settings: TranscodeSettings = {
  ladder: parseLadder("720:2800,360:800,240:400"),
  segmentSeconds: 4,
  preset: "ultrafast",
  silentAudio: true,
  posterAt: 0.1,
  posterHeight: 720,
};

interface Stream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  side_data_list?: unknown[];
}

async function streamsOf(file: string): Promise<Stream[]> {
  return ((await probeJson(file)) as { streams: Stream[] }).streams;
}

let tmp: ReturnType<typeof makeTempDir>;
let n = 0;
async function transcode(input: string, s: TranscodeSettings = settings): Promise<{ out: string; result: TranscodeResult }> {
  const out = path.join(tmp.dir, `out-${++n}`);
  const result = await transcodeToHls({ input, outputDir: out, settings: s });
  return { out, result };
}

/** Every playlist parses, every segment named exists, nothing else lies around. */
async function checkOutput(out: string, result: TranscodeResult, sourceSeconds: number) {
  const master = readMasterPlaylist(readFileSync(path.join(out, "master.m3u8"), "utf8"));
  expect(master.map((v) => v.uri)).toEqual(result.renditions.map((r) => r.rendition.playlist));
  for (const r of result.renditions) {
    const media = readMediaPlaylist(readFileSync(path.join(out, r.rendition.playlist), "utf8"), r.rendition.playlist);
    expect(media.endList).toBe(true);
    expect(media.playlistType).toBe("VOD");
    const total = media.segments.reduce((a, s) => a + s.duration, 0);
    expect(Math.abs(total - sourceSeconds)).toBeLessThanOrEqual(0.5);
    for (const s of media.segments) expect(existsSync(path.join(out, s.uri))).toBe(true);
    expect(r.rendition.playlist).toBe(`${r.rendition.name}/index.m3u8`);
  }
  expect(await strayFiles(out, result)).toEqual([]);
}

beforeAll(async () => {
  await locateFfmpeg();
  tmp = makeTempDir("transcode-test-");
});
afterAll(() => tmp?.cleanup());

describe("transcodeToHls", () => {
  it("makes a 2-rung ladder of a 4-second 640x360 clip in one ffmpeg run", async () => {
    const input = makeClip(tmp.dir, "main", { width: 640, height: 360, seconds: 4 });
    const { out, result } = await transcode(input);

    expect(result.rungs.map((r) => r.name)).toEqual(["360p", "240p"]);
    expect(result.source).toMatchObject({ width: 640, height: 360, hasAudio: true });
    expect(result.duration).toBeCloseTo(4, 0);
    expect(result.segmentCount).toBe(1);
    await checkOutput(out, result, 4);

    const [r360, r240] = result.renditions.map((r) => r.rendition);
    expect(r360).toMatchObject({ name: "360p", width: 640, height: 360, playlist: "360p/index.m3u8" });
    expect(r240).toMatchObject({ name: "240p", width: 426, height: 240, playlist: "240p/index.m3u8" });
    for (const r of [r360!, r240!]) {
      expect(r.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(r.bandwidth).toBeGreaterThan(10_000);
      expect(r.averageBandwidth).toBeLessThanOrEqual(r.bandwidth);
    }
    // The master declares what we measured.
    const master = readMasterPlaylist(readFileSync(path.join(out, "master.m3u8"), "utf8"));
    expect(master[0]).toMatchObject({ bandwidth: r360!.bandwidth, width: 640, height: 360, codecs: r360!.codecs });

    // Segments really are H.264 + AAC at the rung's size.
    const seg = await streamsOf(path.join(out, result.renditions[1]!.segments[0]!));
    expect(seg.find((s) => s.codec_type === "video")).toMatchObject({ codec_name: "h264", width: 426, height: 240 });
    expect(seg.find((s) => s.codec_type === "audio")).toMatchObject({ codec_name: "aac" });

    // Poster: a JPEG frame at the source's size.
    expect(result.poster).toBe("poster.jpg");
    const jpeg = readFileSync(path.join(out, "poster.jpg"));
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect((await streamsOf(path.join(out, "poster.jpg")))[0]).toMatchObject({ width: 640, height: 360 });

    // Upload order: each playlist after its segments, the master last.
    const order = uploadOrder(result);
    expect(order.at(-1)).toBe("master.m3u8");
    expect(order.indexOf("360p/index.m3u8")).toBeGreaterThan(order.indexOf("360p/seg_00000.ts"));
    expect(order.indexOf("240p/index.m3u8")).toBeGreaterThan(order.indexOf("240p/seg_00000.ts"));
  });

  it("cuts longer sources into aligned segments of the configured length", async () => {
    const input = makeClip(tmp.dir, "long", { width: 320, height: 240, seconds: 5, fps: 15 });
    const { out, result } = await transcode(input, { ...settings, segmentSeconds: 2, ladder: parseLadder("240:400,144:200") });
    await checkOutput(out, result, 5);
    const durations = result.renditions.map((r) => r.segmentDurations);
    expect(durations[0]).toEqual([2, 2, 1]);
    // Keyframes aligned: every rendition switches at the same instants.
    expect(durations[1]).toEqual(durations[0]);
    expect(result.segmentCount).toBe(3);
  });

  it("gives a source without audio a silent AAC track in every rendition", async () => {
    const input = makeClip(tmp.dir, "mute", { width: 640, height: 360, seconds: 3, audio: false });
    const { out, result } = await transcode(input);
    expect(result.source.hasAudio).toBe(false);
    await checkOutput(out, result, 3);
    for (const r of result.renditions) {
      expect(r.rendition.codecs).toContain("mp4a.40.2");
      const seg = await streamsOf(path.join(out, r.segments[0]!));
      expect(seg.map((s) => s.codec_type).sort()).toEqual(["audio", "video"]);
    }
  });

  it("transcodes a video-only source without inventing audio when SILENT_AUDIO is off", async () => {
    const input = makeClip(tmp.dir, "mute2", { width: 320, height: 240, seconds: 2, audio: false });
    const { out, result } = await transcode(input, { ...settings, silentAudio: false });
    await checkOutput(out, result, 2);
    expect(result.renditions[0]!.rendition.codecs).not.toContain("mp4a");
    expect((await streamsOf(path.join(out, result.renditions[0]!.segments[0]!))).map((s) => s.codec_type)).toEqual(["video"]);
  });

  it("handles odd dimensions (321x241 Matroska, 4:4:4)", async () => {
    const input = makeClip(tmp.dir, "odd", { width: 321, height: 241, seconds: 3, ext: ".mkv" });
    const { out, result } = await transcode(input);
    await checkOutput(out, result, 3);
    expect(result.renditions.map((r) => [r.rendition.width, r.rendition.height])).toEqual([[320, 240]]);
    const video = (await streamsOf(path.join(out, result.renditions[0]!.segments[0]!))).find((s) => s.codec_type === "video");
    expect(video).toMatchObject({ width: 320, height: 240 });
  });

  it("turns a rotated phone clip upright: output in display orientation, no rotation left", async () => {
    const input = makeClip(tmp.dir, "rotated", { width: 480, height: 360, seconds: 2, rotate: 90 });
    const { out, result } = await transcode(input);
    expect(Math.abs(result.source.rotation)).toBe(90);
    await checkOutput(out, result, 2);
    // 480x360 shown rotated is 360x480 (portrait): rungs by height, never above the source's.
    expect(result.renditions.map((r) => `${r.rendition.width}x${r.rendition.height}`)).toEqual(["270x360", "180x240"]);
    const video = (await streamsOf(path.join(out, result.renditions[0]!.segments[0]!))).find((s) => s.codec_type === "video");
    expect(video).toMatchObject({ width: 270, height: 360 });
    expect(video?.side_data_list ?? []).toEqual([]);
    expect((await streamsOf(path.join(out, "poster.jpg")))[0]).toMatchObject({ width: 360, height: 480 });
  });

  it("calls a corrupt file unsupported input, with ffmpeg's own words", async () => {
    const input = makeCorruptClip(tmp.dir);
    const err = await transcode(input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnsupportedInputError);
    const e = err as UnsupportedInputError;
    expect(e.message).toMatch(/not a readable video|could not decode/);
    expect(e.stderrTail).toMatch(/moov atom not found|Invalid data/i);
  });

  it("kills ffmpeg when the job is aborted (timeout or shutdown)", async () => {
    const input = makeClip(tmp.dir, "abort", { width: 640, height: 360, seconds: 20 });
    const out = path.join(tmp.dir, "out-abort");
    const controller = new AbortController();
    let progressed = 0;
    const started = Date.now();
    const run = transcodeToHls({
      input,
      outputDir: out,
      settings: { ...settings, preset: "medium" },
      signal: controller.signal,
      onProgress: (p) => {
        progressed = p;
        if (p > 0) controller.abort(new Error("stop right there"));
      },
    });
    await expect(run).rejects.toThrow("stop right there");
    expect(progressed).toBeGreaterThan(0);
    expect(progressed).toBeLessThan(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    // No ffmpeg of ours is left writing into the output directory.
    await new Promise((r) => setTimeout(r, 300));
    const ours = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(out);
        } catch {
          return false;
        }
      });
    expect(ours).toEqual([]);
  });
});

describe("fMP4 (CMAF) ladders", () => {
  it("SEGMENT_FORMAT=fmp4: every rendition has its EXT-X-MAP init segment, version 7, and decodes", async () => {
    const input = makeClip(tmp.dir, "cmaf", { width: 640, height: 360, seconds: 4 });
    const { out, result } = await transcode(input, { ...settings, segmentFormat: "fmp4", segmentSeconds: 2 });
    await checkOutput(out, result, 4);
    expect(result.alternates).toEqual([]);
    expect(readFileSync(path.join(out, "master.m3u8"), "utf8")).toMatch(/#EXT-X-VERSION:7/);
    for (const r of result.renditions) {
      expect(r.rendition.container).toBe("fmp4");
      const text = readFileSync(path.join(out, r.rendition.playlist), "utf8");
      expect(text).toMatch(/#EXT-X-VERSION:7/);
      expect(text).toContain(`#EXT-X-MAP:URI="init_${r.rendition.name}.mp4"`);
      expect(r.segments[0]).toBe(`${r.rendition.name}/init_${r.rendition.name}.mp4`);
      expect(r.segments.slice(1).every((s) => /\/seg_\d{5}\.m4s$/.test(s))).toBe(true);
      expect(r.segmentDurations).toHaveLength(r.segments.length - 1);
      const streams = await streamsOf(path.join(out, r.rendition.playlist));
      expect(streams.map((st) => st.codec_name).sort()).toEqual(["aac", "h264"]);
    }
    expect(result.segmentCount).toBe(2);
    // Upload order: each rendition's init and segments before its playlist, the master last.
    const order = uploadOrder(result);
    expect(order.indexOf("360p/init_360p.mp4")).toBeLessThan(order.indexOf("360p/index.m3u8"));
    expect(order.at(-1)).toBe("master.m3u8");
  });

  it("an ad (bothContainers) also gets the ladder in the other container under {format}/, outside the master", async () => {
    const input = makeClip(tmp.dir, "ad", { width: 320, height: 240, seconds: 2 });
    const { out, result } = await transcode(input, { ...settings, segmentFormat: "ts", bothContainers: true });
    expect(result.renditions.map((r) => [r.rendition.playlist, r.rendition.container])).toEqual([["240p/index.m3u8", "ts"]]);
    expect(result.alternates.map((r) => [r.rendition.playlist, r.rendition.container])).toEqual([["fmp4/240p/index.m3u8", "fmp4"]]);
    expect(result.alternates[0]!.segments[0]).toBe("fmp4/240p/init_240p.mp4");
    expect(readMasterPlaylist(readFileSync(path.join(out, "master.m3u8"), "utf8")).map((v) => v.uri)).toEqual(["240p/index.m3u8"]);
    expect(existsSync(path.join(out, "fmp4", "master.m3u8"))).toBe(false);
    expect(await strayFiles(out, result)).toEqual([]);
    const alt = readMediaPlaylist(readFileSync(path.join(out, "fmp4/240p/index.m3u8"), "utf8"), "fmp4/240p/index.m3u8");
    expect(alt.usesMap).toBe(true);
    expect(Math.abs(alt.segments.reduce((a, s) => a + s.duration, 0) - 2)).toBeLessThanOrEqual(0.5);
  });
});

describe("seek previews (storyboard)", () => {
  it("tiles one thumbnail per interval into sprite sheets, with a WebVTT track of #xywh cues", async () => {
    const input = makeClip(tmp.dir, "storyboard", { width: 640, height: 360, seconds: 12 });
    const { out, result } = await transcode(input, { ...settings, storyboard: { interval: 2, width: 160 } });
    expect(result.storyboard).toEqual({ vtt: "storyboard/thumbnails.vtt", sprites: ["storyboard/sprite_000.jpg"] });
    for (const r of result.renditions) expect(r.rendition.storyboard).toBe("storyboard/thumbnails.vtt");
    await checkOutput(out, result, 12);
    const vtt = readFileSync(path.join(out, "storyboard/thumbnails.vtt"), "utf8");
    expect(vtt.startsWith("WEBVTT\n")).toBe(true);
    const cues = [...vtt.matchAll(/^(\S+) --> (\S+)\n(\S+)$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(cues).toHaveLength(6);
    expect(cues[0]).toEqual(["00:00:00.000", "00:00:02.000", "sprite_000.jpg#xywh=0,0,160,90"]);
    expect(cues[5]).toEqual(["00:00:10.000", "00:00:12.000", "sprite_000.jpg#xywh=0,90,160,90"]);
    const [sprite] = await streamsOf(path.join(out, "storyboard/sprite_000.jpg"));
    expect([sprite!.width, sprite!.height]).toEqual([800, 450]);
    const order = uploadOrder(result);
    expect(order.indexOf("storyboard/sprite_000.jpg")).toBeLessThan(order.indexOf("storyboard/thumbnails.vtt"));
  });

  it("a long source fills several sheets; no storyboard when not asked", async () => {
    const input = makeClip(tmp.dir, "sheets", { width: 320, height: 240, seconds: 30, fps: 10 });
    const { result } = await transcode(input, { ...settings, storyboard: { interval: 1, width: 64 } });
    expect(result.storyboard?.sprites).toEqual(["storyboard/sprite_000.jpg", "storyboard/sprite_001.jpg"]);
    // Shorter than the interval: one thumbnail.
    const short = await transcode(makeClip(tmp.dir, "short", { width: 320, height: 240, seconds: 3 }), { ...settings, storyboard: { interval: 5, width: 64 } });
    expect(short.result.storyboard?.sprites).toEqual(["storyboard/sprite_000.jpg"]);
    const plain = await transcode(makeClip(tmp.dir, "plain", { width: 320, height: 240, seconds: 2 }));
    expect(plain.result.storyboard).toBeUndefined();
    expect(plain.result.renditions[0]!.rendition.storyboard).toBeUndefined();
  });
});
