// The edge's timeline readers (edge/hls/timestamps.ts) on real ffmpeg output: the first timestamp of an
// MPEG-TS segment (what hls.js takes as initPTS: the audio PES's PTS or the video PES's DTS, whichever is
// first) and of an fMP4 segment (the smallest tfdt over the tracks), the X-TIMESTAMP-MAP MPEGTS of captions.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstFmp4Timestamp, firstTsTimestamp, fmp4Timescales } from "../../edge/hls/timestamps";
import { ffmpegBin, makeTempDir } from "./clips";

const tmp = makeTempDir("captions-ts-");
afterAll(() => tmp.cleanup());

function ffmpeg(args: string[]) {
  const r = spawnSync(ffmpegBin(), ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/** The first packet's DTS (else PTS) of each stream of a file, in seconds, by ffprobe. */
function firstTimes(file: string): number[] {
  const r = spawnSync("ffprobe", ["-v", "error", "-show_entries", "packet=stream_index,pts_time,dts_time", "-of", "csv=p=0", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  const first = new Map<number, number>();
  for (const line of r.stdout.trim().split("\n")) {
    const [stream, pts, dts] = line.split(",");
    const t = Number(dts !== "N/A" && dts !== "" ? dts : pts);
    if (!first.has(Number(stream)) && Number.isFinite(t)) first.set(Number(stream), t);
  }
  return [...first.values()];
}

const bytes = (name: string) => new Uint8Array(readFileSync(path.join(tmp.dir, name)));

beforeAll(() => {
  // B-frames (the default preset), so a video packet's PTS and DTS differ; audio at 48 kHz.
  const input = ["-f", "lavfi", "-i", "testsrc=size=160x90:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6"];
  const codecs = ["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-sc_threshold", "0", "-c:a", "aac"];
  ffmpeg([...input, ...codecs, "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename", path.join(tmp.dir, "seg_%05d.ts"), path.join(tmp.dir, "ts.m3u8")]);
  ffmpeg([
    ...input,
    ...codecs,
    ...["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"],
    ...["-hls_segment_filename", path.join(tmp.dir, "seg_%05d.m4s"), path.join(tmp.dir, "fmp4.m3u8")],
  ]);
}, 60_000);

describe("firstTsTimestamp", () => {
  it("is the earliest first timestamp over the streams of each MPEG-TS segment, as ffprobe reads it", () => {
    for (const name of ["seg_00000.ts", "seg_00001.ts", "seg_00002.ts"]) {
      const expected = Math.round(Math.min(...firstTimes(path.join(tmp.dir, name))) * 90000);
      expect(firstTsTimestamp(bytes(name)), name).toBe(expected);
    }
    // ffmpeg's MPEG-TS muxer starts at 1.4 s.
    expect(firstTsTimestamp(bytes("seg_00000.ts"))).toBe(126000);
  });

  it("reads the start of a segment only (the edge reads a range), and answers null for what is not MPEG-TS", () => {
    const whole = bytes("seg_00001.ts");
    expect(firstTsTimestamp(whole.subarray(0, 16 * 1024))).toBe(firstTsTimestamp(whole));
    expect(firstTsTimestamp(new Uint8Array(1000).fill(0x5a))).toBeNull();
    expect(firstTsTimestamp(bytes("seg_00000.m4s"))).toBeNull();
  });
});

describe("firstFmp4Timestamp", () => {
  it("is the smallest tfdt over the tracks, at 90 kHz by each track's mdhd timescale", () => {
    const timescales = fmp4Timescales(bytes("init.mp4"));
    expect([...timescales.values()].sort()).toEqual([12800, 48000]);
    const starts = ["seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s"].map((n) => firstFmp4Timestamp(bytes(n), timescales)!);
    expect(starts[0]).toBe(0);
    // Each segment starts about where the previous one's 2 s end (its earliest track: an audio frame or a
    // video decode time, which B-frames put a frame or two early).
    for (let i = 1; i < starts.length; i++) expect(Math.abs(starts[i]! - i * 2 * 90000), `segment ${i}`).toBeLessThanOrEqual(0.1 * 90000);
    // As ffprobe reads the same segment behind its init section (ffprobe applies the edit list, which moves
    // the video by its B-frame delay; hls.js, like this reader, takes the tfdt).
    const probe = path.join(tmp.dir, "probe.mp4");
    writeFileSync(probe, Buffer.concat([Buffer.from(bytes("init.mp4")), Buffer.from(bytes("seg_00001.m4s"))]));
    expect(Math.abs(Math.min(...firstTimes(probe)) * 90000 - starts[1]!)).toBeLessThanOrEqual(0.1 * 90000);
  });

  it("answers null without a moof or without the track's timescale", () => {
    expect(firstFmp4Timestamp(bytes("init.mp4"), fmp4Timescales(bytes("init.mp4")))).toBeNull();
    expect(firstFmp4Timestamp(bytes("seg_00000.m4s"), new Map())).toBeNull();
    expect(fmp4Timescales(bytes("seg_00000.ts")).size).toBe(0);
  });
});
