import { describe, expect, it } from "vitest";
import { buildHlsCommand, buildPosterCommand, toArgv } from "../../transcoder/src/command";
import { UnsupportedInputError } from "../../transcoder/src/errors";
import { parseLadder, planLadder } from "../../transcoder/src/ladder";
import { parseProbe } from "../../transcoder/src/probe";

const rungs = planLadder({ width: 640, height: 360, rotation: 0, sampleAspect: 1 }, parseLadder("360:800:128,240:400:64"));

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

describe("buildHlsCommand", () => {
  const base = {
    input: "/tmp/job/source",
    inputFormat: "mov",
    outputDir: "/tmp/job/out",
    rungs,
    source: { hasAudio: true, duration: 4, fps: 25 },
    segmentSeconds: 4,
    preset: "veryfast",
    silentAudio: true,
  };

  it("decodes once and splits into one scaled stream per rung, in a single HLS output", () => {
    const inv = buildHlsCommand(base);
    const args = toArgv(inv);
    expect(inv.inputs).toHaveLength(1);
    expect(args.filter((a) => a === "-i")).toHaveLength(1);
    const graph = opt(args, "-filter_complex")!;
    expect(graph).toContain("[0:v:0]split=2[vs0][vs1]");
    expect(graph).toContain("[vs0]scale=640:360");
    expect(graph).toContain("[vs1]scale=426:240");
    expect(graph).toContain("[0:a:0]aresample=48000,asplit=2[a0][a1]");
    expect(opt(args, "-var_stream_map")).toBe("v:0,a:0,name:360p v:1,a:1,name:240p");
    expect(opt(args, "-master_pl_name")).toBe("master.m3u8");
    expect(opt(args, "-hls_segment_filename")).toBe("/tmp/job/out/%v/seg_%05d.ts");
    expect(inv.output).toBe("/tmp/job/out/%v/index.m3u8");
    expect(args.at(-1)).toBe(inv.output);
    expect(args[args.lastIndexOf("-f") + 1]).toBe("hls");
    expect(opt(args, "-hls_playlist_type")).toBe("vod");
    expect(opt(args, "-c:v")).toBe("libx264");
    expect(opt(args, "-c:a")).toBe("aac");
    expect(opt(args, "-b:v:0")).toBe("800k");
    expect(opt(args, "-b:v:1")).toBe("400k");
    expect(opt(args, "-b:a:1")).toBe("64k");
  });

  it("writes MPEG-TS segments by default, fMP4 ones with an init segment per rendition when asked", () => {
    const ts = toArgv(buildHlsCommand(base));
    expect(opt(ts, "-hls_segment_type")).toBe("mpegts");
    expect(ts).not.toContain("-hls_fmp4_init_filename");
    const fmp4 = toArgv(buildHlsCommand({ ...base, segmentFormat: "fmp4" }));
    expect(opt(fmp4, "-hls_segment_type")).toBe("fmp4");
    expect(opt(fmp4, "-hls_fmp4_init_filename")).toBe("init_%v.mp4");
    expect(opt(fmp4, "-hls_segment_filename")).toBe("/tmp/job/out/%v/seg_%05d.m4s");
  });

  it("aligns keyframes to the segment length: forced on its multiples, GOP of one segment, no scene cuts", () => {
    const args = toArgv(buildHlsCommand({ ...base, segmentSeconds: 6, source: { ...base.source, fps: 30 } }));
    expect(opt(args, "-hls_time")).toBe("6");
    expect(opt(args, "-force_key_frames")).toBe("expr:gte(t,n_forced*6)");
    expect(opt(args, "-g")).toBe("180");
    expect(opt(args, "-keyint_min")).toBe("180");
    expect(opt(args, "-sc_threshold")).toBe("0");
  });

  it("gives a source without audio a silent track of its duration (or none, when told so)", () => {
    const silent = toArgv(buildHlsCommand({ ...base, source: { hasAudio: false, duration: 3.5 } }));
    expect(opt(silent, "-filter_complex")).toContain("anullsrc=channel_layout=stereo:sample_rate=48000,atrim=duration=3.5,asplit=2[a0][a1]");
    expect(opt(silent, "-var_stream_map")).toBe("v:0,a:0,name:360p v:1,a:1,name:240p");

    const videoOnly = toArgv(buildHlsCommand({ ...base, silentAudio: false, source: { hasAudio: false, duration: 3.5 } }));
    expect(opt(videoOnly, "-filter_complex")).not.toContain("anullsrc");
    expect(videoOnly).not.toContain("-c:a");
    expect(opt(videoOnly, "-var_stream_map")).toBe("v:0,name:360p v:1,name:240p");
  });

  it("needs no split for a single rung", () => {
    const args = toArgv(buildHlsCommand({ ...base, rungs: rungs.slice(0, 1) }));
    expect(opt(args, "-filter_complex")).not.toMatch(/\[0:v:0\]split=/);
    expect(opt(args, "-filter_complex")).toContain("[0:v:0]scale=640:360");
  });

  it("forces the probed demuxer, opens local files only, caps the decoder's frame size", () => {
    const inv = buildHlsCommand({ ...base, inputFormat: "matroska", maxPixels: 2_000_000 });
    const input = inv.inputs[0]!.options;
    expect(opt(input, "-f")).toBe("matroska");
    expect(opt(input, "-protocol_whitelist")).toBe("file,pipe");
    expect(opt(input, "-max_pixels")).toBe("2000000");
    // Input options: before the one -i.
    const args = toArgv(inv);
    expect(args.indexOf("-protocol_whitelist")).toBeLessThan(args.indexOf("-i"));
    expect(args.indexOf("-f")).toBeLessThan(args.indexOf("-i"));
  });

  it("ends every output at the source's duration (the video stream's, as probe measures it)", () => {
    const args = toArgv(buildHlsCommand({ ...base, source: { hasAudio: true, duration: 2.0404 } }));
    expect(opt(args, "-t")).toBe("2.04");
    expect(args.indexOf("-t")).toBeGreaterThan(args.indexOf("-i"));
  });

  it("reports progress on stdout and keeps stdin closed", () => {
    const args = toArgv(buildHlsCommand(base));
    expect(opt(args, "-progress")).toBe("pipe:1");
    expect(args).toContain("-nostdin");
    expect(args.indexOf("-progress")).toBeLessThan(args.indexOf("-i"));
  });
});

describe("buildPosterCommand", () => {
  it("seeks before decoding and writes one JPEG frame", () => {
    const args = toArgv(buildPosterCommand({ input: "/in", inputFormat: "matroska", output: "/out/poster.jpg", at: 12.3456, width: 1280, height: 720 }));
    expect(args.indexOf("-ss")).toBeLessThan(args.indexOf("-i"));
    expect(opt(args, "-ss")).toBe("12.346");
    expect(opt(args, "-frames:v")).toBe("1");
    expect(opt(args, "-vf")).toBe("scale=1280:720,setsar=1");
    expect(args.at(-1)).toBe("/out/poster.jpg");
    expect(opt(args, "-f")).toBe("matroska");
    expect(opt(args, "-protocol_whitelist")).toBe("file,pipe");
  });
});

describe("parseProbe", () => {
  const video = { codec_type: "video", codec_name: "h264", width: 1920, height: 1080, sample_aspect_ratio: "1:1", avg_frame_rate: "30000/1001", bit_rate: "4000000" };
  const audio = { codec_type: "audio", codec_name: "aac", bit_rate: "128000" };

  it("reads size, duration, frame rate, bitrate and audio", () => {
    const info = parseProbe({ streams: [video, audio], format: { duration: "12.5", format_name: "mov,mp4" } });
    expect(info).toMatchObject({ width: 1920, height: 1080, rotation: 0, sampleAspect: 1, duration: 12.5, hasAudio: true, videoKbps: 4000 });
    expect(info.fps).toBeCloseTo(29.97, 2);
  });

  it("reads rotation from the display matrix, or from an old rotate tag", () => {
    const side = { ...video, side_data_list: [{ side_data_type: "Display Matrix", rotation: -90 }] };
    expect(parseProbe({ streams: [side], format: { duration: "1" } }).rotation).toBe(-90);
    expect(parseProbe({ streams: [{ ...video, tags: { rotate: "270" } }], format: { duration: "1" } }).rotation).toBe(270);
  });

  it("estimates the video bitrate from the container's when streams do not say (Matroska)", () => {
    const mkv = parseProbe({ streams: [{ ...video, bit_rate: undefined }, { ...audio, bit_rate: undefined }], format: { duration: "2", bit_rate: "1128000" } });
    expect(mkv.videoKbps).toBe(1000);
  });

  it.each([
    ["no video stream", { streams: [audio], format: { duration: "3" } }],
    ["only cover art", { streams: [audio, { ...video, disposition: { attached_pic: 1 } }], format: { duration: "3" } }],
    ["no frame size", { streams: [{ ...video, width: 0 }], format: { duration: "3" } }],
    ["no duration", { streams: [video], format: {} }],
  ])("calls a source with %s unsupported", (_, json) => {
    expect(() => parseProbe(json)).toThrow(UnsupportedInputError);
  });
});
